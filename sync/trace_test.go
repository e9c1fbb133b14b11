package sync_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/internal/awsfake"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// TestSpans reads the spans of the sync path: a stream batch with the
// publish batches under it, and a subscriber's batch with its applies under
// it; a failure marks its span; without a provider nothing is recorded.
func TestSpans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &ddbtest.Spans{}

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
	batches := rec.Named("sync.StreamReader.batch")
	require.Len(t, batches, 1)
	b := batches[0]
	require.True(t, b.Ended)
	require.Equal(t, "shard-1", b.Attr("tablestakes.shard_id"))
	require.Equal(t, fakeARN, b.Attr("aws.dynamodb.stream_arn"))
	require.Equal(t, "25", b.Attr("tablestakes.records"))
	require.Equal(t, []string{"sync.Publisher.PublishBatch", "sync.Publisher.PublishBatch", "sync.Publisher.PublishBatch"}, names(rec.Children(b)))
	var counts []string
	for _, p := range rec.Named("sync.Publisher.PublishBatch") {
		require.True(t, p.Ended)
		require.Equal(t, codes.Unset, p.Status)
		require.Equal(t, topicARN, p.Attr("messaging.destination.name"))
		require.Equal(t, "aws_sns", p.Attr("messaging.system"))
		counts = append(counts, p.Attr("messaging.batch.message_count"))
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
	subBatches := rec.Named("sync.Subscriber.batch")
	require.Len(t, subBatches, 1)
	sb := subBatches[0]
	require.True(t, sb.Ended)
	require.Equal(t, "3", sb.Attr("messaging.batch.message_count"))
	require.Equal(t, codes.Error, sb.Status, "a change of the batch failed")
	require.Equal(t, []string{"sync.Subscriber.Apply", "sync.Subscriber.Apply", "sync.Subscriber.Apply"}, names(rec.Children(sb)))
	failed := 0
	for _, a := range rec.Named("sync.Subscriber.Apply") {
		require.True(t, a.Ended)
		require.Equal(t, `["companies"]`, a.Attr("aws.dynamodb.table_names"))
		if a.Attr("tablestakes.event_id") == "b-v1" {
			require.Equal(t, codes.Error, a.Status)
			failed++
		} else {
			require.Equal(t, codes.Unset, a.Status)
		}
	}
	require.Equal(t, 1, failed)

	// Receive: the batch span ends once its last change is applied.
	queue := &awsfake.SQS{}
	url := queue.CreateQueue("traced")
	for _, c := range interleaved([]string{"d", "e"}, 2) {
		queue.Send(url, body(t, c))
	}
	before := len(rec.Named("sync.Subscriber.Apply"))
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- sub.Receive(sctx, queue, url, tssync.WithWaitTime(time.Second)) }()
	eventually(t, "every message applied", func() (bool, string) { return queue.Len(url) == 0, fmt.Sprint(queue.Len(url), " left") })
	stop()
	require.ErrorIs(t, <-done, context.Canceled)
	subBatches = rec.Named("sync.Subscriber.batch")
	require.Len(t, subBatches, 2)
	require.True(t, subBatches[1].Ended)
	require.Equal(t, codes.Unset, subBatches[1].Status)
	require.Len(t, names(rec.Children(subBatches[1])), 4)
	require.Len(t, rec.Named("sync.Subscriber.Apply"), before+4)

	// Without providers nothing is recorded, and handlers see no span.
	n := rec.Len()
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
	require.Equal(t, n, rec.Len())
}

// names returns the names of spans, in order.
func names(spans []ddbtest.Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name
	}
	return out
}
