package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// Handler applies a change to a subscriber's own tables. Apply must be
// idempotent and tolerate reordering: a change may arrive twice, and after a
// later change to the same item ([Change.Order] tells which is later).
// [Copier] is the Handler for duplicated attributes.
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
// ([Subscriber.HandleSNSEvent]). The zero value has no handlers and applies
// nothing; it is safe for concurrent use once built.
type Subscriber struct {
	// Handlers apply each change, in order.
	Handlers []Handler
	// Logger receives what the subscriber skips or retries (nil: nowhere).
	Logger *slog.Logger
}

// NewSubscriber returns a Subscriber with handlers.
func NewSubscriber(handlers ...Handler) *Subscriber { return &Subscriber{Handlers: handlers} }

func (s *Subscriber) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Apply runs every handler on c and returns their errors joined. Handlers
// are idempotent, so applying c again after a partial failure is safe.
func (s *Subscriber) Apply(ctx context.Context, c Change) error {
	var errs []error
	for _, h := range s.Handlers {
		if err := h.Apply(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// HandleMessage parses body ([ParseMessage]) and applies the change. A
// message of another format is skipped, returning nil: the topic may carry
// other events. A body that claims to be a change but is malformed returns
// an error matching [ErrNotAChange].
func (s *Subscriber) HandleMessage(ctx context.Context, body string) error {
	c, err := ParseMessage(body)
	if err != nil {
		var me *MessageError
		if errors.As(err, &me) && me.Foreign {
			s.logger().DebugContext(ctx, "sync: skipping a message of another format", "reason", me.Reason)
			return nil
		}
		return err
	}
	return s.Apply(ctx, c)
}

// HandleSQSEvent is a Lambda handler for an SQS event source mapping on a
// queue subscribed to the change topic. Messages that fail are reported as
// batch item failures (enable ReportBatchItemFailures on the mapping), so
// SQS delivers them again and, after the queue's maxReceiveCount, moves them
// to its dead-letter queue. Wire it with lambda.Start(sub.HandleSQSEvent).
func (s *Subscriber) HandleSQSEvent(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := s.HandleMessage(ctx, m.Body); err != nil {
			s.logger().ErrorContext(ctx, "sync: message not applied", "messageId", m.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// HandleSNSEvent is a Lambda handler subscribed to the change topic
// directly. It returns the errors of the changes it could not apply, so
// that Lambda retries the invocation (applying the others again is safe).
func (s *Subscriber) HandleSNSEvent(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, r := range ev.Records {
		if err := s.HandleMessage(ctx, r.SNS.Message); err != nil {
			errs = append(errs, fmt.Errorf("message %s: %w", r.SNS.MessageID, err))
		}
	}
	return errors.Join(errs...)
}

// ReceiveOption configures [Subscriber.Receive].
type ReceiveOption func(*receive)

type receive struct {
	wait int32
	max  int32
}

// WithWaitTime sets the long-poll wait of each ReceiveMessage call, in
// whole seconds from 0 to 20 (default 20, the most SQS allows). A shorter
// wait makes Receive notice a canceled context sooner; with 0 (short
// polling) Receive pauses a second after an empty answer.
func WithWaitTime(d time.Duration) ReceiveOption {
	return func(r *receive) { r.wait = int32(min(max(d.Round(time.Second)/time.Second, 0), 20)) }
}

// WithMaxMessages sets how many messages one ReceiveMessage call may return
// (1 to 10, default 10).
func WithMaxMessages(n int32) ReceiveOption { return func(r *receive) { r.max = n } }

// Receive long-polls the SQS queue queueURL, applies each message's change
// and deletes the messages applied, until ctx is done; it then returns ctx's
// error. A message that fails is left on the queue, to be delivered again
// after its visibility timeout (and, past the queue's maxReceiveCount, moved
// to its dead-letter queue): nothing is lost. SQS errors are retried with
// backoff.
func (s *Subscriber) Receive(ctx context.Context, client SQSClient, queueURL string, opts ...ReceiveOption) error {
	cfg := receive{wait: 20, max: 10}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.max = min(max(cfg.max, 1), 10)
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: cfg.max, WaitTimeSeconds: cfg.wait,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures++
			s.logger().WarnContext(ctx, "sync: receive failed", "queue", queueURL, "error", err)
			if err := backoff.Sleep(ctx, failures, 100*time.Millisecond, 10*time.Second); err != nil {
				return err
			}
			continue
		}
		failures = 0
		if len(out.Messages) == 0 && cfg.wait == 0 {
			// Short polling: pause, rather than ask again at once.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		}
		var done []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			if err := s.HandleMessage(ctx, aws.ToString(m.Body)); err != nil {
				s.logger().ErrorContext(ctx, "sync: message not applied; it will be delivered again",
					"messageId", aws.ToString(m.MessageId), "error", err)
				continue
			}
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{
				Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle,
			})
		}
		if len(done) == 0 {
			continue
		}
		// A delete that fails leaves the message to be delivered and
		// applied again, which handlers make harmless.
		if res, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: done}); err != nil {
			s.logger().WarnContext(ctx, "sync: delete failed", "queue", queueURL, "error", err)
		} else if len(res.Failed) > 0 {
			s.logger().WarnContext(ctx, "sync: some deletes failed", "queue", queueURL, "count", len(res.Failed))
		}
	}
}

// ParseMessage returns the change in a message body: an SNS notification
// envelope (a queue subscribed without raw message delivery) or the change
// itself (raw delivery, or a Lambda SNS event's Message). A body that is not
// a change returns a [*MessageError], with Foreign set when it is valid JSON
// of another format.
func ParseMessage(body string) (Change, error) {
	var probe struct {
		Type     string `json:"Type"`
		Message  string `json:"Message"`
		TopicArn string `json:"TopicArn"`
		Format   string `json:"format"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		var typed *json.UnmarshalTypeError
		if !errors.As(err, &typed) {
			return Change{}, &MessageError{Reason: "not JSON", Err: err}
		}
		// Valid JSON whose fields (matched regardless of case, such as
		// "type" or "message") hold values of other types, or that is no
		// object at all: another format, unless it says it is a change.
		if probe.Format != Format {
			return Change{}, &MessageError{Reason: "JSON of another format: " + err.Error(), Foreign: true, Err: ErrNotAChange}
		}
	} else if probe.Type == "Notification" && probe.TopicArn != "" && probe.Format == "" {
		return ParseMessage(probe.Message)
	}
	if probe.Format != Format {
		return Change{}, &MessageError{Reason: fmt.Sprintf("format %q, want %q", probe.Format, Format), Foreign: true, Err: ErrNotAChange}
	}
	var c Change
	if err := c.UnmarshalJSON([]byte(body)); err != nil {
		return Change{}, err
	}
	return c, nil
}
