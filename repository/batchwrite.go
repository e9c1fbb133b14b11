package repository

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// BatchPutSeq stores the items seq yields, as [Repository.BatchPut] does,
// but a chunk of 25 at a time: it reads and encodes the next chunk while
// earlier ones are in flight, so that memory stays flat whatever the
// number of items. It returns how many items it read from seq.
//
// Unlike BatchPut, it cannot check every item before the first request:
// an item refused before sending (a [*ValueError], [*ItemTooLargeError],
// ...) stops it, and the items read before that one are written (or held by
// the [*BatchError] joined to the returned error); seq is not read past the
// refused item. An id appearing twice in one chunk is refused with an
// [*IDError]; in two chunks, the writes land in no particular order. A
// [*BatchError] holds every write still unprocessed after every retry and,
// after a request failed outright, every write read but not sent; seq is
// then not read further.
func (r *Repository[T]) BatchPutSeq(ctx context.Context, seq iter.Seq[*T], opts ...CallOption) (_ int, err error) {
	ctx, end := r.start(ctx, "repository.BatchPutSeq")
	defer func() { end(err) }()
	if err := r.batchWritable("BatchPutSeq"); err != nil {
		return 0, err
	}
	next, stop := iter.Pull(seq)
	defer stop()
	read := 0
	var refused error
	chunks := func() ([]types.WriteRequest, bool) {
		if refused != nil {
			return nil, false
		}
		chunk := make([]types.WriteRequest, 0, batchWriteMax)
		var buf []byte
		seen := make(map[string]bool, batchWriteMax)
		for len(chunk) < batchWriteMax {
			item, ok := next()
			if !ok {
				break
			}
			w, err := r.putRequest(ctx, item)
			if err == nil {
				buf = r.keyText(buf[:0], w.PutRequest.Item)
				if seen[string(buf)] {
					err = &IDError{ID: r.idOf(item), Reason: "appears twice in one chunk of 25"}
				}
				seen[string(buf)] = true
			}
			if err != nil {
				refused = fmt.Errorf("repository: BatchPutSeq: item %d: %w", read, err)
				break
			}
			read++
			chunk = append(chunk, w)
		}
		return chunk, len(chunk) > 0
	}
	err = r.writeChunks(ctx, newCall(opts), chunks, false)
	switch {
	case refused != nil && err != nil:
		return read, fmt.Errorf("%w; and %w", refused, err)
	case refused != nil:
		return read, refused
	}
	return read, err
}

// sliceChunks returns a source of the chunks of writes.
func sliceChunks(writes []types.WriteRequest) func() ([]types.WriteRequest, bool) {
	return func() ([]types.WriteRequest, bool) {
		if len(writes) == 0 {
			return nil, false
		}
		n := min(batchWriteMax, len(writes))
		chunk := writes[:n:n]
		writes = writes[n:]
		return chunk, true
	}
}

// writeChunks sends the chunks next returns, each in BatchWriteItem
// requests retried for their leftovers, with up to the repository's batch
// concurrency in flight. next is called from one goroutine at a time, and
// not after a request fails outright: the chunks not yet sent and the
// failed request's writes are then reported unprocessed, with the first
// failure, once the requests in flight have ended.
//
// After a failure, the chunks next would still return are reported
// unprocessed when drain is set (a slice, whose every write the caller
// handed over); otherwise next is not called again (an iterator, not read
// past the failure).
func (r *Repository[T]) writeChunks(ctx context.Context, c call, next func() ([]types.WriteRequest, bool), drain bool) error {
	var (
		mu       sync.Mutex // guards queued, next, leftover and firstErr
		queued   [][]types.WriteRequest
		leftover []types.WriteRequest
		firstErr error
	)
	take := func() ([]types.WriteRequest, bool) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil {
			return nil, false
		}
		if len(queued) > 0 {
			chunk := queued[0]
			queued = queued[1:]
			return chunk, true
		}
		return next()
	}
	work := func() {
		for {
			chunk, ok := take()
			if !ok {
				return
			}
			rest, err := r.writeChunk(ctx, c, chunk)
			mu.Lock()
			leftover = append(leftover, rest...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	// Look one chunk ahead: a batch of one chunk goes out on this
	// goroutine, starting none.
	first, ok := next()
	if !ok {
		return nil
	}
	queued = append(queued, first)
	second, more := next()
	if more {
		queued = append(queued, second)
	}
	if workers := max(r.s.batchConc, 1); !more || workers == 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(work)
		}
		wg.Wait()
	}
	if firstErr != nil {
		// The chunks not sent are unprocessed too.
		for _, chunk := range queued {
			leftover = append(leftover, chunk...)
		}
		for chunk, ok := next(); drain && ok; chunk, ok = next() {
			leftover = append(leftover, chunk...)
		}
	}
	if len(leftover) > 0 || firstErr != nil {
		return &BatchError{Table: r.table.Name, UnprocessedWrites: slices.Clip(leftover), Err: firstErr}
	}
	return nil
}

// writeChunk sends one chunk, resending its unprocessed writes with
// backoff up to the repository's batch attempts, and returns what is left
// unprocessed, all of it after an outright failure.
func (r *Repository[T]) writeChunk(ctx context.Context, c call, pending []types.WriteRequest) ([]types.WriteRequest, error) {
	for attempt := 1; len(pending) > 0; attempt++ {
		res, err := r.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems:           map[string][]types.WriteRequest{r.table.Name: pending},
			ReturnConsumedCapacity: r.wantCapacity(c),
		}, c.sdk...)
		if err != nil {
			return pending, fmt.Errorf("repository: BatchWriteItem %q: %w", r.table.Name, err)
		}
		r.report(ctx, c, "BatchWriteItem", ptrs(res.ConsumedCapacity)...)
		pending = res.UnprocessedItems[r.table.Name]
		if len(pending) == 0 {
			return nil, nil
		}
		r.s.logger.DebugContext(ctx, "repository: unprocessed batch items", "table", r.table.Name, "items", len(pending), "attempt", attempt)
		if attempt >= r.s.batchTries {
			return pending, nil
		}
		if err := backoff.Sleep(ctx, attempt, r.s.batchBase, r.s.batchCap); err != nil {
			return pending, fmt.Errorf("repository: batch retry: %w", err)
		}
	}
	return nil, nil
}
