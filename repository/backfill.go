package repository

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/cursor"
)

// backfillBinding binds backfill cursors to their table and entity type.
func (r *Repository[T]) backfillBinding() string {
	return r.table.Name + "\x00backfill\x00" + r.entityType
}

// BackfillEntityType adds the entity type attribute ([EntityTypeAttribute])
// to T's items written before it existed, one page of the table at a time:
// it scans up to [Limit] items (100 by default) after the cursor after
// (empty to start), sets the attribute on those that lack it and whose key
// has T's shape, and returns how many it set and the cursor to resume from,
// empty when the whole table has been read. Run it until the cursor comes
// back empty — again after a crash, from the last cursor it returned; items
// set twice are set once. Each update is conditional on the item still
// existing without the attribute, so concurrent writers are safe.
//
// Items without the attribute are read as T's already when their key has
// T's shape; the backfill makes that independent of key shapes. Where
// several types share one key layout (two models keyed "{id}" in one
// table), the key cannot say whose an item is, and neither can the
// backfill: pass a [Filter] that holds only for T's items (an attribute
// only T has, say), or it would name the other types' items T. A key
// layout with no literal text, such as the default "{id}", is refused
// without a Filter ([ErrInvalidModel]). It scans the table whether or
// not the repository is built [WithScan]: run it as a maintenance task,
// paying one read of the table. It returns an error matching
// [ErrInvalidCursor] for a cursor of another table or entity type, and
// the SDK's errors.
func (r *Repository[T]) BackfillEntityType(ctx context.Context, after Cursor, opts ...CallOption) (int, Cursor, error) {
	c := newCall(opts)
	if c.filter == nil && literal(r.pk)+literal(r.sk) == "" {
		return 0, "", &ModelError{Model: r.model, Reason: fmt.Sprintf(
			"BackfillEntityType: key layout %q %q cannot tell %s items from another type's sharing it; pass a Filter that holds only for them",
			string(r.pk), string(r.sk), r.entityType)}
	}
	limit := c.limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	missing := expression.AttributeNotExists(expression.NameNoDotSplit(EntityTypeAttribute))
	if c.filter != nil {
		missing = missing.And(*c.filter)
	}
	sc := c
	sc.filter, sc.project, sc.consistent = &missing, nil, false
	in, err := r.scanInput(sc)
	if err != nil {
		return 0, "", err
	}
	in.Limit = aws.Int32(int32(min(limit, 1<<30)))
	if after != "" {
		start, err := r.cursors.Decode(r.backfillBinding(), string(after))
		if err != nil {
			reason := err.Error()
			var ce *cursor.Error
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			return 0, "", &CursorError{Reason: reason, Err: err}
		}
		in.ExclusiveStartKey = start
	}
	out, err := r.client.Scan(ctx, in, c.sdk...)
	if err != nil {
		return 0, "", fmt.Errorf("repository: Scan %q: %w", r.table.Name, err)
	}
	r.report(ctx, c, "Scan", out.ConsumedCapacity)
	set, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.NameNoDotSplit(EntityTypeAttribute), expression.Value(r.entityTypeValue))).
		WithCondition(expression.AttributeExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)).
			And(expression.AttributeNotExists(expression.NameNoDotSplit(EntityTypeAttribute)))).
		Build()
	if err != nil {
		return 0, "", fmt.Errorf("repository: build backfill update: %w", err)
	}
	n := 0
	for _, item := range out.Items {
		if !r.owns(item) {
			continue
		}
		key := map[string]types.AttributeValue{r.table.PartitionKey.Name: item[r.table.PartitionKey.Name]}
		if !r.table.SortKey.IsZero() {
			key[r.table.SortKey.Name] = item[r.table.SortKey.Name]
		}
		res, err := r.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(r.table.Name), Key: key,
			UpdateExpression: set.Update(), ConditionExpression: set.Condition(),
			ExpressionAttributeNames: set.Names(), ExpressionAttributeValues: set.Values(),
			ReturnConsumedCapacity: r.wantCapacity(c),
		}, c.sdk...)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &ccf):
			continue // deleted, or given the attribute, since the scan
		case err != nil:
			return n, "", fmt.Errorf("repository: UpdateItem %q: %w", r.table.Name, err)
		}
		r.report(ctx, c, "UpdateItem", res.ConsumedCapacity)
		n++
	}
	if len(out.LastEvaluatedKey) == 0 {
		return n, "", nil
	}
	next, err := r.cursors.Encode(r.backfillBinding(), out.LastEvaluatedKey)
	if err != nil {
		return n, "", fmt.Errorf("repository: encode cursor: %w", err)
	}
	return n, Cursor(next), nil
}

// literal returns the text of t outside its {placeholders}.
func literal(t index.Template) string {
	var b strings.Builder
	s := string(t)
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		s = s[i+j+1:]
	}
	return b.String()
}
