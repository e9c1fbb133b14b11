package repository

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	var proj *string
	var names map[string]string
	if len(c.project) > 0 {
		// The key attributes are read too, to tell items apart.
		attrs := append(r.table.KeyAttributes(), c.project...)
		e, err := expression.NewBuilder().WithProjection(projection(attrs)).Build()
		if err != nil {
			return nil, fmt.Errorf("repository: projection: %w", err)
		}
		proj, names = e.Projection(), e.Names()
	}
	var (
		out      []T
		leftover []map[string]types.AttributeValue
		lastErr  error
	)
	for start := 0; start < len(keys); start += batchGetMax {
		pending := keys[start:min(start+batchGetMax, len(keys))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if attempt >= r.s.batchTries {
					break
				}
				if err := r.backoff(ctx, attempt); err != nil {
					lastErr = err
					break
				}
			}
			res, err := r.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{r.table.Name: {
					Keys: pending, ConsistentRead: aws.Bool(c.consistent),
					ProjectionExpression: proj, ExpressionAttributeNames: names,
				}},
				ReturnConsumedCapacity: r.wantCapacity(c),
			}, c.sdk...)
			if err != nil {
				lastErr = fmt.Errorf("repository: BatchGetItem %q: %w", r.table.Name, err)
				break
			}
			r.report(ctx, c, "BatchGetItem", ptrs(res.ConsumedCapacity)...)
			for _, item := range res.Responses[r.table.Name] {
				t, err := r.decode(item)
				if err != nil {
					return out, err
				}
				out = append(out, t)
			}
			pending = res.UnprocessedKeys[r.table.Name].Keys
			if len(pending) > 0 {
				r.s.logger.DebugContext(ctx, "repository: unprocessed batch keys", "table", r.table.Name, "keys", len(pending), "attempt", attempt+1)
			}
		}
		leftover = append(leftover, pending...)
		if lastErr != nil {
			// The chunks not yet sent are unprocessed too.
			leftover = append(leftover, keys[min(start+batchGetMax, len(keys)):]...)
			break
		}
	}
	if len(leftover) > 0 || lastErr != nil {
		return out, &BatchError{Table: r.table.Name, UnprocessedKeys: leftover, Err: lastErr}
	}
	return out, nil
}

// BatchPut stores items without conditions, in requests of at most 25,
// replacing items with the same keys. Precompute hooks, derived attributes,
// bounds and the size limit apply to every item, and all items are checked
// before the first request. Unprocessed items are retried with backoff.
//
// It returns an error before any request when an item is refused, and a
// [*BatchError] holding the writes still unprocessed after every retry.
func (r *Repository[T]) BatchPut(ctx context.Context, items []*T, opts ...CallOption) error {
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
		id := r.idOf(item)
		if seen[id] {
			return &IDError{ID: id, Reason: "appears twice in one batch"}
		}
		seen[id] = true
		m, err := r.encode(ctx, item)
		if err != nil {
			return err
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: m}})
	}
	return r.batchWrite(ctx, writes, newCall(opts))
}

// BatchDelete deletes the items whose ids are given, in requests of at most
// 25; absent items are ignored. It returns a [*BatchError] holding the
// deletes still unprocessed after every retry.
func (r *Repository[T]) BatchDelete(ctx context.Context, ids []string, opts ...CallOption) error {
	writes := make([]types.WriteRequest, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		key, err := r.keyOf(id)
		if err != nil {
			return err
		}
		writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}})
	}
	return r.batchWrite(ctx, writes, newCall(opts))
}

func (r *Repository[T]) batchWrite(ctx context.Context, writes []types.WriteRequest, c call) error {
	var (
		leftover []types.WriteRequest
		lastErr  error
	)
	for start := 0; start < len(writes); start += batchWriteMax {
		pending := writes[start:min(start+batchWriteMax, len(writes))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if attempt >= r.s.batchTries {
					break
				}
				if err := r.backoff(ctx, attempt); err != nil {
					lastErr = err
					break
				}
			}
			res, err := r.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems:           map[string][]types.WriteRequest{r.table.Name: pending},
				ReturnConsumedCapacity: r.wantCapacity(c),
			}, c.sdk...)
			if err != nil {
				lastErr = fmt.Errorf("repository: BatchWriteItem %q: %w", r.table.Name, err)
				break
			}
			r.report(ctx, c, "BatchWriteItem", ptrs(res.ConsumedCapacity)...)
			pending = res.UnprocessedItems[r.table.Name]
			if len(pending) > 0 {
				r.s.logger.DebugContext(ctx, "repository: unprocessed batch writes", "table", r.table.Name, "writes", len(pending), "attempt", attempt+1)
			}
		}
		leftover = append(leftover, pending...)
		if lastErr != nil {
			leftover = append(leftover, writes[min(start+batchWriteMax, len(writes)):]...)
			break
		}
	}
	if len(leftover) > 0 || lastErr != nil {
		return &BatchError{Table: r.table.Name, UnprocessedWrites: leftover, Err: lastErr}
	}
	return nil
}

// backoff sleeps before retry number attempt (1, 2, ...): full jitter over
// an exponentially growing, capped window.
func (r *Repository[T]) backoff(ctx context.Context, attempt int) error {
	if err := sleep(ctx, attempt, r.s.batchBase, r.s.batchCap); err != nil {
		return fmt.Errorf("repository: batch retry: %w", err)
	}
	return nil
}

func ptrs(ccs []types.ConsumedCapacity) []*types.ConsumedCapacity {
	out := make([]*types.ConsumedCapacity, len(ccs))
	for i := range ccs {
		out[i] = &ccs[i]
	}
	return out
}
