package sync_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	stdsync "sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/tablestakes/tablestakes/internal/awsfake"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// recorder is a TracerProvider that keeps every span it starts, written
// against the OpenTelemetry API alone (the library's graph holds no SDK).
type recorder struct {
	embedded.TracerProvider
	mu    stdsync.Mutex
	spans []*recordedSpan
}

type recordedSpan struct {
	embedded.Span
	rec    *recorder
	name   string
	parent trace.SpanID
	sc     trace.SpanContext
	attrs  []attribute.KeyValue
	events []string
	status codes.Code
	ended  bool
}

type recordingTracer struct {
	embedded.Tracer
	rec *recorder
}

func (r *recorder) Tracer(string, ...trace.TracerOption) trace.Tracer { return recordingTracer{rec: r} }

func (t recordingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	parent := trace.SpanContextFromContext(ctx)
	if parent.IsValid() {
		tid = parent.TraceID()
	}
	s := &recordedSpan{rec: t.rec, name: name, parent: parent.SpanID(), attrs: cfg.Attributes(),
		sc: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})}
	t.rec.mu.Lock()
	t.rec.spans = append(t.rec.spans, s)
	t.rec.mu.Unlock()
	return trace.ContextWithSpan(ctx, s), s
}

func (s *recordedSpan) End(...trace.SpanEndOption) {
	s.rec.mu.Lock()
	s.ended = true
	s.rec.mu.Unlock()
}
func (s *recordedSpan) AddEvent(name string, _ ...trace.EventOption) {
	s.rec.mu.Lock()
	s.events = append(s.events, name)
	s.rec.mu.Unlock()
}
func (s *recordedSpan) AddLink(trace.Link)                      {}
func (s *recordedSpan) IsRecording() bool                       { return true }
func (s *recordedSpan) RecordError(error, ...trace.EventOption) {}
func (s *recordedSpan) SpanContext() trace.SpanContext          { return s.sc }
func (s *recordedSpan) SetStatus(c codes.Code, _ string) {
	s.rec.mu.Lock()
	s.status = c
	s.rec.mu.Unlock()
}
func (s *recordedSpan) SetName(name string)                    { s.name = name }
func (s *recordedSpan) SetAttributes(kv ...attribute.KeyValue) { s.attrs = append(s.attrs, kv...) }
func (s *recordedSpan) TracerProvider() trace.TracerProvider   { return s.rec }

// named returns the spans called name, in start order.
func (r *recorder) named(name string) []*recordedSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*recordedSpan
	for _, s := range r.spans {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

// childrenOf returns the names of the spans whose parent is p.
func (r *recorder) childrenOf(p *recordedSpan) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.spans {
		if s.parent == p.sc.SpanID() {
			out = append(out, s.name)
		}
	}
	return out
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.spans)
}

func attr(s *recordedSpan, key string) string {
	for _, kv := range s.attrs {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// TestSpans reads the spans of the sync path: a stream batch with the
// publish batches under it, and a subscriber's batch with its applies under
// it; a failure marks its span; without a provider nothing is recorded.
func TestSpans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &recorder{}

	// Owner side: a stream batch of 25 changes, published in three batches.
	seqs := make([]string, 25)
	for i := range seqs {
		seqs[i] = fmt.Sprint(100 + i)
	}
	stream := &fakeStream{shards: []fakeShard{{id: "shard-1", seqs: seqs}}}
	topic := &awsfake.SNS{}
	pub := tssync.NewPublisher(topic, topicARN, fast, tssync.WithPublisherTracerProvider(rec))
	r := tssync.NewStreamReader(stream, fakeARN, tssync.WithPollInterval(time.Millisecond), tssync.WithReaderTracerProvider(rec))
	rctx, cancel := context.WithCancel(ctx)
	require.ErrorIs(t, r.Read(rctx, func(ctx context.Context, cs []tssync.Change) error {
		defer cancel()
		return pub.Publish(ctx, cs...)
	}), context.Canceled)
	batches := rec.named("sync.StreamReader.batch")
	require.Len(t, batches, 1)
	b := batches[0]
	require.True(t, b.ended)
	require.Equal(t, "shard-1", attr(b, "tablestakes.shard_id"))
	require.Equal(t, fakeARN, attr(b, "aws.dynamodb.stream_arn"))
	require.Equal(t, "25", attr(b, "tablestakes.records"))
	require.Equal(t, []string{"sync.Publisher.PublishBatch", "sync.Publisher.PublishBatch", "sync.Publisher.PublishBatch"}, rec.childrenOf(b))
	var counts []string
	for _, p := range rec.named("sync.Publisher.PublishBatch") {
		require.True(t, p.ended)
		require.Equal(t, codes.Unset, p.status)
		require.Equal(t, topicARN, attr(p, "messaging.destination.name"))
		require.Equal(t, "aws_sns", attr(p, "messaging.system"))
		counts = append(counts, attr(p, "messaging.batch.message_count"))
	}
	require.Equal(t, []string{"10", "10", "5"}, counts)

	// Subscriber side: a Lambda event of three changes, one failing.
	var ev events.SQSEvent
	for i, c := range interleaved([]string{"a", "b", "c"}, 1) {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: body(t, c)})
	}
	sub := tssync.NewSubscriber(tssync.HandlerFunc(func(ctx context.Context, c tssync.Change) error {
		if !trace.SpanFromContext(ctx).IsRecording() {
			return errors.New("the handler runs outside the apply span")
		}
		if c.EventID == "b-v1" {
			return errors.New("refused by the test")
		}
		return nil
	}), tssync.WithSubscriberTracerProvider(rec))
	resp, err := sub.HandleSQSEvent(ctx, ev)
	require.NoError(t, err)
	require.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "m1"}}, resp.BatchItemFailures)
	subBatches := rec.named("sync.Subscriber.batch")
	require.Len(t, subBatches, 1)
	sb := subBatches[0]
	require.True(t, sb.ended)
	require.Equal(t, "3", attr(sb, "messaging.batch.message_count"))
	require.Equal(t, codes.Error, sb.status, "a change of the batch failed")
	require.Equal(t, []string{"sync.Subscriber.Apply", "sync.Subscriber.Apply", "sync.Subscriber.Apply"}, rec.childrenOf(sb))
	failed := 0
	for _, a := range rec.named("sync.Subscriber.Apply") {
		require.True(t, a.ended)
		require.Equal(t, `["companies"]`, attr(a, "aws.dynamodb.table_names"))
		if attr(a, "tablestakes.event_id") == "b-v1" {
			require.Equal(t, codes.Error, a.status)
			failed++
		} else {
			require.Equal(t, codes.Unset, a.status)
		}
	}
	require.Equal(t, 1, failed)

	// Receive: the batch span ends once its last change is applied.
	queue := &awsfake.SQS{}
	url := queue.CreateQueue("traced")
	for _, c := range interleaved([]string{"d", "e"}, 2) {
		queue.Send(url, body(t, c))
	}
	before := len(rec.named("sync.Subscriber.Apply"))
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- sub.Receive(sctx, queue, url, tssync.WithWaitTime(time.Second)) }()
	eventually(t, "every message applied", func() (bool, string) { return queue.Len(url) == 0, fmt.Sprint(queue.Len(url), " left") })
	stop()
	require.ErrorIs(t, <-done, context.Canceled)
	subBatches = rec.named("sync.Subscriber.batch")
	require.Len(t, subBatches, 2)
	require.True(t, subBatches[1].ended)
	require.Equal(t, codes.Unset, subBatches[1].status)
	require.Len(t, rec.childrenOf(subBatches[1]), 4)
	require.Len(t, rec.named("sync.Subscriber.Apply"), before+4)

	// Without providers nothing is recorded, and handlers see no span.
	n := rec.len()
	quiet := tssync.NewSubscriber(tssync.HandlerFunc(func(ctx context.Context, _ tssync.Change) error {
		if trace.SpanFromContext(ctx).IsRecording() {
			return errors.New("a span without a provider")
		}
		return nil
	}))
	resp, err = quiet.HandleSQSEvent(ctx, ev)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.NoError(t, tssync.NewPublisher(topic, topicARN).Publish(ctx, changes(3)...))
	require.Equal(t, n, rec.len())
}
