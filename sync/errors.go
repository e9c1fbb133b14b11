package sync

import (
	"errors"
	"fmt"
)

var (
	// ErrNotAChange: a message is not a change event of this package:
	// another format on the same topic (a [*MessageError] with Foreign
	// set, which subscribers skip), or a change that is broken or carries
	// an order no owner can produce (which subscribers refuse).
	ErrNotAChange = errors.New("sync: not a change event")
	// ErrMessageTooLarge: a change encodes to a message over SNS's limit
	// of 262,144 bytes, body and message attributes together
	// ([MaxMessageSize]); publish fewer attributes ([WithAttributes]).
	ErrMessageTooLarge = errors.New("sync: change too large for one SNS message")
	// ErrUnpublished: changes were still unpublished when the publisher
	// gave up; they are in the [*PublishError].
	ErrUnpublished = errors.New("sync: changes not published")
	// ErrNoSourceID: a [Copier] cannot tell which copy a change is for: it
	// carries a copied attribute but not the id, or it is a Remove with
	// keys only that neither hold the id nor match the Copier's SourceKey.
	ErrNoSourceID = errors.New("sync: change does not say which copy it is for")
	// ErrTombstoneTable: a [Copier] with DeleteOnRemove cannot keep
	// tombstones in its repository's table: the table declares no TTL
	// attribute (index.Table.TTL), so tombstones would never expire, or
	// its key attributes are not strings.
	ErrTombstoneTable = errors.New("sync: the copies' table cannot hold tombstones")
	// ErrClaim: a change published as a pointer to S3 ([WithS3]) could not
	// be fetched: no S3 client ([WithS3Claims]), S3 failed, or the object
	// is not the change the message describes.
	ErrClaim = errors.New("sync: change stored in S3 not fetched")
	// ErrRecord: a stream record could not be turned into a change.
	ErrRecord = errors.New("sync: invalid stream record")
)

// MessageError says why a message body is not a change event. It matches
// [ErrNotAChange].
type MessageError struct {
	// Reason says what is wrong with the body.
	Reason string
	// Foreign is set when the body does not claim to be a change (plain
	// text, JSON of another format): a message for someone else, which
	// subscribers skip. Unset, the body claims to be a change (its
	// "format" is [Format]) and is broken.
	Foreign bool
	// Err is the underlying error.
	Err error
}

// Error says why the body is not a change.
func (e *MessageError) Error() string {
	if e.Err != nil && !errors.Is(e.Err, ErrNotAChange) {
		return fmt.Sprintf("sync: message is not a change event: %s: %v", e.Reason, e.Err)
	}
	return "sync: message is not a change event: " + e.Reason
}

// Is matches [ErrNotAChange].
func (e *MessageError) Is(target error) bool { return target == ErrNotAChange }

// Unwrap returns the underlying error.
func (e *MessageError) Unwrap() error { return e.Err }

// PublishError carries the changes that were not published, in their
// original order, and why. It matches [ErrUnpublished].
type PublishError struct {
	// Unpublished holds the changes SNS did not accept, or that were not
	// sent because an earlier one failed (a later change to an item must
	// not overtake an earlier one).
	Unpublished []Change
	// Err is the last failure: an SNS error, or [ErrMessageTooLarge].
	Err error
}

// Error says how many changes were not published, and why.
func (e *PublishError) Error() string {
	return fmt.Sprintf("sync: %d change(s) not published: %v", len(e.Unpublished), e.Err)
}

// Is matches [ErrUnpublished].
func (e *PublishError) Is(target error) bool { return target == ErrUnpublished }

// Unwrap returns the last failure.
func (e *PublishError) Unwrap() error { return e.Err }

// RecordError says which stream record could not be read and why. It
// matches [ErrRecord].
type RecordError struct {
	// EventID is the record's event id.
	EventID string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error names the record and what is wrong with it.
func (e *RecordError) Error() string {
	s := fmt.Sprintf("sync: stream record %s: %s", e.EventID, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches [ErrRecord].
func (e *RecordError) Is(target error) bool { return target == ErrRecord }

// Unwrap returns the underlying error.
func (e *RecordError) Unwrap() error { return e.Err }
