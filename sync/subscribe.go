package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Handler applies a change to a subscriber's own tables. Apply must be
// idempotent and tolerate reordering: a change may arrive twice, and after a
// later change to the same item ([Change.Order] tells which is later).
// It must also be safe for concurrent use: a [Subscriber] applies the
// changes of different items concurrently ([WithSubscriberConcurrency]),
// one change of an item at a time. [Copier] is the Handler for duplicated
// attributes.
type Handler interface {
	Apply(ctx context.Context, c Change) error
}

// HandlerFunc adapts a function to a [Handler].
type HandlerFunc func(ctx context.Context, c Change) error

// Apply calls f(ctx, c).
func (f HandlerFunc) Apply(ctx context.Context, c Change) error { return f(ctx, c) }

// SQSClient is the part of *sqs.Client [Subscriber.Receive] uses.
type SQSClient interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Subscriber applies change events from an SNS topic to a service's own
// tables through its handlers: from an SQS queue subscribed to the topic
// ([Subscriber.Receive] in a long-running process,
// [Subscriber.HandleSQSEvent] in Lambda), or from the topic directly
// ([Subscriber.HandleSNSEvent]). Build it with [NewSubscriber]; a
// Subscriber must not be copied once used, and is safe for concurrent use.
//
// Every entry point treats a message the same way:
//
//   - A body that is not a change event — plain text, JSON of another
//     format, an empty body — is foreign: the topic or queue may carry
//     other messages. It is skipped (logged at debug level, counted in
//     [Counts].Foreign, and deleted from its queue), never an error.
//   - A body that says it is a change (its "format" is [Format]) but is
//     broken, or whose order no owner can produce, is refused: an error
//     matching [ErrNotAChange], counted in [Counts].Refused, so the message
//     stays on its queue and ends in the dead-letter queue.
//   - A change from a table or topic the subscriber was not declared for
//     ([FromTables], [FromTopics]) is untrusted: skipped, logged at warn
//     level and counted in [Counts].Untrusted, never applied.
//   - A change published as a pointer to S3 ([WithS3]) is fetched first
//     ([WithS3Claims]); one that cannot be fetched is an error matching
//     [ErrClaim], and one in a bucket not declared is untrusted.
//   - Any other change is applied by every handler.
type Subscriber struct {
	// Handlers apply each change, in order.
	Handlers []Handler
	// Logger receives what the subscriber skips or retries (nil: nowhere).
	Logger *slog.Logger

	tables      map[string]bool
	topics      map[string]bool
	s3          S3GetClient
	buckets     map[string]bool
	concurrency int          // changes applied at once; 0: DefaultSubscriberConcurrency
	tracer      trace.Tracer // nil: no spans

	applied, superseded, foreign, untrusted, refused atomic.Uint64
}

// SubscriberOption configures a [Subscriber].
type SubscriberOption func(*Subscriber)

// FromTables limits the subscriber to the changes of the owner tables
// named: a change naming another table is skipped as untrusted. Without
// it, changes of any table are accepted (a [Copier] still checks its own
// Table). A table's name is the one its stream's records carry.
func FromTables(tables ...string) SubscriberOption {
	return func(s *Subscriber) {
		if s.tables == nil {
			s.tables = map[string]bool{}
		}
		for _, t := range tables {
			s.tables[t] = true
		}
	}
}

// FromTopics limits the subscriber to the messages published to the SNS
// topics whose ARNs are given: a message from another topic is skipped as
// untrusted. The topic is read from the SNS notification (the envelope a
// queue receives without raw message delivery, or a Lambda SNS event), so
// with FromTopics a message delivered raw, which names no topic, is
// skipped too: subscribe the queue without raw message delivery, or leave
// FromTopics out and let the queue's access policy admit only the topic
// (a condition on aws:SourceArn). Without it, messages of any topic are
// accepted.
//
// The envelope is not authenticated: the subscriber does not check SNS's
// message signature, so a sender that may write to the queue directly can
// write an envelope naming a trusted topic. FromTopics sorts the topics that
// may write to the queue; the queue's access policy (sqs:SendMessage
// allowed only to sns.amazonaws.com, on the condition aws:SourceArn of the
// topics) is what keeps every other sender out, and is needed either way.
func FromTopics(topicARNs ...string) SubscriberOption {
	return func(s *Subscriber) {
		if s.topics == nil {
			s.topics = map[string]bool{}
		}
		for _, t := range topicARNs {
			s.topics[t] = true
		}
	}
}

// WithSubscriberLogger sets where the subscriber logs what it skips,
// refuses or retries (default: nowhere).
func WithSubscriberLogger(l *slog.Logger) SubscriberOption {
	return func(s *Subscriber) { s.Logger = l }
}

// NewSubscriber returns a Subscriber that applies changes through h (nil
// for none yet: append to Handlers), configured by opts.
func NewSubscriber(h Handler, opts ...SubscriberOption) *Subscriber {
	s := &Subscriber{}
	if h != nil {
		s.Handlers = []Handler{h}
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// Counts says how many messages a [Subscriber] handled, by outcome; see
// [Subscriber] for what each outcome means.
type Counts struct {
	Applied uint64 // changes every handler applied
	// Superseded counts changes not applied because a later change of the
	// same item, applied, stood in for them ([Superseder]).
	Superseded uint64
	Foreign    uint64 // bodies that are not change events, skipped
	Untrusted  uint64 // changes of undeclared tables or topics, skipped
	Refused    uint64 // broken changes and impossible orders, returned as errors
}

// Counts returns how many messages the subscriber has handled so far, by
// outcome, for metrics.
func (s *Subscriber) Counts() Counts {
	return Counts{Applied: s.applied.Load(), Superseded: s.superseded.Load(), Foreign: s.foreign.Load(), Untrusted: s.untrusted.Load(), Refused: s.refused.Load()}
}

func (s *Subscriber) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Apply runs every handler on c and returns their errors joined. Handlers
// are idempotent, so applying c again after a partial failure is safe.
// Apply does not check sources: the entry points that read messages do.
func (s *Subscriber) Apply(ctx context.Context, c Change) error {
	var errs []error
	for _, h := range s.Handlers {
		if err := h.Apply(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// HandleMessage parses body ([ParseMessage]) and applies the change,
// following the policy described on [Subscriber]: a foreign body or an
// untrusted change is skipped, returning nil; a broken change returns an
// error matching [ErrNotAChange]; a handler's error is returned.
func (s *Subscriber) HandleMessage(ctx context.Context, body string) error {
	return s.handle(ctx, body, "")
}

// handle applies body, received from topic ("" when the transport does not
// say; an SNS envelope in body says it then).
func (s *Subscriber) handle(ctx context.Context, body, topic string) error {
	c, ok, err := s.accept(ctx, body, topic)
	if !ok {
		return err
	}
	return s.applyOne(ctx, c)
}

// accept parses body, received from topic, and checks where it comes from;
// ok reports a change to apply. A body skipped returns neither a change
// nor an error; a broken one returns the error.
func (s *Subscriber) accept(ctx context.Context, body, topic string) (c Change, ok bool, err error) {
	c, from, err := parseMessage(body)
	if topic == "" {
		topic = from
	}
	if err != nil {
		var me *MessageError
		if errors.As(err, &me) && me.Foreign {
			s.foreign.Add(1)
			s.logger().DebugContext(ctx, "sync: skipping a message that is not a change", "reason", me.Reason)
			return Change{}, false, nil
		}
		s.refused.Add(1)
		return Change{}, false, err
	}
	if s.topics != nil && !s.topics[topic] {
		s.untrusted.Add(1)
		s.logger().WarnContext(ctx, "sync: skipping a change from a topic the subscriber does not accept",
			"topic", topic, "table", c.Table, "eventId", c.EventID)
		return Change{}, false, nil
	}
	if s.tables != nil && !s.tables[c.Table] {
		s.untrusted.Add(1)
		s.logger().WarnContext(ctx, "sync: skipping a change of a table the subscriber does not accept",
			"topic", topic, "table", c.Table, "eventId", c.EventID)
		return Change{}, false, nil
	}
	return c, true, nil
}

// applyOne fetches c's images if they were stored in S3, and applies c.
func (s *Subscriber) applyOne(ctx context.Context, c Change) (err error) {
	ctx, end := startSpan(ctx, s.tracer, spanApply, trace.SpanKindConsumer,
		attribute.StringSlice("aws.dynamodb.table_names", []string{c.Table}),
		attribute.String("tablestakes.event", string(c.Event)),
		attribute.String("tablestakes.event_id", c.EventID))
	defer func() { end(err) }()
	if c.Claim != nil {
		full, untrusted, err := s.fetchClaim(ctx, c)
		if untrusted {
			s.untrusted.Add(1)
			s.logger().WarnContext(ctx, "sync: skipping a change stored in a bucket the subscriber does not accept",
				"bucket", c.Claim.Bucket, "table", c.Table, "eventId", c.EventID)
			return nil
		}
		if err != nil {
			return err // S3 may answer next time; else the dead-letter queue
		}
		c = full
	}
	if err := s.Apply(ctx, c); err != nil {
		return err
	}
	s.applied.Add(1)
	return nil
}

// HandleSQSEvent is a Lambda handler for an SQS event source mapping on a
// queue subscribed to the change topic. Messages are handled as
// [Subscriber] describes, the changes of different items concurrently
// ([WithSubscriberConcurrency]) and those of one item in the order of the
// event's records. Those that fail, and only those, are reported as batch
// item failures (enable ReportBatchItemFailures on the mapping), so SQS
// delivers them again and, after the queue's maxReceiveCount, moves them to
// its dead-letter queue. Wire it with lambda.Start(sub.HandleSQSEvent).
func (s *Subscriber) HandleSQSEvent(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	msgs := make([]message, len(ev.Records))
	for i, m := range ev.Records {
		msgs[i] = message{body: m.Body}
	}
	var resp events.SQSEventResponse
	for i, err := range s.handleAll(ctx, msgs) {
		if err != nil {
			m := ev.Records[i]
			s.logger().ErrorContext(ctx, "sync: message not applied", "messageId", m.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// HandleSNSEvent is a Lambda handler subscribed to the change topic
// directly. Messages are handled as [Subscriber] describes, the changes of
// different items concurrently ([WithSubscriberConcurrency]); it returns
// the errors of the changes it could not apply, in the order of the
// event's records, so that Lambda retries the invocation (applying the
// others again is safe).
func (s *Subscriber) HandleSNSEvent(ctx context.Context, ev events.SNSEvent) error {
	msgs := make([]message, len(ev.Records))
	for i, r := range ev.Records {
		msgs[i] = message{body: r.SNS.Message, topic: r.SNS.TopicArn}
	}
	var errs []error
	for i, err := range s.handleAll(ctx, msgs) {
		if err != nil {
			errs = append(errs, fmt.Errorf("message %s: %w", ev.Records[i].SNS.MessageID, err))
		}
	}
	return errors.Join(errs...)
}

// ParseMessage returns the change in a message body: an SNS notification
// envelope (a queue subscribed without raw message delivery) or the change
// itself (raw delivery, or a Lambda SNS event's Message). A body that is not
// a change returns a [*MessageError] matching [ErrNotAChange]: with Foreign
// set when the body does not claim to be a change (plain text, JSON of
// another format: a message for someone else), without it when the body
// claims to be one (its "format" is [Format]) but is broken, or carries an
// order no owner can produce (see [MaxVersion]).
//
// A change published as a pointer to S3 ([WithS3]) parses into a change
// with a [Claim] and no images; [FetchClaim] reads them.
func ParseMessage(body string) (Change, error) {
	c, _, err := parseMessage(body)
	return c, err
}

// parseMessage is ParseMessage that also returns the topic an SNS envelope
// names.
func parseMessage(body string) (c Change, topic string, err error) {
	var probe struct {
		Type     string `json:"Type"`
		Message  string `json:"Message"`
		TopicArn string `json:"TopicArn"`
		Format   string `json:"format"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		var typed *json.UnmarshalTypeError
		if !errors.As(err, &typed) {
			// Not JSON: plain text is someone else's, unless it
			// says it is a change (one cut short, say).
			return Change{}, "", &MessageError{Reason: "not JSON", Foreign: !strings.Contains(body, Format), Err: err}
		}
		// Valid JSON whose fields (matched regardless of case, such as
		// "type" or "message") hold values of other types, or that is no
		// object at all: another format, unless it says it is a change.
		if probe.Format != Format {
			return Change{}, "", &MessageError{Reason: "JSON of another format: " + err.Error(), Foreign: true, Err: ErrNotAChange}
		}
	} else if probe.Type == "Notification" && probe.TopicArn != "" && probe.Format == "" {
		c, _, err := parseMessage(probe.Message)
		return c, probe.TopicArn, err
	}
	if probe.Format != Format {
		return Change{}, "", &MessageError{Reason: fmt.Sprintf("format %q, want %q", probe.Format, Format), Foreign: true, Err: ErrNotAChange}
	}
	if err := c.UnmarshalJSON([]byte(body)); err != nil {
		return Change{}, "", err
	}
	return c, "", nil
}
