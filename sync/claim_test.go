package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/internal/awsfake"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// TestClaimCheckOverFakes: a change over the message limit goes through S3;
// the subscriber fetches it; a change under the limit does not.
func TestClaimCheckOverFakes(t *testing.T) {
	ctx := context.Background()
	topic, queue, store := &awsfake.SNS{}, &awsfake.SQS{}, &awsfake.S3{}
	store.CreateBucket("changes")
	url := queue.CreateQueue("stats")
	topic.Subscribe(topicARN, queue, url, false)
	p := tssync.NewPublisher(topic, topicARN, fast, tssync.WithS3(store, "changes", "sync/"))
	cs := bigChanges(3, 300_000) // ~600 KB each
	cs[1] = changes(2)[1]        // a small one between
	require.NoError(t, p.Publish(ctx, cs...))
	msgs := topic.Published()
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		c, err := tssync.ParseMessage(m.Body)
		require.NoError(t, err)
		if big := i != 1; big != (c.Claim != nil) {
			t.Errorf("message %d: Claim = %+v; want one only for the large changes", i, c.Claim)
		}
	}
	require.NotNil(t, store.Object("changes", "sync/companies/e0.json"), "stored under prefix/table/event id")

	var mu stdsync.Mutex
	got := map[string]tssync.Change{} // by event id: changes of different items apply concurrently
	sub := tssync.NewSubscriber(tssync.HandlerFunc(func(_ context.Context, c tssync.Change) error {
		mu.Lock()
		defer mu.Unlock()
		got[c.EventID] = c
		return nil
	}), tssync.WithS3Claims(store, "changes"))
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, sub.Receive(rctx, queue, url, tssync.WithWaitTime(time.Second)), context.DeadlineExceeded)
	require.Len(t, got, 3)
	for i, want := range cs {
		c, ok := got[want.EventID]
		require.True(t, ok, "change %d applied", i)
		require.Nil(t, c.Claim)
		require.Equal(t, want.New, c.New, "change %d arrives whole", i)
		require.Equal(t, want.Old, c.Old)
	}
}

// TestClaimRefusals: a pointer the subscriber cannot or must not follow.
func TestClaimRefusals(t *testing.T) {
	ctx := context.Background()
	topic, store := &awsfake.SNS{}, &awsfake.S3{}
	store.CreateBucket("changes")
	p := tssync.NewPublisher(topic, topicARN, fast, tssync.WithS3(store, "changes", ""))
	require.NoError(t, p.Publish(ctx, bigChanges(1, 300_000)...))
	body := topic.Published()[0].Body
	h := &countingHandler{}

	// Without WithS3Claims: refused, so the message stays on its queue.
	if err := tssync.NewSubscriber(h).HandleMessage(ctx, body); !errors.Is(err, tssync.ErrClaim) {
		t.Errorf("HandleMessage(pointer) without WithS3Claims = %v; want ErrClaim", err)
	}
	// A bucket not declared: untrusted, skipped.
	other := tssync.NewSubscriber(h, tssync.WithS3Claims(store, "elsewhere"))
	require.NoError(t, other.HandleMessage(ctx, body))
	require.Equal(t, uint64(1), other.Counts().Untrusted)
	// An object that is not the one the message points to.
	obj := store.Object("changes", "companies/e0.json")
	store.SetObject("changes", "companies/e0.json", []byte(strings.Replace(string(obj), `"new`, `"NEW`, 1)))
	if err := tssync.NewSubscriber(h, tssync.WithS3Claims(store, "changes")).HandleMessage(ctx, body); !errors.Is(err, tssync.ErrClaim) {
		t.Errorf("HandleMessage(pointer to a changed object) = %v; want ErrClaim", err)
	}
	require.Empty(t, h.applied)

	// Without WithS3 the publisher refuses it, as before.
	err := tssync.NewPublisher(topic, topicARN, fast).Publish(ctx, bigChanges(1, 300_000)...)
	require.ErrorIs(t, err, tssync.ErrMessageTooLarge)
}

// TestClaimCheckOverTheWire: a 1 MB change travels through the local S3,
// SNS and SQS and is applied by a Copier.
func TestClaimCheckOverTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	s3c := ddbtest.S3(t)
	bucket := strings.ToLower(ddbtest.UniqueName(t, "claims"))
	if len(bucket) > 63 {
		bucket = bucket[len(bucket)-63:]
	}
	bucket = strings.Trim(strings.ReplaceAll(bucket, "_", "-"), "-")
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	sub := ddbtest.Subscribe(t, ddbtest.SNS(t), ddbtest.SQS(t), "big-changes")

	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	c := change(tssync.Insert, id, 1, "Acme")
	c.New["notes"] = s(strings.Repeat("n", 1<<20)) // the change is over 1 MB
	body, err := c.MarshalJSON()
	require.NoError(t, err)
	require.Greater(t, len(body), 1<<20)

	p := tssync.NewPublisher(ddbtest.SNS(t), sub.TopicARN, tssync.WithS3(s3c, bucket, "changes/"))
	require.NoError(t, p.Publish(ctx, c))

	subscriber := tssync.NewSubscriber(f.copier(), tssync.WithS3Claims(s3c, bucket), tssync.FromTopics(sub.TopicARN))
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	go func() { _ = subscriber.Receive(rctx, ddbtest.SQS(t), sub.QueueURL, tssync.WithWaitTime(time.Second)) }()
	eventually(t, "the copy of the 1 MB change", func() (bool, string) {
		st, err := f.stats.Get(ctx, id, repository.ConsistentRead())
		return err == nil && st.CompanyName == "Acme", "stats: " + st.CompanyName + " " + errString(err)
	})
	// Counted once the apply has returned, a moment after the copy is
	// written.
	eventually(t, "the apply counted", func() (bool, string) {
		n := subscriber.Counts().Applied
		return n == 1, fmt.Sprint("applied ", n)
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
