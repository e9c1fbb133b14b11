package repository

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Scan reads every item of the repository's entity type in the table, page
// by page, stopping after [Limit] items when given. In a table shared by
// several entity types, only items whose keys follow this repository's
// layout are returned.
//
// Scan reads the whole table and is almost always the wrong tool: declare an
// access pattern and [Repository.Query] it (principle 12). A repository
// built without [WithScan] yields [ErrScanDisabled] and makes no request.
func (r *Repository[T]) Scan(ctx context.Context, opts ...CallOption) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if !r.s.scan {
			yield(zero, ErrScanDisabled)
			return
		}
		c := newCall(opts)
		in, err := r.scanInput(c)
		if err != nil {
			yield(zero, err)
			return
		}
		n := 0
		for {
			if c.limit > 0 && c.filter == nil {
				in.Limit = aws.Int32(int32(min(c.limit-n, 1<<30)))
			}
			out, err := r.client.Scan(ctx, in, c.sdk...)
			if err != nil {
				yield(zero, fmt.Errorf("repository: Scan %q: %w", r.table.Name, err))
				return
			}
			r.report(ctx, c, "Scan", out.ConsumedCapacity)
			for _, item := range out.Items {
				t, err := r.decode(item)
				if !yield(t, err) || err != nil {
					return
				}
				if n++; c.limit > 0 && n >= c.limit {
					return
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				return
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
}

// scanInput builds the ScanInput, filtering on the key layout's literal parts.
func (r *Repository[T]) scanInput(c call) (*dynamodb.ScanInput, error) {
	var conds []expression.ConditionBuilder
	if prefix, _, _ := strings.Cut(string(r.pk), "{"); prefix != "" {
		conds = append(conds, expression.BeginsWith(expression.NameNoDotSplit(r.table.PartitionKey.Name), prefix))
	}
	if r.sk != "" && !strings.Contains(string(r.sk), "{") {
		conds = append(conds, expression.NameNoDotSplit(r.table.SortKey.Name).Equal(expression.Value(string(r.sk))))
	}
	if c.filter != nil {
		conds = append(conds, *c.filter)
	}
	b := expression.NewBuilder()
	used := false
	switch len(conds) {
	case 0:
	case 1:
		b, used = b.WithFilter(conds[0]), true
	default:
		b, used = b.WithFilter(expression.And(conds[0], conds[1], conds[2:]...)), true
	}
	if len(c.project) > 0 {
		b, used = b.WithProjection(projection(c.project)), true
	}
	in := &dynamodb.ScanInput{
		TableName:              aws.String(r.table.Name),
		ConsistentRead:         aws.Bool(c.consistent),
		ReturnConsumedCapacity: r.wantCapacity(c),
	}
	if used {
		e, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("repository: build scan expression: %w", err)
		}
		in.FilterExpression, in.ProjectionExpression = e.Filter(), e.Projection()
		in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Names(), e.Values()
	}
	return in, nil
}
