package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// streamTimeout bounds each StreamReader test against a hang: DynamoDB
// Local hands a record over within milliseconds of the write, but a test
// making a hundred writes on a loaded two-core machine (the race detector,
// other packages' tests in parallel) needs seconds, so the bound is wide.
const streamTimeout = 30 * time.Second

// streamTable creates a table keyed by "pk" whose stream carries new and old
// images, and returns a client, its name and its stream ARN.
func streamTable(t *testing.T) (db *dynamodb.Client, table, streamARN string) {
	t.Helper()
	db = ddbtest.DynamoDB(t)
	decl := ddbtest.Table(t, db, index.Table{
		Name: "stream", PartitionKey: index.S("pk"), Stream: types.StreamViewTypeNewAndOldImages,
	})
	desc, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(decl.Name)})
	require.NoError(t, err)
	require.NotNil(t, desc.Table.LatestStreamArn, "the table has a stream")
	return db, decl.Name, aws.ToString(desc.Table.LatestStreamArn)
}

// putItem writes the item pk with the number attribute "n" through a plain
// PutItem, as any writer of the owner table might.
func putItem(ctx context.Context, db *dynamodb.Client, table, pk string, n int) error {
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item:      map[string]types.AttributeValue{"pk": s(pk), "n": num(n)},
	})
	return err
}

// num returns a number attribute value.
func num(i int) types.AttributeValue { return n(strconv.Itoa(i)) }

// pkOf returns the "pk" key of the item c changed, or "" when it has none.
func pkOf(c tssync.Change) string {
	if v, ok := c.Keys["pk"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// nOf returns the "n" attribute of the image c leaves (the old one for a
// Remove), or -1 when it has none.
func nOf(c tssync.Change) int {
	v, ok := c.Image()["n"].(*types.AttributeValueMemberN)
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(v.Value)
	if err != nil {
		return -1
	}
	return i
}

// eventIDs returns the event ids of cs, in order.
func eventIDs(cs []tssync.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.EventID
	}
	return out
}

// described renders cs as "EVENT pk" lines, for failures that read well.
func described(cs []tssync.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s %s", c.Event, pkOf(c))
	}
	return out
}

// seqLess reports whether stream sequence number a is smaller than b. Both
// are decimal numbers without leading zeros, of up to 40 digits.
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// errHandler is the error the failing handlers return.
var errHandler = errors.New("handler failed")

// TestStreamReaderResumesAfterHandlerError fails one batch and checks that
// the next Read on the same reader hands that batch over again first, and
// nothing handled before it, with nothing lost.
func TestStreamReaderResumesAfterHandlerError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// before items are written before the first Read; after items are
		// written by the handler of the first batch, before it returns.
		before, after []string
		// failOn is the number of the batch that fails, counting from 1.
		failOn int
	}{
		{name: "first batch fails", before: []string{"a", "b", "c"}, failOn: 1},
		{name: "second batch fails", before: []string{"a"}, after: []string{"b", "c"}, failOn: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, table, arn := streamTable(t)
			ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
			defer cancel()
			for i, pk := range tc.before {
				require.NoError(t, putItem(ctx, db, table, pk, i))
			}
			want := append(slices.Clone(tc.before), tc.after...)
			reader := tssync.NewStreamReader(ddbtest.Streams(t), arn, tssync.WithPollInterval(20*time.Millisecond))

			// The first Read hands over batches until the one that fails.
			var handled, failed []tssync.Change
			batches := 0
			err := reader.Read(ctx, func(_ context.Context, cs []tssync.Change) error {
				batches++
				if batches == tc.failOn {
					failed = cs
					return errHandler
				}
				handled = append(handled, cs...)
				if batches == 1 {
					for i, pk := range tc.after {
						if err := putItem(ctx, db, table, pk, len(tc.before)+i); err != nil {
							return fmt.Errorf("write %s: %w", pk, err)
						}
					}
				}
				return nil
			})
			if !errors.Is(err, errHandler) {
				t.Fatalf("first Read = %v; want the handler's error %v", err, errHandler)
			}
			require.NotEmpty(t, failed, "the failing batch holds records")

			// The second Read starts with the failed batch and goes on
			// from there; it is stopped once every write was handed over.
			rctx, stop := context.WithCancel(ctx)
			defer stop()
			var again []tssync.Change
			err = reader.Read(rctx, func(_ context.Context, cs []tssync.Change) error {
				again = append(again, cs...)
				if len(handled)+len(again) >= len(want) {
					stop()
				}
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("second Read = %v; want context.Canceled (handed over %q)", err, described(again))
			}
			require.GreaterOrEqual(t, len(again), len(failed), "the failed batch is handed over again")
			require.Equal(t, eventIDs(failed), eventIDs(again[:len(failed)]),
				"the second Read starts with the failed batch, in order")

			all := append(slices.Clone(handled), again...)
			var got []string
			for _, c := range all {
				require.Equal(t, tssync.Insert, c.Event, "change %s", c.EventID)
				require.Equal(t, table, c.Table, "change %s", c.EventID)
				got = append(got, pkOf(c))
			}
			require.Equal(t, want, got, "every write handed over once, in order, handled batches not again")
		})
	}
}

// pollSignal is a StreamsClient that closes polled once a GetRecords call
// has answered: by then the reader holds its shard iterator.
type pollSignal struct {
	tssync.StreamsClient
	once   sync.Once
	polled chan struct{}
}

// GetRecords calls the wrapped client's GetRecords and signals its first
// answer.
func (p *pollSignal) GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	out, err := p.StreamsClient.GetRecords(ctx, in, optFns...)
	if err == nil {
		p.once.Do(func() { close(p.polled) })
	}
	return out, err
}

// TestStreamReaderStart writes items before a new reader polls and after,
// and checks which of them each starting position hands over.
func TestStreamReaderStart(t *testing.T) {
	t.Parallel()
	before, after := []string{"before-1", "before-2"}, []string{"after-1", "after-2"}
	for _, tc := range []struct {
		name string
		opt  tssync.ReaderOption
		want []string
	}{
		{name: "FromTrimHorizon", opt: tssync.FromTrimHorizon(), want: append(slices.Clone(before), after...)},
		{name: "default", opt: nil, want: append(slices.Clone(before), after...)},
		{name: "FromLatest", opt: tssync.FromLatest(), want: after},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, table, arn := streamTable(t)
			ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
			defer cancel()
			for i, pk := range before {
				require.NoError(t, putItem(ctx, db, table, pk, i))
			}

			client := &pollSignal{StreamsClient: ddbtest.Streams(t), polled: make(chan struct{})}
			reader := tssync.NewStreamReader(client, arn, tssync.WithPollInterval(20*time.Millisecond), tc.opt)
			rctx, stop := context.WithCancel(ctx)
			defer stop()
			var got []string // written by the handler, read once Read has returned
			done := make(chan error, 1)
			go func() {
				done <- reader.Read(rctx, func(_ context.Context, cs []tssync.Change) error {
					for _, c := range cs {
						got = append(got, pkOf(c))
					}
					if len(got) >= len(tc.want) {
						stop()
					}
					return nil
				})
			}()

			select {
			case <-client.polled:
			case err := <-done:
				t.Fatalf("Read = %v before its first poll", err)
			}
			for i, pk := range after {
				require.NoError(t, putItem(ctx, db, table, pk, len(before)+i))
			}
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Read = %v; want context.Canceled (handed over %q, want %q)", err, got, tc.want)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// streamWrite is one write of TestStreamReaderHandsOverEveryChange and the
// change it must produce.
type streamWrite struct {
	pk    string
	event tssync.Event
	n     int  // the "n" attribute of the image the change leaves
	put   bool // a Modify made by PutItem rather than UpdateItem
}

// writeScript returns count writes spread over items items, in the order
// they are made: each item is created, modified by PutItem and UpdateItem in
// turn, deleted every fifth write to it and created again after that.
func writeScript(count, items int) []streamWrite {
	exists := make([]bool, items)
	last := make([]int, items)
	out := make([]streamWrite, 0, count)
	for i := range count {
		k, round := i%items, i/items
		w := streamWrite{pk: fmt.Sprintf("item-%d", k), n: i}
		switch {
		case !exists[k]:
			w.event, exists[k] = tssync.Insert, true
		case round%5 == 4:
			w.event, w.n, exists[k] = tssync.Remove, last[k], false
		default:
			w.event, w.put = tssync.Modify, round%2 == 0
		}
		last[k] = i
		out = append(out, w)
	}
	return out
}

// apply makes w on the table, setting "n" to i.
func (w streamWrite) apply(ctx context.Context, db *dynamodb.Client, table string, i int) error {
	key := map[string]types.AttributeValue{"pk": s(w.pk)}
	var err error
	switch {
	case w.event == tssync.Remove:
		_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key})
	case w.event == tssync.Modify && !w.put:
		_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(table), Key: key,
			UpdateExpression:          aws.String("SET #n = :n"),
			ExpressionAttributeNames:  map[string]string{"#n": "n"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(i)},
		})
	default:
		err = putItem(ctx, db, table, w.pk, i)
	}
	if err != nil {
		return fmt.Errorf("write %d (%s %s): %w", i, w.event, w.pk, err)
	}
	return nil
}

// TestStreamReaderHandsOverEveryChange makes 120 writes while a reader
// reads, and checks that it hands over exactly one change per write, in
// write order per item.
func TestStreamReaderHandsOverEveryChange(t *testing.T) {
	t.Parallel()
	const count, items = 120, 8
	script := writeScript(count, items)
	db, table, arn := streamTable(t)
	ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
	defer cancel()

	reader := tssync.NewStreamReader(ddbtest.Streams(t), arn, tssync.WithPollInterval(20*time.Millisecond))
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var got []tssync.Change // written by the handler, read once Read has returned
	done := make(chan error, 1)
	go func() {
		done <- reader.Read(rctx, func(_ context.Context, cs []tssync.Change) error {
			got = append(got, cs...)
			if len(got) >= count {
				stop()
			}
			return nil
		})
	}()

	for i, w := range script {
		if err := w.apply(ctx, db, table, i); err != nil {
			stop()
			<-done
			t.Fatal(err)
		}
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v after %d of %d changes; want context.Canceled", err, len(got), count)
	}
	require.Len(t, got, count, "one change per write, none twice")

	want := map[string][]string{}
	for _, w := range script {
		want[w.pk] = append(want[w.pk], fmt.Sprintf("%s n=%d", w.event, w.n))
	}
	perItem := map[string][]string{}
	lastSeq := map[string]string{}
	for _, c := range got {
		pk := pkOf(c)
		if prev, ok := lastSeq[pk]; ok && !seqLess(prev, c.Sequence) {
			t.Errorf("%s: sequence %s after %s; want strictly increasing", pk, c.Sequence, prev)
		}
		lastSeq[pk] = c.Sequence
		perItem[pk] = append(perItem[pk], fmt.Sprintf("%s n=%d", c.Event, nOf(c)))
	}
	require.Len(t, perItem, items)
	for pk, w := range want {
		require.Equal(t, w, perItem[pk], "changes to %s, in order", pk)
	}
}

// TestStreamReaderLatestResumesAtTheFailedBatch: a FromLatest reader whose
// first batch fails hands that batch over again, and nothing older.
func TestStreamReaderLatestResumesAtTheFailedBatch(t *testing.T) {
	t.Parallel()
	db, table, arn := streamTable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, putItem(ctx, db, table, "before", 0))
	client := &pollSignal{StreamsClient: ddbtest.Streams(t), polled: make(chan struct{})}
	reader := tssync.NewStreamReader(client, arn, tssync.WithPollInterval(20*time.Millisecond), tssync.FromLatest())
	done := make(chan error, 1)
	go func() {
		done <- reader.Read(ctx, func(context.Context, []tssync.Change) error { return errHandler })
	}()
	<-client.polled
	require.NoError(t, putItem(ctx, db, table, "after", 1))
	require.ErrorIs(t, <-done, errHandler)

	rctx, stop := context.WithCancel(ctx)
	var got []string
	err := reader.Read(rctx, func(_ context.Context, cs []tssync.Change) error {
		for _, c := range cs {
			got = append(got, pkOf(c))
		}
		stop()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, []string{"after"}, got)
}

// agedOutParent lists one open shard whose parent has aged out of the
// stream, as a stream older than a shard's life does on DynamoDB, and
// records the iterator types asked for.
type agedOutParent struct {
	asked []streamtypes.ShardIteratorType
}

func (f *agedOutParent) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &streamtypes.StreamDescription{Shards: []streamtypes.Shard{
		{ShardId: aws.String("shard-2"), ParentShardId: aws.String("shard-1-aged-out")},
	}}}, nil
}

func (f *agedOutParent) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	f.asked = append(f.asked, in.ShardIteratorType)
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("it")}, nil
}

func (f *agedOutParent) GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	return &dynamodbstreams.GetRecordsOutput{NextShardIterator: aws.String("it")}, nil
}

// TestStreamReaderLatestWithAgedOutParent: FromLatest holds for a shard
// that names a parent the stream no longer lists.
func TestStreamReaderLatestWithAgedOutParent(t *testing.T) {
	t.Parallel()
	f := &agedOutParent{}
	r := tssync.NewStreamReader(f, "arn:aws:dynamodb:us-east-1:1:table/t/stream/x", tssync.FromLatest(), tssync.WithPollInterval(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.Read(ctx, func(context.Context, []tssync.Change) error { return nil }), context.DeadlineExceeded)
	require.NotEmpty(t, f.asked)
	require.Equal(t, streamtypes.ShardIteratorTypeLatest, f.asked[0])
}

// readUntil reads r until handle has seen count changes, and returns their
// pks in the order handed over.
func readUntil(t *testing.T, r *tssync.StreamReader, count int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
	defer cancel()
	var got []string
	err := r.Read(ctx, func(_ context.Context, cs []tssync.Change) error {
		for _, c := range cs {
			got = append(got, pkOf(c))
		}
		if len(got) >= count {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled, "read %v", got)
	return got
}

// TestStreamReaderCheckpoints: a reader started after another one stopped
// resumes where the first one's checkpoints say, in a table.
func TestStreamReaderCheckpoints(t *testing.T) {
	t.Parallel()
	db, table, arn := streamTable(t)
	ctx := context.Background()
	cps, err := tssync.NewTableCheckpoints(db, ddbtest.Table(t, db, index.Table{Name: "checkpoints", PartitionKey: index.S("pk")}))
	require.NoError(t, err)
	require.NoError(t, putItem(ctx, db, table, "a", 1))
	require.NoError(t, putItem(ctx, db, table, "b", 2))

	first := tssync.NewStreamReader(ddbtest.Streams(t), arn, tssync.WithPollInterval(20*time.Millisecond), tssync.WithCheckpoints(cps))
	require.Equal(t, []string{"a", "b"}, readUntil(t, first, 2))

	// A new process: the same checkpoints, from the oldest record.
	require.NoError(t, putItem(ctx, db, table, "c", 3))
	second := tssync.NewStreamReader(ddbtest.Streams(t), arn, tssync.WithPollInterval(20*time.Millisecond), tssync.WithCheckpoints(cps))
	require.Equal(t, []string{"c"}, readUntil(t, second, 1), "only what came after the checkpoint")

	// A checkpoint never moves back.
	out, err := ddbtest.Streams(t).DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	require.NoError(t, err)
	shard := aws.ToString(out.StreamDescription.Shards[0].ShardId)
	saved, err := cps.Load(ctx, arn, shard)
	require.NoError(t, err)
	require.NotEmpty(t, saved)
	require.NoError(t, cps.Save(ctx, arn, shard, "1"))
	again, err := cps.Load(ctx, arn, shard)
	require.NoError(t, err)
	require.Equal(t, saved, again)
	none, err := cps.Load(ctx, arn, "shardId-none")
	require.NoError(t, err)
	require.Empty(t, none)
}

// TestStreamReaderRefusesCheckpointsInItsOwnTable: saving positions in the
// table whose stream is read would write a record per batch, forever.
func TestStreamReaderRefusesCheckpointsInItsOwnTable(t *testing.T) {
	t.Parallel()
	db, table, arn := streamTable(t)
	cps, err := tssync.NewTableCheckpoints(db, index.Table{Name: table, PartitionKey: index.S("pk")})
	require.NoError(t, err)
	r := tssync.NewStreamReader(ddbtest.Streams(t), arn, tssync.WithCheckpoints(cps))
	err = r.Read(t.Context(), func(context.Context, []tssync.Change) error { return nil })
	require.ErrorContains(t, err, "cannot be kept in "+table+" itself")
}

// fakeShard is one shard of a fakeStream: its records' sequence numbers,
// oldest first, and whether it is closed.
type fakeShard struct {
	id, parent string
	seqs       []string
	closed     bool
	trimmed    string // sequence numbers below this one have aged out
}

// fakeStream is a StreamsClient over fixed shards, for the cases DynamoDB
// Local cannot show in a test's time: split shards and records aged out.
// Iterators are "shard index:record index".
type fakeStream struct {
	shards []fakeShard
	asked  []string // "shard TYPE sequence" for each GetShardIterator
}

func (f *fakeStream) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	var shards []streamtypes.Shard
	for _, s := range f.shards {
		sh := streamtypes.Shard{ShardId: aws.String(s.id)}
		if s.parent != "" {
			sh.ParentShardId = aws.String(s.parent)
		}
		shards = append(shards, sh)
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &streamtypes.StreamDescription{Shards: shards}}, nil
}

func (f *fakeStream) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	f.asked = append(f.asked, fmt.Sprintf("%s %s %s", aws.ToString(in.ShardId), in.ShardIteratorType, aws.ToString(in.SequenceNumber)))
	for si, s := range f.shards {
		if s.id != aws.ToString(in.ShardId) {
			continue
		}
		seq := aws.ToString(in.SequenceNumber)
		if seq != "" && s.trimmed != "" && seqLess(seq, s.trimmed) {
			return nil, &streamtypes.TrimmedDataAccessException{Message: aws.String("sequence number " + seq + " is past the trim horizon")}
		}
		pos := 0
		switch in.ShardIteratorType {
		case streamtypes.ShardIteratorTypeLatest:
			pos = len(s.seqs)
		case streamtypes.ShardIteratorTypeAfterSequenceNumber:
			pos = slices.Index(s.seqs, seq) + 1
		case streamtypes.ShardIteratorTypeAtSequenceNumber:
			pos = slices.Index(s.seqs, seq)
		}
		return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprintf("%d:%d", si, pos))}, nil
	}
	return nil, &streamtypes.ResourceNotFoundException{Message: aws.String("no shard " + aws.ToString(in.ShardId))}
}

func (f *fakeStream) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	var si, pos int
	if _, err := fmt.Sscanf(aws.ToString(in.ShardIterator), "%d:%d", &si, &pos); err != nil {
		return nil, err
	}
	s := f.shards[si]
	out := &dynamodbstreams.GetRecordsOutput{}
	for _, seq := range s.seqs[pos:] {
		out.Records = append(out.Records, streamtypes.Record{
			EventID: aws.String(s.id + "/" + seq), EventName: streamtypes.OperationTypeInsert,
			Dynamodb: &streamtypes.StreamRecord{
				SequenceNumber: aws.String(seq),
				Keys:           map[string]streamtypes.AttributeValue{"pk": &streamtypes.AttributeValueMemberS{Value: seq}},
			},
		})
	}
	if !s.closed {
		out.NextShardIterator = aws.String(fmt.Sprintf("%d:%d", si, len(s.seqs)))
	}
	return out, nil
}

// memCheckpoints keeps checkpoints in memory.
type memCheckpoints struct {
	mu    sync.Mutex
	saved map[string]string
}

func (m *memCheckpoints) Load(_ context.Context, _, shard string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.saved[shard], nil
}

func (m *memCheckpoints) Save(_ context.Context, _, shard, seq string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved[shard] = seq
	return nil
}

// readFor reads r for d and returns the pks handed over and Read's error.
func readFor(r *tssync.StreamReader, d time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var got []string
	err := r.Read(ctx, func(_ context.Context, cs []tssync.Change) error {
		for _, c := range cs {
			got = append(got, pkOf(c))
		}
		return nil
	})
	return got, err
}

const fakeARN = "arn:aws:dynamodb:us-east-1:1:table/t/stream/x"

// TestStreamReaderResumesIntoChildShards: a FromLatest reader restarted with
// checkpoints after its shard was split reads the children from their start:
// every record in them came after its checkpoint.
func TestStreamReaderResumesIntoChildShards(t *testing.T) {
	t.Parallel()
	f := &fakeStream{shards: []fakeShard{
		{id: "parent", seqs: []string{"100", "200"}, closed: true},
		{id: "child", parent: "parent", seqs: []string{"300", "400"}, closed: true},
		{id: "grandchild", parent: "child", seqs: []string{"500"}},
	}}
	cps := &memCheckpoints{saved: map[string]string{"parent": "100"}}
	r := tssync.NewStreamReader(f, fakeARN, tssync.FromLatest(), tssync.WithCheckpoints(cps), tssync.WithPollInterval(time.Millisecond))
	got, err := readFor(r, 100*time.Millisecond)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, []string{"200", "300", "400", "500"}, got, "what came after the checkpoint, children included (asked %q)", f.asked)
}

// TestStreamReaderCheckpointAgedOut: a checkpoint older than the stream's
// oldest record (a process down for more than 24 hours) does not stop the
// reader: it reads what the shard still holds.
func TestStreamReaderCheckpointAgedOut(t *testing.T) {
	t.Parallel()
	f := &fakeStream{shards: []fakeShard{{id: "shard", seqs: []string{"300", "400"}, trimmed: "300"}}}
	cps := &memCheckpoints{saved: map[string]string{"shard": "100"}}
	r := tssync.NewStreamReader(f, fakeARN, tssync.WithCheckpoints(cps), tssync.WithPollInterval(time.Millisecond))
	got, err := readFor(r, 100*time.Millisecond)
	require.ErrorIs(t, err, context.DeadlineExceeded, "asked %q", f.asked)
	require.Equal(t, []string{"300", "400"}, got)
	require.Equal(t, "400", cps.saved["shard"])
}
