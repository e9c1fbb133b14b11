package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/internal/awsfake"
	tssync "github.com/tablestakes/tablestakes/sync"
)

const topicARN = "arn:aws:sns:us-east-1:000000000000:changes"

// bigChanges returns count changes whose old and new images each hold a
// string of size bytes: about 2*size bytes per message.
func bigChanges(count, size int) []tssync.Change {
	cs := changes(count)
	for i := range cs {
		cs[i].Old["notes"] = s(strings.Repeat("o", size))
		cs[i].New["notes"] = s(strings.Repeat("n", size))
	}
	return cs
}

// TestPublishSplitsBatchesByBytes publishes ten changes of about 60 KB:
// one PublishBatch of ten would be refused (BatchRequestTooLong), so the
// publisher sends as many per batch as fit in 262,144 bytes.
func TestPublishSplitsBatchesByBytes(t *testing.T) {
	fake := &awsfake.SNS{}
	p := tssync.NewPublisher(fake, topicARN, fast)
	cs := bigChanges(10, 30_000)
	if err := p.Publish(context.Background(), cs...); err != nil {
		t.Fatalf("Publish(10 changes of ~60 KB) = %v; want nil", err)
	}
	got := fake.Published()
	require.Len(t, got, 10)
	for i, m := range got {
		c, err := tssync.ParseMessage(m.Body)
		require.NoError(t, err)
		require.Equal(t, cs[i].EventID, c.EventID, "changes are published in order")
	}
	if calls := fake.Calls(); calls < 3 || calls > 4 {
		t.Errorf("PublishBatch calls = %d; want 3 or 4 (four ~60 KB messages fit in 256 KiB)", calls)
	}
}

// TestPublishLambdaEventOfLargeChanges: the same ten changes from a Lambda
// stream event are all published, no record handed back.
func TestPublishLambdaEventOfLargeChanges(t *testing.T) {
	fake := &awsfake.SNS{}
	p := tssync.NewPublisher(fake, topicARN, fast)
	var ev events.DynamoDBEvent
	for i := range 10 {
		big := events.NewStringAttribute(strings.Repeat("x", 30_000))
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{
			EventID: fmt.Sprint("e", i), EventName: "MODIFY",
			EventSourceArn: "arn:aws:dynamodb:us-east-1:000000000000:table/companies/stream/2026-11-25T00:00:00.000",
			Change: events.DynamoDBStreamRecord{
				SequenceNumber: fmt.Sprint(1000 + i),
				Keys:           map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(fmt.Sprint("C#", i))},
				OldImage:       map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(fmt.Sprint("C#", i)), "notes": big},
				NewImage:       map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(fmt.Sprint("C#", i)), "notes": big},
			},
		})
	}
	resp, err := p.HandleDynamoDBEvent(context.Background(), ev)
	require.NoError(t, err)
	if len(resp.BatchItemFailures) > 0 {
		t.Fatalf("HandleDynamoDBEvent failures = %v; want none", resp.BatchItemFailures)
	}
	require.Len(t, fake.Published(), 10)
}

// TestPublishCountsMessageAttributes: a body that fits on its own but not
// with its message attributes is too large, refused before sending.
func TestPublishCountsMessageAttributes(t *testing.T) {
	fake := &awsfake.SNS{}
	p := tssync.NewPublisher(fake, topicARN, fast)
	c := changes(1)[0]
	b, err := c.MarshalJSON()
	require.NoError(t, err)
	// Grow the body to exactly MaxMessageSize bytes.
	c.New["notes"] = s("x" + strings.Repeat("x", tssync.MaxMessageSize-len(b)))
	b, err = c.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, tssync.MaxMessageSize, len(b))

	err = p.Publish(context.Background(), c)
	if !errors.Is(err, tssync.ErrMessageTooLarge) {
		t.Fatalf("Publish(body of %d bytes plus attributes) = %v; want ErrMessageTooLarge", len(b), err)
	}
	require.Zero(t, fake.Calls(), "refused before sending")
}

// TestPublishStopsOnRefusedRequest: a request SNS refuses as a whole for the
// sender's fault is not sent again unchanged.
func TestPublishStopsOnRefusedRequest(t *testing.T) {
	fake := &awsfake.SNS{}
	p := tssync.NewPublisher(fake, "", tssync.WithPublishRetry(5, time.Microsecond, time.Millisecond))
	err := p.Publish(context.Background(), changes(2)...)
	require.ErrorIs(t, err, tssync.ErrUnpublished)
	require.Equal(t, 1, fake.Calls(), "a request refused for the sender's fault is not retried")
}

// TestSubscriberOverFakes runs publisher and subscriber through the SNS and
// SQS doubles, envelope and raw delivery, with changes large enough that
// batches split by bytes.
func TestSubscriberOverFakes(t *testing.T) {
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprint("raw=", raw), func(t *testing.T) {
			topic, queue := &awsfake.SNS{}, &awsfake.SQS{}
			url := queue.CreateQueue("stats")
			topic.Subscribe(topicARN, queue, url, raw)
			p := tssync.NewPublisher(topic, topicARN, fast)
			cs := bigChanges(25, 20_000)
			require.NoError(t, p.Publish(context.Background(), cs...))

			var (
				mu  stdsync.Mutex
				got []string
			)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sub := tssync.NewSubscriber(tssync.HandlerFunc(func(_ context.Context, c tssync.Change) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, c.EventID)
				if len(got) == len(cs) {
					cancel()
				}
				return nil
			}))
			err := sub.Receive(ctx, queue, url, tssync.WithWaitTime(time.Second))
			require.ErrorIs(t, err, context.Canceled)
			// Changes of different items are applied concurrently: in
			// any order.
			require.ElementsMatch(t, ids(cs), got)
			require.Zero(t, queue.Len(url), "every message applied is deleted")
		})
	}
}

var _ = aws.String
var _ types.AttributeValue
