package repository

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Sentinel errors. Match them with [errors.Is]; the typed errors below carry
// the detail and match the sentinel of their condition.
var (
	// ErrNotFound reports that no item has the requested key.
	ErrNotFound = errors.New("repository: item not found")
	// ErrAlreadyExists reports a Create whose key is already taken.
	ErrAlreadyExists = errors.New("repository: item already exists")
	// ErrInvalidID reports an id that is not a UUID on a model keyed by
	// generated UUIDs, or an empty natural key. See [*IDError].
	ErrInvalidID = errors.New("repository: invalid id")
	// ErrParentRequired reports a call by id on a model declared
	// [WithParent] without the parent (call it on [Repository.In]), or an
	// item without a parent, or of another parent than In's.
	ErrParentRequired = errors.New("repository: parent required")
	// ErrScanDisabled reports a Scan on a repository built without [WithScan].
	ErrScanDisabled = errors.New("repository: scan is disabled; declare an access pattern and query it, or build the repository WithScan()")
	// ErrItemTooLarge reports an item over DynamoDB's 400 KB limit,
	// refused before any request. See [*ItemTooLargeError].
	ErrItemTooLarge = errors.New("repository: item too large")
	// ErrCollectionTooLarge reports a bounded collection attribute over its
	// bound. See [*GrowthError].
	ErrCollectionTooLarge = errors.New("repository: collection attribute over its bound")
	// ErrInvalidCursor reports a pagination cursor that was edited, or
	// issued for another table, access pattern or partition.
	ErrInvalidCursor = errors.New("repository: invalid cursor")
	// ErrUnprocessed reports batch items DynamoDB did not process after
	// every retry. See [*BatchError].
	ErrUnprocessed = errors.New("repository: unprocessed batch items")
	// ErrInvalidModel reports a model type or options the repository cannot use.
	ErrInvalidModel = errors.New("repository: invalid model")
	// ErrInvalidUpdate reports an update that cannot be expressed or that
	// would leave a derived attribute stale. See [*UpdateError].
	ErrInvalidUpdate = errors.New("repository: invalid update")
	// ErrVersionConflict reports a write whose expected version is not the
	// item's: someone else wrote it since it was read. See [*ConditionError].
	ErrVersionConflict = errors.New("repository: version conflict")
	// ErrVersionRequired reports a write to a versioned model that does not
	// say which version it expects.
	ErrVersionRequired = errors.New("repository: version required")
	// ErrDuplicate reports a unique attribute value already held by another
	// item. See [*UniqueError].
	ErrDuplicate = errors.New("repository: duplicate unique value")
	// ErrTransactionCanceled reports a transaction DynamoDB canceled; nothing
	// was written. See [*TxError].
	ErrTransactionCanceled = errors.New("repository: transaction canceled")
	// ErrTransactionConflict reports a transaction canceled because another
	// request wrote one of its items at the same time, after every retry.
	ErrTransactionConflict = errors.New("repository: transaction conflict")
	// ErrThrottled reports a transaction item canceled by throttling.
	ErrThrottled = errors.New("repository: throttled")
	// ErrInvalidTransaction reports a transaction refused before sending:
	// too many items, or two operations on one item. See [*TxError].
	ErrInvalidTransaction = errors.New("repository: invalid transaction")
	// ErrIdempotentParameterMismatch reports a write or transaction sent
	// with an idempotency token ([Token]) that DynamoDB saw in the last ten
	// minutes with different content (its IdempotentParameterMismatch
	// exception, which the error wraps). This request wrote nothing; the
	// earlier one, if it succeeded, stands. Use a new token for a new write.
	ErrIdempotentParameterMismatch = errors.New("repository: idempotency token reused with different content")
	// ErrConditionFailed reports a write whose condition did not hold.
	// See [*ConditionError].
	ErrConditionFailed = errors.New("repository: condition failed")
)

// IDError reports an id the repository refuses, before any request.
type IDError struct {
	ID     string // the id given
	Reason string // why it is refused
}

// Error describes the failure.
func (e *IDError) Error() string {
	return fmt.Sprintf("repository: invalid id %q: %s", e.ID, e.Reason)
}

// Is makes an IDError match [ErrInvalidID].
func (e *IDError) Is(target error) bool { return target == ErrInvalidID }

// ItemTooLargeError reports an item over the size limit, computed by
// DynamoDB's rules, before it was sent; or, with Size -1 and Err set, an
// update DynamoDB refused because the stored item would grow over it.
type ItemTooLargeError struct {
	Table string // the table
	Size  int    // the item's size in bytes, or -1 when DynamoDB refused it
	Limit int    // the limit in bytes (409600)
	Err   error  // DynamoDB's refusal, when it refused
}

// Error describes the failure.
func (e *ItemTooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("repository: item for table %q would be over the limit of %d bytes after the update: %v", e.Table, e.Limit, e.Err)
	}
	return fmt.Sprintf("repository: item for table %q is %d bytes; the limit is %d", e.Table, e.Size, e.Limit)
}

// Unwrap returns DynamoDB's refusal, if any.
func (e *ItemTooLargeError) Unwrap() error { return e.Err }

// Is makes an ItemTooLargeError match [ErrItemTooLarge].
func (e *ItemTooLargeError) Is(target error) bool { return target == ErrItemTooLarge }

// GrowthError reports a collection attribute over the bound declared with
// [WithBound]. A collection that keeps growing belongs in its own items in
// the same partition (principle 11), not inside one item.
type GrowthError struct {
	Attribute string // the collection attribute
	Len       int    // its length after the write, or -1 when unknown (an append)
	Bound     int    // its declared bound
}

// Error describes the failure.
func (e *GrowthError) Error() string {
	n := fmt.Sprint(e.Len)
	if e.Len < 0 {
		n = "more than that"
	}
	return fmt.Sprintf("repository: attribute %q would hold %s elements; its bound is %d: "+
		"move a collection that grows without bound to its own items in the same partition", e.Attribute, n, e.Bound)
}

// Is makes a GrowthError match [ErrCollectionTooLarge].
func (e *GrowthError) Is(target error) bool { return target == ErrCollectionTooLarge }

// UpdateError reports an update the repository refuses before sending.
type UpdateError struct {
	Attribute string // the attribute concerned
	Reason    string // what is wrong
}

// Error describes the failure.
func (e *UpdateError) Error() string {
	return fmt.Sprintf("repository: update of %q: %s", e.Attribute, e.Reason)
}

// Is makes an UpdateError match [ErrInvalidUpdate].
func (e *UpdateError) Is(target error) bool { return target == ErrInvalidUpdate }

// ConditionError reports a write refused by its condition. Item holds the
// item as it was when the condition failed, returned by DynamoDB
// (ReturnValuesOnConditionCheckFailure ALL_OLD), or nil when there was none.
type ConditionError struct {
	Table string                          // the table written
	Key   map[string]types.AttributeValue // the item's key
	Item  map[string]types.AttributeValue // the current item, nil if absent
	// Sentinel is the condition this failure stands for: ErrConditionFailed,
	// ErrAlreadyExists or ErrNotFound, or another package's sentinel such as
	// a version conflict.
	Sentinel error
	Err      error // the SDK error
}

// Error describes the failure.
func (e *ConditionError) Error() string {
	return fmt.Sprintf("%v: table %q: %v", e.Sentinel, e.Table, e.Err)
}

// Is makes a ConditionError match its Sentinel and [ErrConditionFailed].
func (e *ConditionError) Is(target error) bool {
	return target == e.Sentinel || target == ErrConditionFailed
}

// Unwrap returns the SDK error.
func (e *ConditionError) Unwrap() error { return e.Err }

// BatchError reports what a batch did not deliver: the items still
// unprocessed after every retry, so that the caller can retry or record
// them, and, for a BatchGet, the items read that could not be decoded.
// Nothing is dropped.
type BatchError struct {
	Table string
	// UnprocessedKeys are the keys of a BatchGet that were not read.
	UnprocessedKeys []map[string]types.AttributeValue
	// UnprocessedWrites are the writes of a BatchWrite that were not applied.
	UnprocessedWrites []types.WriteRequest
	// Undecoded are the items of a BatchGet that were read but could not
	// be decoded, in the order of the ids asked.
	Undecoded []*DecodeError
	// Err is the last error, if a request failed outright.
	Err error
}

// Error describes the failure.
func (e *BatchError) Error() string {
	msg := fmt.Sprintf("repository: table %q: %d keys and %d writes unprocessed", e.Table, len(e.UnprocessedKeys), len(e.UnprocessedWrites))
	if n := len(e.Undecoded); n > 0 {
		d := e.Undecoded[0]
		msg += fmt.Sprintf(", %d items not decoded as %s (the first, id %q: %v)", n, d.Model, d.ID, d.Err)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes a BatchError with unprocessed keys or writes match
// [ErrUnprocessed]. Its undecoded items match [ErrDecode] through Unwrap.
func (e *BatchError) Is(target error) bool {
	return target == ErrUnprocessed && len(e.UnprocessedKeys)+len(e.UnprocessedWrites) > 0
}

// Unwrap returns the last request error, if any, and the [*DecodeError] of
// each undecoded item, for [errors.Is] and [errors.As].
func (e *BatchError) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.Undecoded))
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	for _, d := range e.Undecoded {
		errs = append(errs, d)
	}
	return errs
}

// ModelError reports a model type or repository option that cannot work.
type ModelError struct {
	Model  string // the Go type
	Reason string
}

// Error describes the failure.
func (e *ModelError) Error() string {
	return fmt.Sprintf("repository: model %s: %s", e.Model, e.Reason)
}

// Is makes a ModelError match [ErrInvalidModel].
func (e *ModelError) Is(target error) bool { return target == ErrInvalidModel }

// CursorError reports a rejected cursor.
type CursorError struct {
	Reason string
	Err    error
}

// Error describes the failure.
func (e *CursorError) Error() string { return "repository: invalid cursor: " + e.Reason }

// Is makes a CursorError match [ErrInvalidCursor].
func (e *CursorError) Is(target error) bool { return target == ErrInvalidCursor }

// Unwrap returns the underlying error.
func (e *CursorError) Unwrap() error { return e.Err }

// UniqueError reports a unique attribute value that another item holds.
type UniqueError struct {
	Table     string // the table
	Attribute string // the unique attribute
	Value     string // the value refused
	Owner     string // the id of the item holding it, when known
	Err       error  // the SDK error
}

// Error describes the failure.
func (e *UniqueError) Error() string {
	msg := fmt.Sprintf("repository: %s %q is already taken in table %q", e.Attribute, e.Value, e.Table)
	if e.Owner != "" {
		msg += " by " + e.Owner
	}
	return msg
}

// Is makes a UniqueError match [ErrDuplicate] and [ErrConditionFailed].
func (e *UniqueError) Is(target error) bool {
	return target == ErrDuplicate || target == ErrConditionFailed
}

// Unwrap returns the SDK error.
func (e *UniqueError) Unwrap() error { return e.Err }

func versionRequired(model, op, hint string) error {
	return fmt.Errorf("%w: %s of versioned model %s: %s", ErrVersionRequired, op, model, hint)
}

// ErrDecode reports an item read from the table that cannot be decoded as
// the repository's model. See [*DecodeError].
var ErrDecode = errors.New("repository: item cannot be decoded")

// DecodeError reports an item read from the table that cannot be decoded as
// the model: an attribute of another type than its field, say, written by
// another program or an older version of the model.
type DecodeError struct {
	Table string                          // the table read
	Model string                          // the Go type decoded into
	Key   map[string]types.AttributeValue // the item's table key
	ID    string                          // the item's id, when known
	Err   error                           // the attributevalue error
}

// Error describes the failure.
func (e *DecodeError) Error() string {
	id := ""
	if e.ID != "" {
		id = fmt.Sprintf(" id %q", e.ID)
	}
	return fmt.Sprintf("repository: decode %s%s of table %q: %v", e.Model, id, e.Table, e.Err)
}

// Is makes a DecodeError match [ErrDecode].
func (e *DecodeError) Is(target error) bool { return target == ErrDecode }

// Unwrap returns the attributevalue error, such as its *UnmarshalTypeError.
func (e *DecodeError) Unwrap() error { return e.Err }
