package repository_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// bwNote is a small unversioned model for batch writes.
type bwNote struct {
	ID   string `dynamodbav:"id"`
	Text string `dynamodbav:"text"`
	N    int    `dynamodbav:"n"`
}

// batchClient wraps DynamoDB Local's client: it counts BatchWriteItem
// calls in flight and can fail one outright, unsent.
type batchClient struct {
	*dynamodb.Client
	inFlight, maxInFlight, calls atomic.Int32
	failCall                     int32 // the call (1, 2, ...) that fails; 0 for none
}

func (c *batchClient) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	n := c.calls.Add(1)
	cur := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxInFlight.Load()
		if cur <= m || c.maxInFlight.CompareAndSwap(m, cur) {
			break
		}
	}
	if n == c.failCall {
		return nil, errors.New("injected: connection refused")
	}
	return c.Client.BatchWriteItem(ctx, in, o...)
}

func newBatchNotes(t *testing.T, opts ...repository.Option) (*repository.Repository[bwNote], *batchClient, *repository.Repository[bwNote]) {
	t.Helper()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "notes", PartitionKey: index.S("id")})
	bc := &batchClient{Client: client}
	notes, err := repository.New[bwNote](bc, table, opts...)
	require.NoError(t, err)
	reader, err := repository.New[bwNote](client, table, repository.WithScan())
	require.NoError(t, err)
	return notes, bc, reader
}

func countNotes(t *testing.T, reader *repository.Repository[bwNote]) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for n, err := range reader.Scan(context.Background(), repository.ConsistentRead()) {
		require.NoError(t, err)
		ids[n.ID] = true
	}
	return ids
}

// TestBatchPutParallel writes 1,000 items with up to 8 requests in flight.
func TestBatchPutParallel(t *testing.T) {
	t.Parallel()
	notes, bc, reader := newBatchNotes(t)
	items := make([]*bwNote, 1000)
	for i := range items {
		items[i] = &bwNote{Text: "note", N: i}
	}
	require.NoError(t, notes.BatchPut(context.Background(), items))
	require.Equal(t, 1000, len(countNotes(t, reader)))
	require.EqualValues(t, 40, bc.calls.Load(), "1,000 items in requests of 25")
	require.Greater(t, bc.maxInFlight.Load(), int32(1), "requests in parallel")
	require.LessOrEqual(t, bc.maxInFlight.Load(), int32(8), "at most WithBatchConcurrency in flight")

	one, bc1, _ := newBatchNotes(t, repository.WithBatchConcurrency(1))
	require.NoError(t, one.BatchPut(context.Background(), items[:100]))
	require.EqualValues(t, 1, bc1.maxInFlight.Load(), "WithBatchConcurrency(1) sends one at a time")
	_, err := repository.New[bwNote](bc1, one.Table(), repository.WithBatchConcurrency(0))
	require.ErrorIs(t, err, repository.ErrInvalidModel)
}

// TestBatchWriteAccounting: a request that fails outright stops the batch;
// every write is then either stored or in the BatchError, never both,
// never neither.
func TestBatchWriteAccounting(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			t.Parallel()
			notes, bc, reader := newBatchNotes(t, repository.WithBatchConcurrency(conc))
			bc.failCall = 3
			items := make([]*bwNote, 500)
			for i := range items {
				items[i] = &bwNote{Text: "note", N: i}
			}
			err := notes.BatchPut(context.Background(), items)
			var be *repository.BatchError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, repository.ErrUnprocessed)
			require.ErrorContains(t, be.Err, "injected")
			stored := countNotes(t, reader)
			unprocessed := map[string]bool{}
			for _, w := range be.UnprocessedWrites {
				id := w.PutRequest.Item["id"].(*types.AttributeValueMemberS).Value
				require.False(t, unprocessed[id], "%s unprocessed twice", id)
				require.False(t, stored[id], "%s both stored and unprocessed", id)
				unprocessed[id] = true
			}
			require.Equal(t, len(items), len(stored)+len(unprocessed), "every write accounted for")
			require.GreaterOrEqual(t, len(unprocessed), 25, "the failed chunk")
		})
	}
}

// TestBatchPutSeq streams items from an iterator, stopping at a refused one.
func TestBatchPutSeq(t *testing.T) {
	t.Parallel()
	notes, _, reader := newBatchNotes(t)
	seq := func(n, bad int) iter.Seq[*bwNote] {
		return func(yield func(*bwNote) bool) {
			for i := range n {
				text := "note"
				if i == bad {
					text = "\xff not UTF-8"
				}
				if !yield(&bwNote{Text: text, N: i}) {
					return
				}
			}
		}
	}
	read, err := notes.BatchPutSeq(context.Background(), seq(1000, -1))
	require.NoError(t, err)
	require.Equal(t, 1000, read)
	require.Equal(t, 1000, len(countNotes(t, reader)))

	notes2, _, reader2 := newBatchNotes(t)
	read, err = notes2.BatchPutSeq(context.Background(), seq(1000, 612))
	require.ErrorIs(t, err, repository.ErrInvalidValue, "the refused item")
	require.Equal(t, 612, read, "read up to the refused item")
	require.Equal(t, 612, len(countNotes(t, reader2)), "every item read before the refused one")
}

// TestBatchPutRefusedLeavesIDs: a batch refused before any request leaves
// the items' ids as they were.
func TestBatchPutRefusedLeavesIDs(t *testing.T) {
	t.Parallel()
	notes, bc, _ := newBatchNotes(t)
	items := []*bwNote{{Text: "a"}, {Text: "b"}, {Text: "\xff"}}
	require.ErrorIs(t, notes.BatchPut(context.Background(), items), repository.ErrInvalidValue)
	for i, n := range items {
		require.Empty(t, n.ID, "item %d", i)
	}
	require.Zero(t, bc.calls.Load(), "no request")
}

// discardClient answers BatchWriteItem without a server and records the
// heap in use at each call.
type discardClient struct {
	repository.Client
	mu   sync.Mutex
	peak uint64
}

func (c *discardClient) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.mu.Lock()
	c.peak = max(c.peak, ms.HeapInuse)
	c.mu.Unlock()
	return &dynamodb.BatchWriteItemOutput{}, nil
}

// TestBatchPutSeqFlatMemory: the heap in use while streaming 100,000 items
// stays within a small factor of streaming 10,000. With
// TABLESTAKES_FLAT_MEMORY set to a number of items it also streams that
// many (about 5 s a million), held to the same bound, and logs the three
// peaks:
//
//	TABLESTAKES_FLAT_MEMORY=1000000 go test -run TestBatchPutSeqFlatMemory -v ./repository/
func TestBatchPutSeqFlatMemory(t *testing.T) {
	counts := []int{10_000, 100_000}
	if v := os.Getenv("TABLESTAKES_FLAT_MEMORY"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "TABLESTAKES_FLAT_MEMORY: a number of items")
		require.Greater(t, n, counts[1], "TABLESTAKES_FLAT_MEMORY: more items than the default %d", counts[1])
		counts = append(counts, n)
	}
	peak := func(n int) uint64 {
		c := &discardClient{}
		notes, err := repository.New[bwNote](c, index.Table{Name: "notes", PartitionKey: index.S("id")})
		require.NoError(t, err)
		runtime.GC()
		read, err := notes.BatchPutSeq(context.Background(), func(yield func(*bwNote) bool) {
			for i := range n {
				if !yield(&bwNote{Text: "a note of a few dozen bytes, like most", N: i}) {
					return
				}
			}
		})
		require.NoError(t, err)
		require.Equal(t, n, read)
		return c.peak
	}
	small := peak(counts[0])
	t.Logf("peak heap in use: %d KiB for %d items", small>>10, counts[0])
	for _, n := range counts[1:] {
		large := peak(n)
		t.Logf("peak heap in use: %d KiB for %d items", large>>10, n)
		require.Less(t, large, 2*small+8<<20, "memory grows with the input (%d items)", n)
	}
}
