package repository

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.opentelemetry.io/otel/attribute"
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
	c := newCall(opts)
	var in *dynamodb.ScanInput
	err := ErrScanDisabled
	if r.s.scan {
		if in, err = r.scanInput(c); err == nil {
			err = checkLimit(c, false)
		}
	}
	return r.pages(c, err, func(start map[string]types.AttributeValue, limit *int32) (page, error) {
		req := *in // each range of the iterator reads on its own
		req.ExclusiveStartKey, req.Limit = start, limit
		pctx, end := r.start(ctx, "repository.Scan", attribute.Bool("aws.dynamodb.consistent_read", c.consistent))
		out, err := r.client.Scan(pctx, &req, c.sdk...)
		end(err)
		if err != nil {
			return page{}, fmt.Errorf("repository: Scan %q: %w", r.table.Name, err)
		}
		r.report(ctx, c, "Scan", out.ConsumedCapacity)
		return page{out.Items, out.LastEvaluatedKey}, nil
	})
}

// scanInput builds the ScanInput, filtering on the key layout's literal parts.
func (r *Repository[T]) scanInput(c call) (*dynamodb.ScanInput, error) {
	var conds []expression.ConditionBuilder
	if prefix, _, _ := strings.Cut(string(r.pk), "{"); prefix != "" {
		conds = append(conds, expression.BeginsWith(expression.NameNoDotSplit(r.table.PartitionKey.Name), prefix))
	}
	if r.sk != "" && !strings.Contains(string(r.sk), "{") {
		conds = append(conds, expression.NameNoDotSplit(r.table.SortKey.Name).Equal(expression.Value(string(r.sk))))
	} else if prefix, _, _ := strings.Cut(string(r.sk), "{"); prefix != "" {
		conds = append(conds, expression.BeginsWith(expression.NameNoDotSplit(r.table.SortKey.Name), prefix))
	}
	if r.s.parentAttr != "" {
		// A child's key may not tell it from its parent's item.
		conds = append(conds, expression.AttributeExists(expression.NameNoDotSplit(r.s.parentAttr)))
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
		b, used = b.WithProjection(projection(r.readProjection(c.project, ""))), true
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
