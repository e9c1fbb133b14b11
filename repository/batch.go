package repository

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/backoff"
)

// DynamoDB's per-request batch limits.
const (
	batchGetMax   = 100
	batchWriteMax = 25
)

// BatchGet reads the items whose ids are given, in requests of at most 100
// keys, retrying keys DynamoDB leaves unprocessed with exponential backoff
// and jitter ([WithBatchRetry]). The items come back in the order of ids:
// absent items are left out, and an id given more than once is read once
// and returned once, at its first position. The read is eventually
// consistent unless [ConsistentRead] is given.
//
// Only T's items are returned: an item of another entity type at the key
// of an id is left out as an absent one would be, and counted by
// [Skipped] ([EntityTypeAttribute]).
//
// [Project] reads only the attributes named, leaving the rest of T zero;
// the table key attributes, the id attribute, the parent attribute of a
// model declared [WithParent] and the entity type are always read too, so
// that every item returned carries its id.
//
// Before any request, it returns an [*IDError] (matching [ErrInvalidID])
// for an invalid id or parent id; an error matching [ErrParentRequired] on
// a model declared [WithParent] unless called on [Repository.In], or
// [ErrInvalidModel] on In of a model without a parent; and an error for a
// [Project] attribute that cannot be named (an empty name). Otherwise it
// returns every item it read and decoded, and, when some were not
// delivered, a [*BatchError] saying which. Its UnprocessedKeys are the keys
// still unprocessed after every retry, or not sent after a request failed
// (whose error is in Err); with any, the error matches [ErrUnprocessed].
// Its Undecoded holds a [*DecodeError] for each item read that cannot be
// decoded as T, in the order of ids; with any, the error matches
// [ErrDecode], and [errors.As] finds the first. Nothing is silently dropped.
func (r *Repository[T]) BatchGet(ctx context.Context, ids []string, opts ...CallOption) (_ []T, err error) {
	ctx, end := r.start(ctx, "repository.BatchGet")
	defer func() { end(err) }()
	c := newCall(opts)
	b, err := r.batchKeys(ids)
	if err != nil {
		return nil, err
	}
	var proj *string
	var names map[string]string
	if len(c.project) > 0 {
		e, err := expression.NewBuilder().WithProjection(projection(r.readProjection(c.project, ""))).Build()
		if err != nil {
			return nil, fmt.Errorf("repository: projection: %w", err)
		}
		proj, names = e.Projection(), e.Names()
	}
	// Each item is decoded into the slot of its key's position; the slots
	// read are packed, in order, at the end.
	slots := make([]T, len(b.keys))
	read := make([]bool, len(b.keys))
	type failure struct {
		at  int
		err error
	}
	var failed []failure
	var buf []byte
	leftover, err := drain(ctx, r, b.keys, batchGetMax, func(pending []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
		res, err := r.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{r.table.Name: {
				Keys: pending, ConsistentRead: aws.Bool(c.consistent),
				ProjectionExpression: proj, ExpressionAttributeNames: names,
			}},
			ReturnConsumedCapacity: r.wantCapacity(c),
		}, c.sdk...)
		if err != nil {
			return pending, fmt.Errorf("repository: BatchGetItem %q: %w", r.table.Name, err)
		}
		r.report(ctx, c, "BatchGetItem", ptrs(res.ConsumedCapacity)...)
		for _, item := range res.Responses[r.table.Name] {
			buf = r.keyText(buf[:0], item)
			i, ok := b.pos[string(buf)]
			if !ok {
				continue // not a key asked; DynamoDB sends none
			}
			if !r.owns(item) {
				c.skip()
				continue
			}
			if err := r.items.Decode(item, &slots[i]); err != nil {
				failed = append(failed, failure{i, err})
				continue
			}
			read[i] = true
		}
		return res.UnprocessedKeys[r.table.Name].Keys, nil
	})
	out := slots[:0]
	for i := range slots {
		if read[i] {
			out = append(out, slots[i])
		}
	}
	if len(leftover) == 0 && err == nil && len(failed) == 0 {
		return out, nil
	}
	be := &BatchError{Table: r.table.Name, UnprocessedKeys: leftover, Err: err}
	slices.SortFunc(failed, func(x, y failure) int { return x.at - y.at })
	for _, f := range failed {
		be.Undecoded = append(be.Undecoded, &DecodeError{Table: r.table.Name, Model: r.model, Key: b.keys[f.at], ID: b.ids[f.at], Err: f.err})
	}
	return out, be
}

// BatchPut stores items without conditions, in BatchWriteItem requests of
// at most 25 items, up to [WithBatchConcurrency] of them in flight at once,
// replacing items with the same keys. Precompute hooks, derived
// attributes, bounds and the size limit apply to every item, and the whole
// batch is encoded and checked before the first request: a refused item
// writes nothing and leaves the items' ids as they were. Unprocessed items
// are retried with backoff
// ([WithBatchRetry]). Writes of one batch land in no particular order, so
// an id may appear once.
//
// A versioned model or one with unique attributes cannot be batch-written:
// BatchPut and BatchDelete return [ErrVersionRequired] or an
// [ErrInvalidModel] error for them, since batch writes take no conditions.
//
// It returns an error before any request when an item is refused (an
// [*IDError] for an id given twice, a [*ValueError] or
// [*ItemTooLargeError], ...), and a [*BatchError] holding every write still
// unprocessed after every retry — and, after a request failed outright,
// every write not sent — with the first such failure as its Err.
// Batch writes are safe to resend: a put or delete lands the same however
// often it is sent.
func (r *Repository[T]) BatchPut(ctx context.Context, items []*T, opts ...CallOption) (err error) {
	ctx, end := r.start(ctx, "repository.BatchPut")
	defer func() { end(err) }()
	if err := r.batchWritable("BatchPut"); err != nil {
		return err
	}
	writes, err := r.putRequests(ctx, items)
	if err != nil {
		return err
	}
	return r.writeChunks(ctx, newCall(opts), sliceChunks(writes), true)
}

// putRequests prepares every item of a batch, encoding them on as many
// goroutines as there are processors for a large batch, and refuses the
// batch at the first item refused, or at an item whose key an earlier one
// has; the ids it generated are then taken back.
func (r *Repository[T]) putRequests(ctx context.Context, items []*T) ([]types.WriteRequest, error) {
	writes := make([]types.WriteRequest, len(items))
	generated := make([]bool, len(items))
	errs := make([]error, len(items))
	encode := func(from, to int) {
		for i := from; i < to; i++ {
			item := items[i]
			generated[i] = item != nil && r.idOf(item) == "" && !r.s.natural
			writes[i], errs[i] = r.putRequest(ctx, item)
			if errs[i] != nil {
				return
			}
		}
	}
	if shards := min(runtime.GOMAXPROCS(0), len(items)/(4*batchWriteMax)); shards > 1 {
		var wg sync.WaitGroup
		per := (len(items) + shards - 1) / shards
		for from := 0; from < len(items); from += per {
			wg.Go(func() { encode(from, min(from+per, len(items))) })
		}
		wg.Wait()
	} else {
		encode(0, len(items))
	}
	refuse := func(err error) ([]types.WriteRequest, error) {
		for i, g := range generated {
			if g {
				r.setID(items[i], "")
			}
		}
		return nil, err
	}
	seen := make(map[string]bool, len(items))
	var buf []byte
	for i, err := range errs {
		if err != nil {
			return refuse(err)
		}
		if writes[i].PutRequest == nil {
			// Not reached: a shard stopped at an earlier refusal.
			continue
		}
		// One id under two parents is two items.
		buf = r.keyText(buf[:0], writes[i].PutRequest.Item)
		if seen[string(buf)] {
			return refuse(&IDError{ID: r.idOf(items[i]), Reason: "appears twice in one batch"})
		}
		seen[string(buf)] = true
	}
	return writes, nil
}

// putRequest prepares item for a batch: its id, hooks, encoding and checks.
func (r *Repository[T]) putRequest(ctx context.Context, item *T) (types.WriteRequest, error) {
	if item == nil {
		return types.WriteRequest{}, &ModelError{Model: r.model, Reason: "nil item in batch"}
	}
	if r.idOf(item) == "" && !r.s.natural {
		id, err := r.newID()
		if err != nil {
			return types.WriteRequest{}, err
		}
		r.setID(item, id)
	}
	m, _, err := r.encode(ctx, item)
	if err != nil {
		return types.WriteRequest{}, err
	}
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: m}}, nil
}

// BatchDelete deletes the items whose ids are given, in requests of at most
// 25, up to [WithBatchConcurrency] in flight at once; absent items are
// ignored. It returns an [*IDError] before any request for an invalid id,
// and a [*BatchError] holding the deletes still unprocessed after every
// retry (and, after a request failed outright, those not sent).
func (r *Repository[T]) BatchDelete(ctx context.Context, ids []string, opts ...CallOption) (err error) {
	ctx, end := r.start(ctx, "repository.BatchDelete")
	defer func() { end(err) }()
	if err := r.batchWritable("BatchDelete"); err != nil {
		return err
	}
	b, err := r.batchKeys(ids)
	if err != nil {
		return err
	}
	writes := make([]types.WriteRequest, len(b.keys))
	for i, key := range b.keys {
		writes[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
	}
	return r.writeChunks(ctx, newCall(opts), sliceChunks(writes), true)
}

// batchKeys are the keys of a batch, each once, in the order of their
// first id.
type batchKeys struct {
	keys []map[string]types.AttributeValue
	ids  []string       // the id of each key
	pos  map[string]int // the position of each key, by its keyText
}

// batchKeys returns the keys of ids, or the first [*IDError].
func (r *Repository[T]) batchKeys(ids []string) (batchKeys, error) {
	b := batchKeys{
		keys: make([]map[string]types.AttributeValue, 0, len(ids)),
		ids:  make([]string, 0, len(ids)),
		pos:  make(map[string]int, len(ids)),
	}
	var buf []byte
	for _, id := range ids {
		key, err := r.keyOf(id)
		if err != nil {
			return batchKeys{}, err
		}
		buf = r.keyText(buf[:0], key)
		if _, dup := b.pos[string(buf)]; dup {
			continue
		}
		b.pos[string(buf)] = len(b.keys)
		b.keys = append(b.keys, key)
		b.ids = append(b.ids, id)
	}
	return b, nil
}

// keyText appends to buf a text of the table key in item that tells keys
// apart: each key attribute's string, preceded by its length.
func (r *Repository[T]) keyText(buf []byte, item map[string]types.AttributeValue) []byte {
	for _, k := range []index.Key{r.table.PartitionKey, r.table.SortKey} {
		if k.IsZero() {
			continue
		}
		s, _ := stringOf(item[k.Name])
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	return buf
}

// batchWritable refuses batch writes, which cannot be conditional, on
// models whose every write must be: versioned ones and ones with unique
// attributes.
func (r *Repository[T]) batchWritable(op string) error {
	if r.Versioned() {
		return versionRequired(r.model, op, "batch writes cannot check versions; write items one by one or in a transaction")
	}
	if len(r.s.uniques) > 0 {
		return &ModelError{Model: r.model, Reason: op + ": batch writes cannot maintain unique attribute guards; write items one by one or in a transaction"}
	}
	return nil
}

// drain sends all in chunks of at most size through send, which returns
// what the request left unprocessed. It resends leftovers with backoff, up to
// the repository's batch attempts per chunk, and returns everything still
// unprocessed: the leftovers of each chunk and, after an error, every chunk
// not yet sent. Nothing is dropped.
func drain[K any, T any](ctx context.Context, r *Repository[T], all []K, size int, send func([]K) ([]K, error)) ([]K, error) {
	var leftover []K
	for start := 0; start < len(all); start += size {
		pending := all[start:min(start+size, len(all))]
		for attempt := 1; len(pending) > 0; attempt++ {
			var err error
			if pending, err = send(pending); err != nil {
				return append(append(leftover, pending...), all[min(start+size, len(all)):]...), err
			}
			if len(pending) == 0 {
				break
			}
			r.s.logger.DebugContext(ctx, "repository: unprocessed batch items", "table", r.table.Name, "items", len(pending), "attempt", attempt)
			if attempt >= r.s.batchTries {
				break
			}
			if err := backoff.Sleep(ctx, attempt, r.s.batchBase, r.s.batchCap); err != nil {
				rest := append(append(leftover, pending...), all[min(start+size, len(all)):]...)
				return rest, fmt.Errorf("repository: batch retry: %w", err)
			}
		}
		leftover = append(leftover, pending...)
	}
	return leftover, nil
}

func ptrs(ccs []types.ConsumedCapacity) []*types.ConsumedCapacity {
	out := make([]*types.ConsumedCapacity, len(ccs))
	for i := range ccs {
		out[i] = &ccs[i]
	}
	return out
}
