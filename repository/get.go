package repository

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Get reads the item whose id is id. The read is eventually consistent
// unless [ConsistentRead] is given (principle 6); [Project] reads only some
// attributes, leaving the rest of T zero.
//
// It returns [ErrNotFound] when there is no such item, and an [*IDError]
// before any request when id is not a valid id.
func (r *Repository[T]) Get(ctx context.Context, id string, opts ...CallOption) (_ T, err error) {
	ctx, end := r.start(ctx, "repository.Get")
	defer func() { end(err) }()
	var zero T
	c := newCall(opts)
	key, err := r.keyOf(id)
	if err != nil {
		return zero, err
	}
	in := &dynamodb.GetItemInput{
		TableName:              aws.String(r.table.Name),
		Key:                    key,
		ConsistentRead:         aws.Bool(c.consistent),
		ReturnConsumedCapacity: r.wantCapacity(c),
	}
	if len(c.project) > 0 {
		e, err := expression.NewBuilder().WithProjection(projection(r.readProjection(c.project, ""))).Build()
		if err != nil {
			return zero, fmt.Errorf("repository: projection: %w", err)
		}
		in.ProjectionExpression, in.ExpressionAttributeNames = e.Projection(), e.Names()
	}
	out, err := r.client.GetItem(ctx, in, c.sdk...)
	if err != nil {
		return zero, fmt.Errorf("repository: GetItem %q: %w", r.table.Name, err)
	}
	r.report(ctx, c, "GetItem", out.ConsumedCapacity)
	if out.Item == nil {
		return zero, fmt.Errorf("%w: table %q, id %q", ErrNotFound, r.table.Name, id)
	}
	if !r.owns(out.Item) {
		c.skip()
		return zero, fmt.Errorf("%w: table %q, id %q: the item there is of another entity type", ErrNotFound, r.table.Name, id)
	}
	return r.decode(out.Item)
}

// projection builds a projection of top-level attribute names, which may
// contain dots or reserved words.
func projection(attrs []string) expression.ProjectionBuilder {
	var p expression.ProjectionBuilder
	for _, a := range attrs {
		p = p.AddNames(expression.NameNoDotSplit(a))
	}
	return p
}
