package repository

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
)

// Attributes of a unique guard item.
const (
	guardOwner = "owner"
	guardAttr  = "uniqueAttribute"
	guardValue = "uniqueValue"
)

// initUnique checks the unique attributes at New and names the entity.
func (r *Repository[T]) initUnique(rt reflect.Type) error {
	prefix, _, _ := strings.Cut(string(r.pk), "{")
	if p := r.s.parentAttr; p != "" {
		// A child's key prefix next to the parent is the parent's, which
		// names the parent's guards: name the child by its template
		// without the parent, or by its type.
		prefix = ""
		for _, t := range []index.Template{r.pk, r.sk} {
			if f, _ := t.Fields(); t != "" && !slices.Contains(f, p) {
				prefix, _, _ = strings.Cut(string(t), "{")
				break
			}
		}
	}
	r.entity = strings.Trim(prefix, "#")
	if r.entity == "" {
		r.entity = rt.Name()
	}
	for _, u := range r.s.uniques {
		reason := ""
		switch {
		case u == "":
			reason = "empty attribute name"
		case u == r.s.idAttr:
			reason = "the id is unique already"
		case slices.Contains(r.table.KeyAttributes(), u):
			reason = "a table key is unique already"
		case u == r.s.versionAttr:
			reason = "the version attribute cannot be unique"
		}
		if reason != "" {
			return &ModelError{Model: r.model, Reason: fmt.Sprintf("WithUnique(%q): %s", u, reason)}
		}
	}
	return nil
}

// guardKey is the key of the guard item holding value of attr.
func (r *Repository[T]) guardKey(attr, value string) map[string]types.AttributeValue {
	k := "UNIQUE#" + r.entity + "#" + attr + "#" + value
	key := map[string]types.AttributeValue{r.table.PartitionKey.Name: &types.AttributeValueMemberS{Value: k}}
	if !r.table.SortKey.IsZero() {
		key[r.table.SortKey.Name] = &types.AttributeValueMemberS{Value: "UNIQUE"}
	}
	return key
}

// uniqueText returns the text a unique value is guarded by; "" when absent.
func uniqueText(attr string, av types.AttributeValue) (string, error) {
	switch v := av.(type) {
	case nil, *types.AttributeValueMemberNULL:
		return "", nil
	case *types.AttributeValueMemberS:
		return v.Value, nil
	case *types.AttributeValueMemberN:
		return v.Value, nil
	case *types.AttributeValueMemberB:
		return base64.StdEncoding.EncodeToString(v.Value), nil
	}
	return "", &UpdateError{Attribute: attr, Reason: fmt.Sprintf("a unique attribute must be a string, number or binary, not %T", av)}
}

func (r *Repository[T]) guardPut(id, attr, value string) *Write {
	key := r.guardKey(attr, value)
	item := map[string]types.AttributeValue{
		guardOwner: &types.AttributeValueMemberS{Value: id},
		guardAttr:  &types.AttributeValueMemberS{Value: attr},
		guardValue: &types.AttributeValueMemberS{Value: value},
	}
	for k, v := range key {
		item[k] = v
	}
	w := &Write{op: opPut, table: r.table.Name, key: key, item: item}
	w.And(expression.AttributeNotExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)))
	w.fail = func(current map[string]types.AttributeValue, cause error) error {
		owner, _ := stringOf(current[guardOwner])
		return &UniqueError{Table: r.table.Name, Attribute: attr, Value: value, Owner: owner, Err: cause}
	}
	return w
}

func (r *Repository[T]) guardDelete(id, attr, value string) *Write {
	w := &Write{op: opDelete, table: r.table.Name, key: r.guardKey(attr, value)}
	w.And(expression.Or(
		expression.AttributeNotExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)),
		expression.NameNoDotSplit(guardOwner).Equal(expression.Value(id))))
	return w
}

// current reads the unique attributes, version and key of the item with
// key, strongly consistent; nil when absent.
func (r *Repository[T]) current(ctx context.Context, key map[string]types.AttributeValue, c call) (map[string]types.AttributeValue, error) {
	attrs := append([]string{r.table.PartitionKey.Name}, r.s.uniques...)
	if r.s.versionAttr != "" {
		attrs = append(attrs, r.s.versionAttr)
	}
	e, err := expression.NewBuilder().WithProjection(projection(attrs)).Build()
	if err != nil {
		return nil, fmt.Errorf("repository: projection: %w", err)
	}
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(r.table.Name), Key: key, ConsistentRead: aws.Bool(true),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(),
		ReturnConsumedCapacity: r.wantCapacity(c),
	}, c.sdk...)
	if err != nil {
		return nil, fmt.Errorf("repository: GetItem %q: %w", r.table.Name, err)
	}
	r.report(ctx, c, "GetItem", out.ConsumedCapacity)
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// moveGuards adds to w the guard writes that take the unique values of
// attrs from old (the current item, nil when absent) to next, and
// conditions w on the current values still being those read.
func (r *Repository[T]) moveGuards(w *Write, id string, attrs []string, old, next map[string]types.AttributeValue) error {
	for _, u := range attrs {
		o, err := uniqueText(u, old[u])
		if err != nil {
			return err
		}
		n, err := uniqueText(u, next[u])
		if err != nil {
			return err
		}
		if old != nil {
			name := expression.NameNoDotSplit(u)
			// holds says whether the condition holds on the item as w
			// writes it: if not, a resend after a lost response would
			// fail on w's own result, so w must go as an idempotent
			// transaction.
			var holds bool
			switch {
			case old[u] == nil:
				w.And(expression.AttributeNotExists(name))
				holds = next[u] == nil
			case o == "":
				// Stored, but empty ("" or NULL): no guard holds it.
				same := name.Equal(expression.Value(old[u]))
				if _, null := old[u].(*types.AttributeValueMemberNULL); null {
					same = name.AttributeType(expression.Null)
				}
				w.And(expression.Or(expression.AttributeNotExists(name), same))
				holds = next[u] == nil || reflect.DeepEqual(next[u], old[u])
			default:
				w.And(name.Equal(expression.Value(old[u])))
				holds = reflect.DeepEqual(next[u], old[u])
			}
			if !holds && w.op != opDelete {
				w.retryUnsafe = true
			}
		}
		if o == n {
			continue
		}
		if o != "" {
			w.companions = append(w.companions, r.guardDelete(id, u, o))
		}
		if n != "" {
			if err := r.checkGuardKey(u, n); err != nil {
				return err
			}
			w.companions = append(w.companions, r.guardPut(id, u, n))
		}
	}
	return nil
}
