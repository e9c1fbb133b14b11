// Package awsfake holds in-memory stand-ins for the SNS and SQS calls the
// sync package makes. Unlike the local servers, they refuse every request
// AWS documents as refused — too many entries, too many bytes, too many
// message attributes, duplicate or malformed entry ids — with the SDK's own
// error types, so that unit tests exercise the limits a production pipeline
// meets.
package awsfake

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	stdsync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/google/uuid"
)

// The documented limits of SNS's PublishBatch.
const (
	// MaxBatchEntries is how many entries one PublishBatch (and one SQS
	// batch call) takes at most.
	MaxBatchEntries = 10
	// MaxMessageBytes is SNS's default MaximumMessageSize: the largest
	// message, body and message attributes together, and the largest
	// total of all the messages of one PublishBatch.
	MaxMessageBytes = 262_144
	// MaxMessageAttributes is how many message attributes a message
	// delivered to a raw-delivery SQS subscription may carry.
	MaxMessageAttributes = 10
	// maxEntryID is the length limit of a batch entry id.
	maxEntryID = 80
)

var entryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// MessageSize returns the size SNS (and SQS) counts for a message: the
// bytes of its body and of each attribute's name, data type and value.
func MessageSize(body string, attrs map[string]snstypes.MessageAttributeValue) int {
	n := len(body)
	for name, v := range attrs {
		n += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

// Published is one message SNS accepted.
type Published struct {
	Topic      string
	ID         string
	Body       string
	Attributes map[string]snstypes.MessageAttributeValue
	GroupID    string
	DedupID    string
}

// SNS is an in-memory SNS topic service for PublishBatch. The zero value
// is ready; it is safe for concurrent use.
type SNS struct {
	// Fail, when set, is asked about each entry that passed the checks;
	// a non-nil answer is reported as that entry's failure.
	Fail func(e snstypes.PublishBatchRequestEntry) *snstypes.BatchResultErrorEntry

	mu        stdsync.Mutex
	published []Published
	calls     int
	subs      map[string][]subscription
}

type subscription struct {
	q   *SQS
	url string
	raw bool
}

// Subscribe delivers the messages published to topic to the queue url of
// q: as SNS's JSON notification envelope, or as the bare body when raw.
func (s *SNS) Subscribe(topic string, q *SQS, url string, raw bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs == nil {
		s.subs = map[string][]subscription{}
	}
	s.subs[topic] = append(s.subs[topic], subscription{q: q, url: url, raw: raw})
}

// Published returns the messages accepted so far, in order.
func (s *SNS) Published() []Published {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Published(nil), s.published...)
}

// Calls returns how many PublishBatch calls were made, refused ones too.
func (s *SNS) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// PublishBatch checks in as SNS does and records the messages accepted.
func (s *SNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	topic := aws.ToString(in.TopicArn)
	if topic == "" {
		return nil, &snstypes.InvalidParameterException{Message: aws.String("TopicArn is required")}
	}
	es := in.PublishBatchRequestEntries
	switch {
	case len(es) == 0:
		return nil, &snstypes.EmptyBatchRequestException{Message: aws.String("the batch request does not contain any entries")}
	case len(es) > MaxBatchEntries:
		return nil, &snstypes.TooManyEntriesInBatchRequestException{Message: aws.String(fmt.Sprintf("%d entries; at most %d", len(es), MaxBatchEntries))}
	}
	seen := map[string]bool{}
	total := 0
	fifo := strings.HasSuffix(topic, ".fifo")
	for _, e := range es {
		id := aws.ToString(e.Id)
		if !entryID.MatchString(id) {
			return nil, &snstypes.InvalidBatchEntryIdException{Message: aws.String(fmt.Sprintf("entry id %q: up to %d letters, digits, hyphens and underscores", id, maxEntryID))}
		}
		if seen[id] {
			return nil, &snstypes.BatchEntryIdsNotDistinctException{Message: aws.String("two entries have the id " + id)}
		}
		seen[id] = true
		total += MessageSize(aws.ToString(e.Message), e.MessageAttributes)
	}
	if total > MaxMessageBytes {
		return nil, &snstypes.BatchRequestTooLongException{Message: aws.String(fmt.Sprintf("the batch is %d bytes; at most %d", total, MaxMessageBytes))}
	}
	out := &sns.PublishBatchOutput{}
	var accepted []Published
	for _, e := range es {
		if f := checkEntry(e, fifo); f != nil {
			out.Failed = append(out.Failed, *f)
			continue
		}
		if s.Fail != nil {
			if f := s.Fail(e); f != nil {
				f.Id = e.Id
				out.Failed = append(out.Failed, *f)
				continue
			}
		}
		p := Published{
			Topic: topic, ID: uuid.NewString(), Body: aws.ToString(e.Message), Attributes: e.MessageAttributes,
			GroupID: aws.ToString(e.MessageGroupId), DedupID: aws.ToString(e.MessageDeduplicationId),
		}
		accepted = append(accepted, p)
		out.Successful = append(out.Successful, snstypes.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String(p.ID)})
	}
	s.mu.Lock()
	s.published = append(s.published, accepted...)
	subs := s.subs[topic]
	s.mu.Unlock()
	for _, p := range accepted {
		for _, sub := range subs {
			body := p.Body
			if !sub.raw {
				body = envelope(p)
			}
			sub.q.deliver(sub.url, body)
		}
	}
	return out, nil
}

// checkEntry returns the failure SNS reports for an entry on its own.
func checkEntry(e snstypes.PublishBatchRequestEntry, fifo bool) *snstypes.BatchResultErrorEntry {
	fail := func(code, msg string) *snstypes.BatchResultErrorEntry {
		return &snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String(code), Message: aws.String(msg), SenderFault: true}
	}
	body := aws.ToString(e.Message)
	switch {
	case body == "":
		return fail("InvalidParameter", "empty message")
	case MessageSize(body, e.MessageAttributes) > MaxMessageBytes:
		return fail("InvalidParameter", fmt.Sprintf("message too long: %d bytes with its attributes; at most %d", MessageSize(body, e.MessageAttributes), MaxMessageBytes))
	case len(e.MessageAttributes) > MaxMessageAttributes:
		return fail("InvalidParameter", fmt.Sprintf("%d message attributes; at most %d", len(e.MessageAttributes), MaxMessageAttributes))
	}
	for name, v := range e.MessageAttributes {
		if msg := checkAttribute(name, v); msg != "" {
			return fail("InvalidParameterValue", msg)
		}
	}
	if fifo {
		g, d := aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId)
		switch {
		case g == "" || len(g) > 128:
			return fail("InvalidParameter", "a FIFO topic needs a message group id of 1 to 128 characters")
		case d == "" || len(d) > 128:
			return fail("InvalidParameter", "a FIFO topic without content-based deduplication needs a deduplication id of 1 to 128 characters")
		}
	} else if e.MessageGroupId != nil || e.MessageDeduplicationId != nil {
		// SNS standard topics now accept a group id (for fair queues) but
		// not a deduplication id.
		if e.MessageDeduplicationId != nil {
			return fail("InvalidParameter", "a standard topic takes no deduplication id")
		}
	}
	return nil
}

var attrName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

func checkAttribute(name string, v snstypes.MessageAttributeValue) string {
	lower := strings.ToLower(name)
	switch {
	case !attrName.MatchString(name), strings.HasPrefix(name, "."), strings.HasSuffix(name, "."), strings.Contains(name, ".."):
		return fmt.Sprintf("message attribute name %q is invalid", name)
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return fmt.Sprintf("message attribute name %q is reserved", name)
	}
	t := aws.ToString(v.DataType)
	base, _, _ := strings.Cut(t, ".")
	switch {
	case len(t) > 256:
		return fmt.Sprintf("message attribute %q: data type too long", name)
	case t == "String.Array", base == "String", base == "Number":
		if aws.ToString(v.StringValue) == "" {
			return fmt.Sprintf("message attribute %q: empty value", name)
		}
	case base == "Binary":
		if len(v.BinaryValue) == 0 {
			return fmt.Sprintf("message attribute %q: empty value", name)
		}
	default:
		return fmt.Sprintf("message attribute %q: data type %q is not String, String.Array, Number or Binary", name, t)
	}
	return ""
}

// envelope is SNS's notification to a queue subscribed without raw
// message delivery.
func envelope(p Published) string {
	type attr struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	}
	attrs := map[string]attr{}
	for k, v := range p.Attributes {
		attrs[k] = attr{Type: aws.ToString(v.DataType), Value: aws.ToString(v.StringValue)}
	}
	b, _ := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": p.ID, "TopicArn": p.Topic, "Message": p.Body,
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": "1",
		"MessageAttributes": attrs,
	})
	return string(b)
}
