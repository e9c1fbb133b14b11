package sync_test

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/internal/awsfake"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// itemChange is change v (a version from 1) of item id.
func itemChange(id string, v int) tssync.Change {
	return tssync.Change{
		EventID: fmt.Sprintf("%s-v%d", id, v), Event: tssync.Modify, Table: "companies", Version: int64(v),
		Sequence: fmt.Sprint(1000 + v),
		Keys:     map[string]types.AttributeValue{"pk": s("C#" + id)},
		New:      map[string]types.AttributeValue{"pk": s("C#" + id), "id": s(id), "version": n(fmt.Sprint(v))},
	}
}

// interleaved returns versions 1 to perItem of each item, interleaved:
// a-v1, b-v1, ..., a-v2, b-v2, ...
func interleaved(items []string, perItem int) []tssync.Change {
	var out []tssync.Change
	for v := 1; v <= perItem; v++ {
		for _, id := range items {
			out = append(out, itemChange(id, v))
		}
	}
	return out
}

func body(t *testing.T, c tssync.Change) string {
	t.Helper()
	b, err := c.MarshalJSON()
	require.NoError(t, err)
	return string(b)
}

// applyLog records what a handler applied: each item's versions in the
// order applied, how many changes were applied at once at most, and
// whether two changes of one item ever overlapped.
type applyLog struct {
	mu       stdsync.Mutex
	versions map[string][]int64
	running  int
	peak     int
	busy     map[string]bool
	overlaps int
}

func newApplyLog() *applyLog {
	return &applyLog{versions: map[string][]int64{}, busy: map[string]bool{}}
}

// handler applies a change in about d, failing those fail reports.
func (l *applyLog) handler(d time.Duration, fail func(tssync.Change) bool) tssync.Handler {
	return tssync.HandlerFunc(func(_ context.Context, c tssync.Change) error {
		id := c.Keys["pk"].(*types.AttributeValueMemberS).Value
		l.mu.Lock()
		l.running++
		l.peak = max(l.peak, l.running)
		if l.busy[id] {
			l.overlaps++
		}
		l.busy[id] = true
		l.mu.Unlock()
		time.Sleep(d)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.running--
		l.busy[id] = false
		if fail != nil && fail(c) {
			return errors.New("refused by the test")
		}
		l.versions[id] = append(l.versions[id], c.Version)
		return nil
	})
}

// TestReceiveAppliesItemsConcurrently: Receive applies the changes of
// different items at once, never more than WithSubscriberConcurrency, and
// those of one item one after another in the order received; every message
// applied is deleted.
func TestReceiveAppliesItemsConcurrently(t *testing.T) {
	t.Parallel()
	queue := &awsfake.SQS{}
	url := queue.CreateQueue("stats")
	items := []string{"a", "b", "c", "d", "e"}
	cs := interleaved(items, 6)
	for _, c := range cs {
		queue.Send(url, body(t, c))
	}
	log := newApplyLog()
	sub := tssync.NewSubscriber(log.handler(5*time.Millisecond, nil), tssync.WithSubscriberConcurrency(3))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Receive(ctx, queue, url, tssync.WithWaitTime(0)) }()
	eventually(t, "every message applied and deleted", func() (bool, string) {
		return queue.Len(url) == 0, fmt.Sprintf("%d messages left; counts %+v", queue.Len(url), sub.Counts())
	})
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	log.mu.Lock()
	defer log.mu.Unlock()
	for _, id := range items {
		require.Equal(t, []int64{1, 2, 3, 4, 5, 6}, log.versions["C#"+id], "item %s: its changes in the order received", id)
	}
	require.Zero(t, log.overlaps, "two changes of one item applied at once")
	require.LessOrEqual(t, log.peak, 3, "applied at once")
	require.GreaterOrEqual(t, log.peak, 2, "applied at once")
	require.Equal(t, uint64(len(cs)), sub.Counts().Applied)
}

// TestReceiveKeepsFailuresAndReceivesAhead: a message whose change fails is
// not deleted (it is delivered again after its visibility timeout), the
// others are; and the next batch is received while one is being applied.
func TestReceiveKeepsFailuresAndReceivesAhead(t *testing.T) {
	t.Parallel()
	queue := &awsfake.SQS{Visibility: time.Hour}
	url := queue.CreateQueue("stats")
	cs := interleaved([]string{"a", "b", "bad", "c"}, 5) // two batches of ten
	for _, c := range cs {
		queue.Send(url, body(t, c))
	}
	log := newApplyLog()
	var (
		once     stdsync.Once
		overlaps = make(chan bool, 1)
	)
	inner := log.handler(time.Millisecond, func(c tssync.Change) bool { return c.Keys["pk"].(*types.AttributeValueMemberS).Value == "C#bad" })
	sub := tssync.NewSubscriber(tssync.HandlerFunc(func(ctx context.Context, c tssync.Change) error {
		once.Do(func() {
			// The first change waits for Receive to ask for the next
			// batch: it does so while this one is applied.
			deadline := time.Now().Add(5 * time.Second)
			for queue.Calls("ReceiveMessage") < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			overlaps <- queue.Calls("ReceiveMessage") >= 2
		})
		return inner.Apply(ctx, c)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Receive(ctx, queue, url, tssync.WithWaitTime(time.Second)) }()
	eventually(t, "every good message deleted", func() (bool, string) {
		return queue.Len(url) == 5, fmt.Sprintf("%d messages left", queue.Len(url))
	})
	require.True(t, <-overlaps, "the next batch was received while the first was applied")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	log.mu.Lock()
	defer log.mu.Unlock()
	require.Empty(t, log.versions["C#bad"])
	for _, id := range []string{"C#a", "C#b", "C#c"} {
		require.Equal(t, []int64{1, 2, 3, 4, 5}, log.versions[id], id)
	}
}

// TestHandleSQSEventFailuresExact: with changes applied concurrently, the
// batch item failures are exactly the messages that failed, in the order
// of the event's records, and each item's changes apply in order.
func TestHandleSQSEventFailuresExact(t *testing.T) {
	t.Parallel()
	cs := interleaved([]string{"a", "b", "c", "d"}, 5)
	ev := events.SQSEvent{}
	for i, c := range cs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: body(t, c)})
	}
	ev.Records = append(ev.Records, events.SQSMessage{MessageId: "foreign", Body: "hello"})
	fails := map[string]bool{"b-v2": true, "d-v5": true, "a-v1": true}
	var want []string
	for i, c := range cs {
		if fails[c.EventID] {
			want = append(want, fmt.Sprint("m", i))
		}
	}
	for _, n := range []int{1, 3, 0} {
		t.Run(fmt.Sprint("concurrency=", n), func(t *testing.T) {
			log := newApplyLog()
			sub := tssync.NewSubscriber(log.handler(time.Millisecond, func(c tssync.Change) bool { return fails[c.EventID] }),
				tssync.WithSubscriberConcurrency(n))
			resp, err := sub.HandleSQSEvent(context.Background(), ev)
			require.NoError(t, err)
			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			require.Equal(t, want, got)
			require.Equal(t, []int64{2, 3, 4, 5}, log.versions["C#a"])
			require.Equal(t, []int64{1, 3, 4, 5}, log.versions["C#b"])
			require.Equal(t, []int64{1, 2, 3, 4}, log.versions["C#d"])
			require.Zero(t, log.overlaps)
			require.Equal(t, tssync.Counts{Applied: 17, Foreign: 1}, sub.Counts())
		})
	}
}

// TestHandleSNSEventJoinsErrors: HandleSNSEvent applies concurrently and
// returns the errors of the changes it could not apply, in record order.
func TestHandleSNSEventJoinsErrors(t *testing.T) {
	t.Parallel()
	cs := interleaved([]string{"a", "b"}, 3)
	var ev events.SNSEvent
	for i, c := range cs {
		ev.Records = append(ev.Records, events.SNSEventRecord{SNS: events.SNSEntity{MessageID: fmt.Sprint("m", i), Message: body(t, c), TopicArn: topicARN}})
	}
	log := newApplyLog()
	sub := tssync.NewSubscriber(log.handler(time.Millisecond, func(c tssync.Change) bool { return c.Version == 2 }), tssync.FromTopics(topicARN))
	err := sub.HandleSNSEvent(context.Background(), ev)
	require.EqualError(t, err, "message m2: refused by the test\nmessage m3: refused by the test")
	require.Equal(t, []int64{1, 3}, log.versions["C#a"])
	require.Equal(t, []int64{1, 3}, log.versions["C#b"])
}

// lockedStream is a fakeStream safe for the reader's concurrent calls, whose
// GetRecords waits, for the shards in hold, until all of them are being read.
type lockedStream struct {
	mu   stdsync.Mutex
	f    *fakeStream
	hold map[string]bool
	wait stdsync.WaitGroup
}

func (l *lockedStream) DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, o ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.DescribeStream(ctx, in, o...)
}

func (l *lockedStream) GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, o ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out, err := l.f.GetShardIterator(ctx, in, o...)
	if err == nil && l.hold[*in.ShardId] {
		delete(l.hold, *in.ShardId)
		l.wait.Done()
	}
	return out, err
}

func (l *lockedStream) GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, o ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	waited := make(chan struct{})
	go func() { l.wait.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		return nil, errors.New("the shards were not read concurrently")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.GetRecords(ctx, in, o...)
}

// TestStreamReaderReadsShardsConcurrently: three open shards are read at
// once (each GetRecords waits until all three have iterators), and a child
// shard only after its parent was read to its end.
func TestStreamReaderReadsShardsConcurrently(t *testing.T) {
	t.Parallel()
	l := &lockedStream{f: &fakeStream{shards: []fakeShard{
		{id: "one", seqs: []string{"100", "400"}},
		{id: "two", seqs: []string{"200", "500"}},
		{id: "old", seqs: []string{"150", "250"}, closed: true},
		{id: "three", parent: "old", seqs: []string{"300", "600"}},
	}}, hold: map[string]bool{"one": true, "two": true, "old": true}}
	l.wait.Add(3)
	r := tssync.NewStreamReader(l, fakeARN, tssync.WithPollInterval(time.Millisecond), tssync.WithReaderConcurrency(3))
	var (
		mu  stdsync.Mutex
		got []string
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := r.Read(ctx, func(_ context.Context, cs []tssync.Change) error {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			got = append(got, pkOf(c))
		}
		if len(got) == 8 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.ElementsMatch(t, []string{"100", "400", "200", "500", "150", "250", "300", "600"}, got)
	pos := func(pk string) int {
		for i, g := range got {
			if g == pk {
				return i
			}
		}
		return -1
	}
	require.Less(t, pos("250"), pos("300"), "the child after its parent: %v", got)
	require.Less(t, pos("100"), pos("400"))
	require.Less(t, pos("200"), pos("500"))
}

// concurrentSNS accepts PublishBatch requests after a pause, recording the
// changes it accepted, how many requests were in flight at most, and
// whether two in flight ever held changes of one item. It refuses every
// request holding the change with the event id refuse.
type concurrentSNS struct {
	refuse   string
	mu       stdsync.Mutex
	items    map[string]bool // items of the requests in flight
	running  int
	peak     int
	overlaps int
	accepted []string // event ids, in the order accepted
}

func (f *concurrentSNS) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	var cs []tssync.Change
	for _, e := range in.PublishBatchRequestEntries {
		c, err := tssync.ParseMessage(aws.ToString(e.Message))
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	f.mu.Lock()
	f.running++
	f.peak = max(f.peak, f.running)
	for _, c := range cs {
		if f.items[pkOf(c)] {
			f.overlaps++
		}
		f.items[pkOf(c)] = true
	}
	f.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running--
	refused := false
	for _, c := range cs {
		delete(f.items, pkOf(c))
		refused = refused || c.EventID == f.refuse
	}
	if refused {
		return nil, errors.New("refused by the test")
	}
	for _, c := range cs {
		f.accepted = append(f.accepted, c.EventID)
	}
	return &sns.PublishBatchOutput{}, nil
}

// TestPublishConcurrently: Publish sends up to WithPublisherConcurrency
// requests at once, never two holding changes of one item, so that each
// item's changes are accepted in order; after a request fails it starts no
// other, and the changes from that request on are unpublished.
func TestPublishConcurrently(t *testing.T) {
	t.Parallel()
	// 25 items, two changes each: i0..i24 at version 1, then again at
	// version 2. Requests 0, 1 and 2 (i20..i24 v1, i0..i4 v2) may go
	// together; request 2 conflicts with request 0.
	var cs []tssync.Change
	for k := range 50 {
		cs = append(cs, itemChange(fmt.Sprint("i", k%25), k/25+1))
	}
	opts := []tssync.PublisherOption{tssync.WithPublishRetry(2, time.Microsecond, time.Millisecond), tssync.WithPublisherConcurrency(3)}

	t.Run("accepted", func(t *testing.T) {
		f := &concurrentSNS{items: map[string]bool{}}
		require.NoError(t, tssync.NewPublisher(f, topicARN, opts...).Publish(context.Background(), cs...))
		require.ElementsMatch(t, ids(cs), f.accepted)
		require.Zero(t, f.overlaps, "two requests in flight held changes of one item")
		require.LessOrEqual(t, f.peak, 3)
		require.GreaterOrEqual(t, f.peak, 2)
		at := map[string]int{}
		for i, id := range f.accepted {
			at[id] = i
		}
		for k := range 25 {
			require.Less(t, at[fmt.Sprintf("i%d-v1", k)], at[fmt.Sprintf("i%d-v2", k)], "item i%d: version 1 accepted first", k)
		}
	})

	t.Run("refused", func(t *testing.T) {
		f := &concurrentSNS{items: map[string]bool{}, refuse: cs[12].EventID} // request 1: i10..i19 v1
		err := tssync.NewPublisher(f, topicARN, opts...).Publish(context.Background(), cs...)
		var pe *tssync.PublishError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, ids(cs[10:]), ids(pe.Unpublished), "request 1 and every change after it")
		for k := 10; k < 20; k++ {
			require.NotContains(t, f.accepted, fmt.Sprintf("i%d-v2", k), "a later change of an item whose earlier change failed was published")
		}
		require.Zero(t, f.overlaps)
	})
}
