package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Event says what happened to an item.
type Event string

// The events of a DynamoDB stream.
const (
	Insert Event = "INSERT" // the item was created
	Modify Event = "MODIFY" // the item was replaced or updated
	Remove Event = "REMOVE" // the item was deleted
)

// RemovedVersion is the Version a publisher with [WithVersionAttribute]
// gives a Remove whose stream record carries the item's keys only (a
// stream of view type NEW_IMAGE or KEYS_ONLY): the item's last version is
// not known, and a Remove ends the life of an item whose id is never
// reused (principle 1), so its [Change.Order] sorts after every write of
// the item. It is [math.MaxInt64].
const RemovedVersion int64 = math.MaxInt64

// MaxVersion is the largest version a change to be applied may carry (2^53,
// as JSON numbers hold integers exactly up to it). No writer gets there —
// at a million writes a second to one item it takes 285 years — so a
// larger version is not an owner's but a forged or broken message's, and
// applied it would hold the copy at that version for good: [ParseMessage]
// and [Copier] refuse it. [RemovedVersion] on a Remove is the exception.
const MaxVersion int64 = 1 << 53

// maxSequence is the most digits a stream sequence number has.
const maxSequence = 40

// checkOrder refuses a change whose [Change.Order] no owner can produce.
func checkOrder(c Change) error {
	switch {
	case c.Version == RemovedVersion && c.Event == Remove:
	case c.Version < 0 || c.Version > MaxVersion:
		return &MessageError{Reason: fmt.Sprintf("version %d is beyond any writer (at most %d)", c.Version, MaxVersion), Err: ErrNotAChange}
	}
	if len(c.Sequence) > maxSequence || strings.Trim(c.Sequence, "0123456789") != "" {
		return &MessageError{Reason: fmt.Sprintf("sequence number %.50q is not a stream sequence number (up to %d digits)", c.Sequence, maxSequence), Err: ErrNotAChange}
	}
	return nil
}

// Format is the value of the "format" field of every published message, so
// that a subscriber can tell a change event from other messages on a topic.
const Format = "tablestakes.change/v1"

// Change is one change to one item of an owner table, as read from its
// DynamoDB stream and published to SNS. Its JSON form (see
// [Change.MarshalJSON]) is the message body; images are in DynamoDB JSON, so
// a subscriber in any language can read them.
type Change struct {
	// EventID is the stream record's id, unique per change: SNS FIFO
	// topics use it to drop duplicates.
	EventID string
	// Event is Insert, Modify or Remove.
	Event Event
	// Table is the owner table's name.
	Table string
	// Sequence is the stream record's sequence number: a decimal number
	// that grows with each change to the same item.
	Sequence string
	// Version is the item's optimistic-locking version after the change
	// (before it, for Remove), when the publisher knows the version
	// attribute ([WithVersionAttribute]); 0 otherwise.
	Version int64
	// Time is when the change was made, in UTC: to the second for records
	// of DynamoDB Streams, to the millisecond for records that come
	// through Kinesis Data Streams.
	Time time.Time
	// Keys holds the item's key attributes.
	Keys map[string]types.AttributeValue
	// Old is the item before the change (nil for Insert, or when the
	// stream does not carry old images).
	Old map[string]types.AttributeValue
	// New is the item after the change (nil for Remove, or when the stream
	// does not carry new images).
	New map[string]types.AttributeValue
	// Claim is set on a change parsed from a message that points to S3
	// (a change too large for one message, published [WithS3]): Old and
	// New are then nil, and [FetchClaim] reads them. A [Subscriber]
	// [WithS3Claims] fetches them before its handlers see the change.
	Claim *Claim
}

// Image returns the item as the change leaves it: New, or Old for Remove.
func (c Change) Image() map[string]types.AttributeValue {
	if c.Event == Remove {
		return c.Old
	}
	return c.New
}

// Changed reports whether the change alters attr: for Insert, whether the new
// item has it; for Remove, whether the old item had it; for Modify, whether
// its value differs between the old and new images. Sets (SS, NS, BS) are
// compared without regard to order, at any depth, as DynamoDB holds them
// unordered; lists are ordered. Without an old image, a Modify counts
// every attribute of the new image as changed.
func (c Change) Changed(attr string) bool {
	switch c.Event {
	case Insert:
		_, ok := c.New[attr]
		return ok
	case Remove:
		_, ok := c.Old[attr]
		return ok
	}
	if c.Old == nil {
		_, ok := c.New[attr]
		return ok
	}
	o, inOld := c.Old[attr]
	n, inNew := c.New[attr]
	if inOld != inNew {
		return true
	}
	return inNew && !equalValue(o, n)
}

// equalValue reports whether a and b hold the same value, sets compared
// as sets.
func equalValue(a, b types.AttributeValue) bool {
	switch a := a.(type) {
	case *types.AttributeValueMemberSS:
		b, ok := b.(*types.AttributeValueMemberSS)
		return ok && sameSet(a.Value, b.Value)
	case *types.AttributeValueMemberNS:
		b, ok := b.(*types.AttributeValueMemberNS)
		return ok && sameSet(a.Value, b.Value)
	case *types.AttributeValueMemberBS:
		b, ok := b.(*types.AttributeValueMemberBS)
		if !ok {
			return false
		}
		as, bs := make([]string, len(a.Value)), make([]string, len(b.Value))
		for i, v := range a.Value {
			as[i] = string(v)
		}
		for i, v := range b.Value {
			bs[i] = string(v)
		}
		return sameSet(as, bs)
	case *types.AttributeValueMemberM:
		b, ok := b.(*types.AttributeValueMemberM)
		if !ok || len(a.Value) != len(b.Value) {
			return false
		}
		for k, v := range a.Value {
			w, ok := b.Value[k]
			if !ok || !equalValue(v, w) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberL:
		b, ok := b.(*types.AttributeValueMemberL)
		if !ok || len(a.Value) != len(b.Value) {
			return false
		}
		for i := range a.Value {
			if !equalValue(a.Value[i], b.Value[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Decode decodes [Change.Image] into out, a pointer to a struct with
// dynamodbav tags, as [attributevalue.UnmarshalMap] does.
func (c Change) Decode(out any) error {
	img := c.Image()
	if img == nil {
		return fmt.Errorf("sync: change %s of %s carries no image to decode", c.EventID, c.Table)
	}
	return attributevalue.UnmarshalMap(img, out)
}

// Order returns a string that sorts changes to one item in the order they
// were made: by version when the change carries one, else by stream sequence
// number; a Remove sorts after the last write it removes. Subscribers store
// it with a copy and apply a change only when its order is greater, which
// makes applying idempotent and tolerant of reordering.
//
// Versions order the changes of an item across its lives too: a
// repository's Create gives an id the caller chose (a natural key, an id
// deleted and created again) the current time in microseconds as its first
// version, above every version an earlier item of the id reached, while a
// generated id (principle 1) starts at 1 and is never created again. Only
// an owner whose version field has 32 bits, which starts every life at 1,
// should publish without [WithVersionAttribute] if its ids are reused, so
// that stream sequence numbers, which only grow, order its changes.
func (c Change) Order() string {
	tail := "0"
	if c.Event == Remove {
		tail = "1"
	}
	if c.Version > 0 {
		return fmt.Sprintf("v%020d.%s", c.Version, tail)
	}
	return "s" + padSequence(c.Sequence) + "." + tail
}

// padSequence left-pads a stream sequence number (up to 40 digits) with
// zeros, so that string comparison orders sequence numbers as numbers.
func padSequence(seq string) string {
	return strings.Repeat("0", max(0, 40-len(seq))) + seq
}

// wire is the JSON form of a Change.
type wire struct {
	Format   string          `json:"format"`
	EventID  string          `json:"eventId"`
	Event    Event           `json:"event"`
	Table    string          `json:"table"`
	Sequence string          `json:"sequence,omitempty"`
	Version  int64           `json:"version,omitempty"`
	Time     time.Time       `json:"time"`
	Keys     json.RawMessage `json:"keys"`
	Old      json.RawMessage `json:"old,omitempty"`
	New      json.RawMessage `json:"new,omitempty"`
	S3       *claimWire      `json:"s3,omitempty"`
}

// MarshalJSON encodes c as a message body:
//
//	{"format":"tablestakes.change/v1","eventId":"…","event":"MODIFY",
//	 "table":"companies","sequence":"…","version":3,"time":"…",
//	 "keys":{"pk":{"S":"COMPANY#…"}},"old":{…},"new":{…}}
//
// A change with a [Claim] has no "old" or "new" but
// "s3":{"bucket":"…","key":"…","size":1048576,"sha256":"…"}.
func (c Change) MarshalJSON() ([]byte, error) {
	w := wire{
		Format: Format, EventID: c.EventID, Event: c.Event, Table: c.Table,
		Sequence: c.Sequence, Version: c.Version, Time: c.Time.UTC(),
	}
	var err error
	if w.Keys, err = imageJSON(c.Keys, true); err != nil {
		return nil, err
	}
	if w.Old, err = imageJSON(c.Old, false); err != nil {
		return nil, err
	}
	if w.New, err = imageJSON(c.New, false); err != nil {
		return nil, err
	}
	if cl := c.Claim; cl != nil {
		w.S3 = &claimWire{Bucket: cl.Bucket, Key: cl.Key, Size: cl.Size, SHA256: cl.SHA256}
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return escapeNoncharacters(b), nil
}

// escapeNoncharacters writes U+FFFE and U+FFFF, which DynamoDB stores but
// SQS refuses in a message body (it accepts only the characters of XML
// 1.0), as JSON escapes. encoding/json escapes the control characters
// already, and they can only occur inside JSON strings, so b means the same.
func escapeNoncharacters(b []byte) []byte {
	if !bytes.ContainsAny(b, "\uFFFE\uFFFF") {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\uFFFE"), []byte(`\ufffe`))
	return bytes.ReplaceAll(b, []byte("\uFFFF"), []byte(`\uffff`))
}

func imageJSON(img map[string]types.AttributeValue, always bool) (json.RawMessage, error) {
	if img == nil && !always {
		return nil, nil
	}
	if img == nil {
		img = map[string]types.AttributeValue{}
	}
	b, err := attributevalue.MarshalMapJSON(img)
	if err != nil {
		return nil, fmt.Errorf("sync: encode image: %w", err)
	}
	return b, nil
}

// UnmarshalJSON decodes a message body written by [Change.MarshalJSON]. A
// body of another format, a broken one, or one whose order no owner can
// produce (a version past [MaxVersion], a sequence number that is not
// one) is refused with a [*MessageError] matching [ErrNotAChange].
func (c *Change) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return &MessageError{Reason: "not JSON", Err: err}
	}
	if w.Format != Format {
		return &MessageError{Reason: fmt.Sprintf("format %q, want %q", w.Format, Format), Foreign: true, Err: ErrNotAChange}
	}
	switch w.Event {
	case Insert, Modify, Remove:
	default:
		return &MessageError{Reason: fmt.Sprintf("event %q", w.Event), Err: ErrNotAChange}
	}
	out := Change{
		EventID: w.EventID, Event: w.Event, Table: w.Table,
		Sequence: w.Sequence, Version: w.Version, Time: w.Time,
	}
	if cl := w.S3; cl != nil {
		if cl.Bucket == "" || cl.Key == "" || len(cl.SHA256) != 64 {
			return &MessageError{Reason: "an S3 pointer without bucket, key or SHA-256", Err: ErrNotAChange}
		}
		out.Claim = &Claim{Bucket: cl.Bucket, Key: cl.Key, Size: cl.Size, SHA256: cl.SHA256}
	}
	for _, img := range []struct {
		raw json.RawMessage
		dst *map[string]types.AttributeValue
	}{{w.Keys, &out.Keys}, {w.Old, &out.Old}, {w.New, &out.New}} {
		if len(img.raw) == 0 || string(img.raw) == "null" {
			continue
		}
		m, err := attributevalue.UnmarshalMapJSON(img.raw)
		if err == nil && !complete(m) {
			err = errors.New("a value of no known type")
		}
		if err != nil {
			return &MessageError{Reason: "image is not DynamoDB JSON", Err: err}
		}
		*img.dst = m
	}
	if err := checkOrder(out); err != nil {
		return err
	}
	*c = out
	return nil
}

// complete reports whether every value in m, however deep, has a known
// type: the JSON decoder turns an unknown one into an UnknownUnionMember.
func complete(m map[string]types.AttributeValue) bool {
	for _, v := range m {
		if !completeValue(v) {
			return false
		}
	}
	return true
}

func completeValue(v types.AttributeValue) bool {
	switch v := v.(type) {
	case nil, *types.UnknownUnionMember:
		return false
	case *types.AttributeValueMemberM:
		return complete(v.Value)
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if !completeValue(e) {
				return false
			}
		}
	}
	return true
}

// trim returns c with its images cut down to the attributes in keep (and
// its keys): what a subscriber needs, and no more bytes than that.
func (c Change) trim(keep map[string]bool) Change {
	cut := func(img map[string]types.AttributeValue) map[string]types.AttributeValue {
		if img == nil {
			return nil
		}
		out := maps.Clone(c.Keys)
		if out == nil {
			out = map[string]types.AttributeValue{}
		}
		for k, v := range img {
			if keep[k] {
				out[k] = v
			}
		}
		return out
	}
	c.Old, c.New = cut(c.Old), cut(c.New)
	return c
}
