package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// MaxMessageSize is SNS's default limit, in bytes, on one message and on
// all the messages of one PublishBatch request together (262,144 bytes,
// 256 KiB). SNS counts a message's body and, for each message attribute,
// the bytes of its name, data type and value ([MessageSize]).
const MaxMessageSize = 256 * 1024

// maxBatch is the number of entries PublishBatch takes at most.
const maxBatch = 10

// MessageSize returns the size SNS counts for a message against
// [MaxMessageSize]: the bytes of body and, for each attribute, of its
// name, data type and value.
func MessageSize(body string, attrs map[string]snstypes.MessageAttributeValue) int {
	n := len(body)
	for name, v := range attrs {
		n += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

// SNSClient is the part of *sns.Client a [Publisher] uses; wrap it to add
// tracing or metrics.
type SNSClient interface {
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, optFns ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// Publisher publishes an owner table's changes to an SNS topic, one message
// per change (principle 9). Build it with [NewPublisher]; it is safe for
// concurrent use.
//
// Each message carries the message attributes "table" and "event", for SNS
// subscription filter policies. On a FIFO topic (an ARN ending in ".fifo")
// changes to one item share a message group, so they arrive in order, and
// the stream record's event id is the deduplication id.
type Publisher struct {
	client      SNSClient
	topic       string
	fifo        bool
	keep        map[string]bool
	attrs       []string
	carried     []string
	versionAttr string
	filter      func(Change) bool
	s3          S3PutClient
	bucket      string
	prefix      string
	attempts    int
	base, limit time.Duration
	logger      *slog.Logger
	tracer      trace.Tracer // nil: no spans
	concurrency int          // requests at once; 0: DefaultPublisherConcurrency
}

// PublisherOption configures a [Publisher].
type PublisherOption func(*Publisher)

// WithAttributes makes the publisher publish only the changes that alter one
// of attrs (see [Change.Changed]), and cut the images down to the keys, attrs,
// the attributes of [WithCarried] and the version attribute: subscribers get
// what they copy, messages stay far below SNS's size limit, and writes that
// touch nothing copied cost nothing downstream. A Remove whose record
// carries keys only (stream view type NEW_IMAGE or KEYS_ONLY) is published
// all the same: its keys are all a subscriber has to delete its copy by
// (see [Copier].SourceKey).
func WithAttributes(attrs ...string) PublisherOption {
	return func(p *Publisher) { p.attrs = append(p.attrs, attrs...) }
}

// WithCarried keeps attrs in the images of the changes [WithAttributes]
// publishes, without making a change to them worth publishing on its own:
// the id a subscriber finds its copy by (a [Copier]'s SourceID), a type
// attribute its filter reads.
func WithCarried(attrs ...string) PublisherOption {
	return func(p *Publisher) { p.carried = append(p.carried, attrs...) }
}

// WithVersionAttribute names the owner model's version attribute (see
// repository.WithVersion). Each change then carries the item's version,
// which orders changes to one item exactly (see [Change.Order]; not for
// owners whose ids are natural keys that a new item may reuse).
func WithVersionAttribute(attr string) PublisherOption {
	return func(p *Publisher) { p.versionAttr = attr }
}

// WithFilter makes the publisher skip changes for which keep returns false,
// e.g. the items of other entity types in a single-table design. A Remove
// whose record carries keys only has no image: keep sees [Change.Keys].
func WithFilter(keep func(Change) bool) PublisherOption {
	return func(p *Publisher) { p.filter = keep }
}

// WithPublishRetry sets how often a batch SNS refuses, in whole or in part,
// is sent again (attempts in all, default 5), with full-jitter exponential
// backoff between base and limit (default 50ms and 2s).
func WithPublishRetry(attempts int, base, limit time.Duration) PublisherOption {
	return func(p *Publisher) { p.attempts, p.base, p.limit = attempts, base, limit }
}

// DefaultPublisherConcurrency is how many PublishBatch requests a
// [Publisher] sends at once unless told otherwise
// ([WithPublisherConcurrency]).
const DefaultPublisherConcurrency = 4

// WithPublisherConcurrency sets how many PublishBatch requests one
// [Publisher.Publish] call sends at once, at most: n from 1 (one after
// another) up; below 1 means [DefaultPublisherConcurrency], the default.
// Requests that hold changes of one item are never sent at once, whatever
// n. More than one request is sent only for more than ten changes, as a
// [StreamReader] catching up or a Lambda batch hands over.
func WithPublisherConcurrency(n int) PublisherOption {
	return func(p *Publisher) { p.concurrency = n }
}

// WithPublisherLogger sets where the publisher logs retries (default: nowhere).
func WithPublisherLogger(l *slog.Logger) PublisherOption {
	return func(p *Publisher) { p.logger = l }
}

// NewPublisher returns a Publisher that publishes to the topic topicARN
// through client.
func NewPublisher(client SNSClient, topicARN string, opts ...PublisherOption) *Publisher {
	p := &Publisher{
		client: client, topic: topicARN, fifo: strings.HasSuffix(topicARN, ".fifo"),
		attempts: 5, base: 50 * time.Millisecond, limit: 2 * time.Second,
	}
	for _, o := range opts {
		if o != nil {
			o(p)
		}
	}
	if p.attempts < 1 {
		p.attempts = 1
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if len(p.attrs) > 0 {
		p.keep = map[string]bool{}
		for _, a := range append(p.attrs, p.carried...) {
			p.keep[a] = true
		}
		if p.versionAttr != "" {
			p.keep[p.versionAttr] = true
		}
	}
	return p
}

// prepared is a change ready to send.
type prepared struct {
	change Change
	body   string
	attrs  map[string]snstypes.MessageAttributeValue
	size   int // MessageSize(body, attrs)
}

// Publish publishes changes in order, in PublishBatch requests of at most
// ten messages and [MaxMessageSize] bytes together (bodies and message
// attributes, counted as SNS counts them). Changes the options filter out
// are skipped. A change whose message would exceed [MaxMessageSize] is
// stored in S3 and published as a pointer when the publisher has [WithS3]
// (see [Claim]); without it, it is refused with [ErrMessageTooLarge]
// before anything is sent.
//
// Up to [WithPublisherConcurrency] requests are sent at once, but never two
// that hold changes of one item (one table and key): a later change to an
// item is sent only once SNS has accepted the earlier one, so it never
// overtakes it (on a FIFO topic, a message group's order is kept).
//
// Publish returns nil when every change was accepted by SNS, else a
// [*PublishError] holding the changes not published, in order: those SNS
// refused in the first request that failed, and every change after that
// request (sent at the same time or not, accepted or not), so that a
// later change to an item never overtakes an earlier one. Publishing them
// again is safe, as subscribers apply a change once.
func (p *Publisher) Publish(ctx context.Context, changes ...Change) error {
	ready := make([]prepared, 0, len(changes))
	for i, c := range changes {
		c, ok := p.prepare(c)
		if !ok {
			continue
		}
		r, err := p.encode(ctx, c)
		if err != nil {
			return &PublishError{Unpublished: p.rest(ready, changes[i:]), Err: err}
		}
		ready = append(ready, r)
	}
	var batches [][]prepared
	for len(ready) > 0 {
		n, size := 0, 0
		for n < len(ready) && n < maxBatch && size+ready[n].size <= MaxMessageSize {
			size += ready[n].size
			n++
		}
		batches = append(batches, ready[:n])
		ready = ready[n:]
	}
	errs := p.sendAll(ctx, batches)
	for i, err := range errs {
		if err == nil {
			continue
		}
		var pe *PublishError
		if errors.As(err, &pe) {
			for _, b := range batches[i+1:] {
				pe.Unpublished = append(pe.Unpublished, changesOf(b)...)
			}
		}
		return err
	}
	return nil
}

// sendAll sends batches, up to p.concurrency at once, never two with
// changes of one item at once, and stops starting new ones at the first
// failure. errs[i] is the outcome of batches[i]; a batch not sent has none.
func (p *Publisher) sendAll(ctx context.Context, batches [][]prepared) (errs []error) {
	errs = make([]error, len(batches))
	workers := p.concurrency
	if workers < 1 {
		workers = DefaultPublisherConcurrency
	}
	if workers == 1 || len(batches) == 1 {
		for i, b := range batches {
			if errs[i] = p.send(ctx, b); errs[i] != nil {
				break
			}
		}
		return errs
	}
	type result struct {
		i   int
		err error
	}
	results := make(chan result)
	busy := map[string]bool{} // items of the batches in flight
	conflicts := func(b []prepared) bool {
		for _, r := range b {
			if busy[itemOf(r.change)] {
				return true
			}
		}
		return false
	}
	next, running, failed := 0, 0, false
	for {
		for !failed && next < len(batches) && running < workers && !conflicts(batches[next]) {
			i := next
			for _, r := range batches[i] {
				busy[itemOf(r.change)] = true
			}
			next++
			running++
			go func() { results <- result{i, p.send(ctx, batches[i])} }()
		}
		if running == 0 {
			return errs // all sent, or stopped at a failure
		}
		r := <-results
		running--
		for _, c := range batches[r.i] {
			delete(busy, itemOf(c.change))
		}
		if errs[r.i] = r.err; r.err != nil {
			failed = true
		}
	}
}

// encode turns c into a message: its JSON body and message attributes.
func (p *Publisher) encode(ctx context.Context, c Change) (prepared, error) {
	body, err := c.MarshalJSON()
	if err != nil {
		return prepared{}, err
	}
	r := prepared{change: c, body: string(body), attrs: p.attributes(c)}
	r.size = MessageSize(r.body, r.attrs)
	if r.size > MaxMessageSize && p.s3 != nil {
		ptr, err := p.store(ctx, c, body)
		if err != nil {
			return prepared{}, err
		}
		if body, err = ptr.MarshalJSON(); err != nil {
			return prepared{}, err
		}
		r.body = string(body)
		r.size = MessageSize(r.body, r.attrs)
	}
	if r.size > MaxMessageSize {
		return prepared{}, fmt.Errorf("%w: change %s of %s is %d bytes with its message attributes, limit %d",
			ErrMessageTooLarge, c.EventID, c.Table, r.size, MaxMessageSize)
	}
	return r, nil
}

// attributes returns the message attributes of c's message.
func (p *Publisher) attributes(c Change) map[string]snstypes.MessageAttributeValue {
	// SNS refuses an attribute with an empty value.
	attrs := make(map[string]snstypes.MessageAttributeValue, 2)
	if c.Table != "" {
		attrs["table"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(c.Table)}
	}
	attrs["event"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(string(c.Event))}
	return attrs
}

// rest lists what is unpublished when preparing fails: nothing was sent yet.
func (p *Publisher) rest(ready []prepared, from []Change) []Change {
	out := make([]Change, 0, len(ready)+len(from))
	for _, r := range ready {
		out = append(out, r.change)
	}
	return append(out, from...)
}

// prepare applies the options to c; ok is false when c is not published.
//
// A Remove whose record carries keys only (a stream of view type NEW_IMAGE
// or KEYS_ONLY) is always published (subscribers find their copies by its
// keys), with the version [RemovedVersion] when the publisher knows the
// version attribute.
func (p *Publisher) prepare(c Change) (Change, bool) {
	keysOnly := c.Event == Remove && c.Old == nil
	if p.versionAttr != "" && c.Version == 0 {
		if n, ok := c.Image()[p.versionAttr].(*types.AttributeValueMemberN); ok {
			c.Version, _ = strconv.ParseInt(n.Value, 10, 64)
		} else if keysOnly {
			c.Version = RemovedVersion
		}
	}
	if p.filter != nil && !p.filter(c) {
		return c, false
	}
	if p.keep != nil {
		if !keysOnly && !slices.ContainsFunc(p.attrs, c.Changed) {
			return c, false
		}
		c = c.trim(p.keep)
	}
	return c, true
}

// send publishes one batch, retrying the entries SNS refuses.
func (p *Publisher) send(ctx context.Context, batch []prepared) (err error) {
	ctx, end := startSpan(ctx, p.tracer, spanPublishBatch, trace.SpanKindProducer,
		attribute.String("messaging.system", "aws_sns"),
		attribute.String("messaging.operation.type", "send"),
		attribute.String("messaging.destination.name", p.topic),
		attribute.Int("messaging.batch.message_count", len(batch)))
	defer func() { end(err) }()
	pending := batch
	var last error
	for attempt := 0; attempt < p.attempts; attempt++ {
		if attempt > 0 {
			p.logger.InfoContext(ctx, "sync: publishing again", "topic", p.topic, "entries", len(pending), "attempt", attempt+1, "error", last)
			spanEvent(ctx, "publish again", attribute.Int("messaging.batch.message_count", len(pending)), attribute.Int("tablestakes.attempt", attempt+1))
			if err := backoff.Sleep(ctx, attempt-1, p.base, p.limit); err != nil {
				return &PublishError{Unpublished: changesOf(pending), Err: err}
			}
		}
		in := &sns.PublishBatchInput{TopicArn: aws.String(p.topic)}
		for i, r := range pending {
			in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, p.entry(strconv.Itoa(i), r))
		}
		out, err := p.client.PublishBatch(ctx, in)
		if err != nil {
			last = err
			if ctx.Err() != nil || refused(err) {
				break // sending the same request again cannot help
			}
			continue
		}
		if len(out.Failed) == 0 {
			return nil
		}
		failed := make([]int, 0, len(out.Failed))
		senderFault := false
		for _, f := range out.Failed {
			i, err := strconv.Atoi(aws.ToString(f.Id))
			if err != nil || i < 0 || i >= len(pending) {
				return &PublishError{Unpublished: changesOf(pending), Err: fmt.Errorf("sync: SNS reported a failure for unknown entry %q", aws.ToString(f.Id))}
			}
			failed = append(failed, i)
			last = fmt.Errorf("sync: SNS refused change %s: %s: %s", pending[i].change.EventID, aws.ToString(f.Code), aws.ToString(f.Message))
			senderFault = senderFault || f.SenderFault
		}
		sort.Ints(failed)
		pending = pick(pending, failed)
		if senderFault {
			// The request itself is wrong: sending it again cannot help.
			return &PublishError{Unpublished: changesOf(pending), Err: last}
		}
	}
	return &PublishError{Unpublished: changesOf(pending), Err: last}
}

// refused reports whether SNS refused a whole request for what it holds:
// the same request would be refused again.
func refused(err error) bool {
	var (
		tooLong  *snstypes.BatchRequestTooLongException
		tooMany  *snstypes.TooManyEntriesInBatchRequestException
		empty    *snstypes.EmptyBatchRequestException
		dupIDs   *snstypes.BatchEntryIdsNotDistinctException
		badID    *snstypes.InvalidBatchEntryIdException
		param    *snstypes.InvalidParameterException
		value    *snstypes.InvalidParameterValueException
		notFound *snstypes.NotFoundException
		denied   *snstypes.AuthorizationErrorException
	)
	return errors.As(err, &tooLong) || errors.As(err, &tooMany) || errors.As(err, &empty) ||
		errors.As(err, &dupIDs) || errors.As(err, &badID) || errors.As(err, &param) ||
		errors.As(err, &value) || errors.As(err, &notFound) || errors.As(err, &denied)
}

func pick(from []prepared, idx []int) []prepared {
	out := make([]prepared, 0, len(idx))
	for _, i := range idx {
		out = append(out, from[i])
	}
	return out
}

func changesOf(rs []prepared) []Change {
	out := make([]Change, len(rs))
	for i, r := range rs {
		out[i] = r.change
	}
	return out
}

func (p *Publisher) entry(id string, r prepared) snstypes.PublishBatchRequestEntry {
	e := snstypes.PublishBatchRequestEntry{
		Id:                aws.String(id),
		Message:           aws.String(r.body),
		MessageAttributes: r.attrs,
	}
	if p.fifo {
		e.MessageGroupId = aws.String(groupOf(r.change))
		dedup := r.change.EventID
		if dedup == "" {
			dedup = r.change.Order()
		}
		e.MessageDeduplicationId = aws.String(dedup)
	}
	return e
}

// groupOf returns a FIFO message group id for c's item: a hash of its table
// and key, which fits the 128-character limit whatever the key.
func groupOf(c Change) string {
	b, _ := attributevalue.MarshalMapJSON(c.Keys) // map keys are sorted: stable
	h := sha256.Sum256(append([]byte(c.Table+"\x00"), b...))
	return hex.EncodeToString(h[:])
}

// HandleDynamoDBEvent is a Lambda handler for a DynamoDB stream event source
// mapping: it publishes the event's changes and reports the records it could
// not publish as batch item failures, so Lambda sends them again (enable
// ReportBatchItemFailures on the mapping). Wire it with
// lambda.Start(publisher.HandleDynamoDBEvent).
func (p *Publisher) HandleDynamoDBEvent(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	changes := make([]Change, 0, len(ev.Records))
	var failed string
	for _, rec := range ev.Records {
		c, err := FromLambdaRecord(rec)
		if err != nil {
			p.logger.ErrorContext(ctx, "sync: unreadable stream record", "error", err)
			failed = rec.Change.SequenceNumber
			break
		}
		changes = append(changes, c)
	}
	if err := p.Publish(ctx, changes...); err != nil {
		var pe *PublishError
		if !errors.As(err, &pe) || len(pe.Unpublished) == 0 {
			return events.DynamoDBEventResponse{}, err
		}
		p.logger.ErrorContext(ctx, "sync: changes not published", "count", len(pe.Unpublished), "error", pe.Err)
		failed = pe.Unpublished[0].Sequence
	}
	var resp events.DynamoDBEventResponse
	if failed != "" {
		// Lambda resumes from the lowest failed sequence number.
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed}}
	}
	return resp, nil
}
