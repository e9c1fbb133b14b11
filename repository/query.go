package repository

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/cursor"
)

// Cursor marks where the next page of a query starts. It is opaque and
// signed: one that was edited, or issued for another table, access pattern
// or partition, is refused with [ErrInvalidCursor]. The empty Cursor means
// the first page, or, when returned, that there are no more pages.
type Cursor string

// DefaultPageSize is the page size of [Repository.Page] without [Limit].
const DefaultPageSize = 100

// Query returns the items of q, reading page after page lazily, in the
// access pattern's order, until the partition (or the [Limit]) is exhausted
// or the loop stops. Only T's items are returned: items of other entity
// types in the partition or index are skipped ([EntityTypeAttribute],
// [Skipped]). It yields a non-nil error at most once, as its last value:
// [index.ErrUndeclaredIndex] or [index.ErrInvalidPattern] for a query the
// table does not declare, or of the base table whose partition or sort
// prefix cannot hold T's items (keys [WithKeys]), or of another parent's
// partition on [Repository.In]; the error of an item that does not decode
// as T; or the SDK's error. The iterator may be ranged over more than once;
// each range runs the query again.
func (r *Repository[T]) Query(ctx context.Context, q index.Query, opts ...CallOption) iter.Seq2[T, error] {
	c := newCall(opts)
	q, err := r.scope(q)
	var in *dynamodb.QueryInput
	if err == nil {
		in, err = r.queryInput(q, c)
	}
	outside := r.outside(q)
	return r.pages(c, err, func(start map[string]types.AttributeValue, limit *int32) (page, error) {
		req := *in // each range of the iterator reads on its own
		req.ExclusiveStartKey, req.Limit = start, limit
		pctx, end := r.start(ctx, "repository.Query", attribute.String("aws.dynamodb.index_name", q.Pattern.Index),
			attribute.Bool("aws.dynamodb.consistent_read", c.consistent))
		out, err := r.client.Query(pctx, &req, c.sdk...)
		end(err)
		if err != nil {
			return page{}, fmt.Errorf("repository: Query %q (%s): %w", r.table.Name, q.Pattern.Name, err)
		}
		r.report(ctx, c, "Query", out.ConsumedCapacity)
		if outside != nil {
			out.Items = slices.DeleteFunc(out.Items, outside)
		}
		return page{out.Items, out.LastEvaluatedKey}, nil
	})
}

// page is one response of a paginated read.
type page struct {
	items []map[string]types.AttributeValue
	last  map[string]types.AttributeValue
}

// pages iterates over the items of successive pages that fetch reads,
// stopping after c.limit items when set. A non-nil err is yielded at once.
func (r *Repository[T]) pages(c call, err error, fetch func(start map[string]types.AttributeValue, limit *int32) (page, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero, buf T
		if err != nil {
			yield(zero, err)
			return
		}
		var start map[string]types.AttributeValue
		n := 0
		for {
			var limit *int32
			if c.limit > 0 && c.filter == nil {
				limit = aws.Int32(int32(min(c.limit-n, 1<<30)))
			}
			p, err := fetch(start, limit)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range p.items {
				if !r.owns(item) {
					c.skip()
					continue
				}
				// One T to decode into for every item: each is yielded
				// as a copy, so the codec need not allocate one per item.
				buf = zero
				err := r.decodeInto(item, &buf)
				if !yield(buf, err) || err != nil {
					return
				}
				if n++; c.limit > 0 && n >= c.limit {
					return
				}
			}
			if len(p.last) == 0 {
				return
			}
			start = p.last
		}
	}
}

// Page reads one page of q starting at cursor (empty for the first page),
// for HTTP handlers that page with a token. It returns up to [Limit] items
// ([DefaultPageSize] by default), reading on while a [Filter] leaves a page
// short, and the cursor of the next page, empty when there is none.
//
// It returns an error matching [ErrInvalidCursor] for a cursor that was
// edited or issued for another table, pattern or partition, and the errors
// [Repository.Query] yields.
func (r *Repository[T]) Page(ctx context.Context, q index.Query, after Cursor, opts ...CallOption) (_ []T, _ Cursor, err error) {
	ctx, end := r.start(ctx, "repository.Page")
	defer func() { end(err) }()
	c := newCall(opts)
	size := c.limit
	if err := checkLimit(c, true); err != nil {
		return nil, "", err
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	q, err = r.scope(q)
	if err != nil {
		return nil, "", err
	}
	in, err := r.queryInput(q, c)
	if err != nil {
		return nil, "", err
	}
	binding, err := r.binding(q)
	if err != nil {
		return nil, "", err
	}
	if after != "" {
		start, err := r.cursors.Decode(binding, string(after))
		if err != nil {
			reason := err.Error()
			var ce *cursor.Error
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			return nil, "", &CursorError{Reason: reason, Err: err}
		}
		in.ExclusiveStartKey = start
	}
	var items []T
	outside := r.outside(q)
	for {
		in.Limit = aws.Int32(int32(min(size-len(items), 1<<30)))
		out, err := r.client.Query(ctx, in, c.sdk...)
		if err != nil {
			return nil, "", fmt.Errorf("repository: Query %q (%s): %w", r.table.Name, q.Pattern.Name, err)
		}
		r.report(ctx, c, "Query", out.ConsumedCapacity)
		if outside != nil {
			out.Items = slices.DeleteFunc(out.Items, outside)
		}
		out.Items = r.ownItems(out.Items, c)
		n := len(items)
		items = slices.Grow(items, len(out.Items))[:n+len(out.Items)]
		for i, item := range out.Items {
			if err := r.decodeInto(item, &items[n+i]); err != nil {
				return nil, "", err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items, "", nil
		}
		if len(items) >= size {
			next, err := r.cursors.Encode(binding, out.LastEvaluatedKey)
			if err != nil {
				return nil, "", fmt.Errorf("repository: encode cursor: %w", err)
			}
			return items, Cursor(next), nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryInput builds the QueryInput of q.
func (r *Repository[T]) queryInput(q index.Query, c call) (*dynamodb.QueryInput, error) {
	if err := checkLimit(c, false); err != nil {
		return nil, err
	}
	declared := false
	for _, p := range r.table.Patterns {
		if p.Name == q.Pattern.Name {
			if !samePattern(p, q.Pattern) {
				return nil, fmt.Errorf("%w: pattern %q differs from the one declared on table %q",
					index.ErrInvalidPattern, q.Pattern.Name, r.table.Name)
			}
			declared = true
		}
	}
	if !declared {
		return nil, fmt.Errorf("%w: pattern %q is not declared on table %q (list it in Table.Patterns)",
			index.ErrInvalidPattern, q.Pattern.Name, r.table.Name)
	}
	kc, err := q.KeyCondition(r.table)
	if err != nil {
		return nil, err
	}
	if c.consistent && q.Pattern.Index != "" {
		if ix, _ := r.table.Index(q.Pattern.Index); !ix.Local {
			return nil, fmt.Errorf("%w: pattern %q reads global index %q, which has no consistent reads",
				index.ErrInvalidPattern, q.Pattern.Name, q.Pattern.Index)
		}
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	if c.filter != nil {
		b = b.WithFilter(*c.filter)
	}
	if len(c.project) > 0 {
		attrs := r.readProjection(c.project, q.Pattern.Index)
		if _, sk, _ := r.table.KeysOf(q.Pattern.Index); r.outside(q) != nil && !slices.Contains(attrs, sk.Name) {
			// outside reads the sort key.
			attrs = append(slices.Clip(attrs), sk.Name)
		}
		b = b.WithProjection(projection(attrs))
	}
	e, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("repository: build query expression: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(r.table.Name),
		KeyConditionExpression:    e.KeyCondition(),
		FilterExpression:          e.Filter(),
		ProjectionExpression:      e.Projection(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ScanIndexForward:          aws.Bool(!q.Pattern.Descending),
		ConsistentRead:            aws.Bool(c.consistent),
		ReturnConsumedCapacity:    r.wantCapacity(c),
	}
	if q.Pattern.Index != "" {
		in.IndexName = aws.String(q.Pattern.Index)
	}
	return in, nil
}

// outside returns a function reporting the items a query of q reads that
// lie outside its pattern's SortPrefix, or nil when there can be none. A
// range condition (Lt, Le, Gt, Ge) on the sort key reaches past the prefix,
// to the partition's other kinds of items, and DynamoDB takes neither a
// second sort key condition nor a filter on a key attribute: those items are
// read, then dropped, as a filter drops items.
func (r *Repository[T]) outside(q index.Query) func(map[string]types.AttributeValue) bool {
	if q.Pattern.SortPrefix == "" || q.Sort.IsZero() {
		return nil
	}
	_, sk, err := r.table.KeysOf(q.Pattern.Index)
	if err != nil || sk.IsZero() {
		return nil
	}
	return func(item map[string]types.AttributeValue) bool {
		s, ok := item[sk.Name].(*types.AttributeValueMemberS)
		return !ok || !strings.HasPrefix(s.Value, q.Pattern.SortPrefix)
	}
}

// samePattern reports whether a and b are the same access pattern.
func samePattern(a, b index.AccessPattern) bool {
	return a.Name == b.Name && a.Index == b.Index && a.Descending == b.Descending &&
		a.PartitionPrefix == b.PartitionPrefix && a.SortPrefix == b.SortPrefix && slices.Equal(a.Reads, b.Reads)
}

// binding returns what a cursor of q is issued for: the table, the access
// pattern, its index and the partition.
func (r *Repository[T]) binding(q index.Query) (string, error) {
	pv, err := q.PartitionValue()
	if err != nil {
		return "", err
	}
	av, err := attributevalue.Marshal(pv)
	if err != nil {
		return "", fmt.Errorf("%w: partition value: %v", index.ErrInvalidPattern, err)
	}
	return binding(r.table.Name, q.Pattern, av), nil
}

// binding names what a cursor was issued for.
func binding(table string, p index.AccessPattern, partition types.AttributeValue) string {
	var v string
	switch pv := partition.(type) {
	case *types.AttributeValueMemberS:
		v = "S:" + pv.Value
	case *types.AttributeValueMemberN:
		v = "N:" + pv.Value
	case *types.AttributeValueMemberB:
		v = "B:" + base64.StdEncoding.EncodeToString(pv.Value)
	default:
		v = fmt.Sprintf("%T", partition)
	}
	return strings.Join([]string{table, p.Name, p.Index, v}, "\x00")
}
