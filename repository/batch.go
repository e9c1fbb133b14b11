package repository

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// DynamoDB's per-request batch limits.
const (
	batchGetMax   = 100
	batchWriteMax = 25
)

// BatchGet reads the items whose ids are given, in requests of at most 100
// keys, retrying keys DynamoDB leaves unprocessed with exponential backoff
// and jitter ([WithBatchRetry]). Absent items are left out; the order of the
// result is not the order of ids. Duplicate ids are read once.
//
// It returns an [*IDError] before any request when an id is invalid, and a
// [*BatchError] holding the keys still unprocessed after every retry along
// with the items that were read: nothing is silently dropped.
func (r *Repository[T]) BatchGet(ctx context.Context, ids []string, opts ...CallOption) ([]T, error) {
	c := newCall(opts)
	keys, err := r.keysOf(ids)
	if err != nil {
		return nil, err
	}
	var proj *string
	var names map[string]string
	if len(c.project) > 0 {
		// The key attributes are read too, to tell items apart, once:
		// DynamoDB refuses a projection that names an attribute twice.
		attrs := slices.Clone(c.project)
		for _, k := range r.table.KeyAttributes() {
			if !slices.Contains(attrs, k) {
				attrs = append(attrs, k)
			}
		}
		e, err := expression.NewBuilder().WithProjection(projection(attrs)).Build()
		if err != nil {
			return nil, fmt.Errorf("repository: projection: %w", err)
		}
		proj, names = e.Projection(), e.Names()
	}
	var out []T
	leftover, err := drain(ctx, r, keys, batchGetMax, func(pending []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
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
			t, err := r.decode(item)
			if err != nil {
				return res.UnprocessedKeys[r.table.Name].Keys, err
			}
			out = append(out, t)
		}
		return res.UnprocessedKeys[r.table.Name].Keys, nil
	})
	if len(leftover) > 0 || err != nil {
		return out, &BatchError{Table: r.table.Name, UnprocessedKeys: leftover, Err: err}
	}
	return out, nil
}

// BatchPut stores items without conditions, in requests of at most 25,
// replacing items with the same keys. Precompute hooks, derived attributes,
// bounds and the size limit apply to every item, and all items are checked
// before the first request. Unprocessed items are retried with backoff.
//
// A versioned model or one with unique attributes cannot be batch-written:
// BatchPut and BatchDelete return [ErrVersionRequired] or an
// [ErrInvalidModel] error for them, since batch writes take no conditions.
//
// It returns an error before any request when an item is refused, and a
// [*BatchError] holding the writes still unprocessed after every retry.
func (r *Repository[T]) BatchPut(ctx context.Context, items []*T, opts ...CallOption) error {
	if err := r.batchWritable("BatchPut"); err != nil {
		return err
	}
	writes := make([]types.WriteRequest, 0, len(items))
	seen := map[string]bool{}
	for _, item := range items {
		if item == nil {
			return &ModelError{Model: r.model, Reason: "nil item in batch"}
		}
		if r.idOf(item) == "" && !r.s.natural {
			id, err := r.newID()
			if err != nil {
				return err
			}
			r.setID(item, id)
		}
		m, key, err := r.encode(ctx, item)
		if err != nil {
			return err
		}
		// One id under two parents is two items.
		k := itemID(r.table.Name, key)
		if seen[k] {
			return &IDError{ID: r.idOf(item), Reason: "appears twice in one batch"}
		}
		seen[k] = true
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: m}})
	}
	return r.batchWrite(ctx, writes, newCall(opts))
}

// BatchDelete deletes the items whose ids are given, in requests of at most
// 25; absent items are ignored. It returns a [*BatchError] holding the
// deletes still unprocessed after every retry.
func (r *Repository[T]) BatchDelete(ctx context.Context, ids []string, opts ...CallOption) error {
	if err := r.batchWritable("BatchDelete"); err != nil {
		return err
	}
	keys, err := r.keysOf(ids)
	if err != nil {
		return err
	}
	writes := make([]types.WriteRequest, len(keys))
	for i, key := range keys {
		writes[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
	}
	return r.batchWrite(ctx, writes, newCall(opts))
}

// keysOf returns the keys of ids, each once, or the first [*IDError].
func (r *Repository[T]) keysOf(ids []string) ([]map[string]types.AttributeValue, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		key, err := r.keyOf(id)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
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

func (r *Repository[T]) batchWrite(ctx context.Context, writes []types.WriteRequest, c call) error {
	leftover, err := drain(ctx, r, writes, batchWriteMax, func(pending []types.WriteRequest) ([]types.WriteRequest, error) {
		res, err := r.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems:           map[string][]types.WriteRequest{r.table.Name: pending},
			ReturnConsumedCapacity: r.wantCapacity(c),
		}, c.sdk...)
		if err != nil {
			return pending, fmt.Errorf("repository: BatchWriteItem %q: %w", r.table.Name, err)
		}
		r.report(ctx, c, "BatchWriteItem", ptrs(res.ConsumedCapacity)...)
		return res.UnprocessedItems[r.table.Name], nil
	})
	if len(leftover) > 0 || err != nil {
		return &BatchError{Table: r.table.Name, UnprocessedWrites: leftover, Err: err}
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
