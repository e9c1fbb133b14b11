package repository

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/keyspace"
)

// EntityTypeAttribute is the attribute in which every item a repository
// writes names its entity type ([WithEntityType]): "_et", as DynamoDB
// Toolbox names it. A model cannot declare a field encoded under it.
//
// Reads — Get, Query, Page, Scan, BatchGet, and the members of a
// [Collect] — return an item as a T only when it names T's entity type, or,
// for an item written before the attribute existed, when its table key has
// the shape of T's key templates ([WithKeys]) and lies outside the
// library's reserved key space. Other items are skipped ([Skipped] counts
// them), never decoded as T.
//
// A query of a secondary index that does not project the attribute
// (KEYS_ONLY, or INCLUDE without "_et") tells types apart by their keys
// alone, which both types' items always carry: where two types share an
// index and a key layout without literal text ("{id}"), project "_et" into
// the index, or give each type's keys a prefix of its own.
const EntityTypeAttribute = "_et"

// initEntityType names the entity type at New and checks that no field
// takes the attribute, and that the key layout stays out of the reserved
// key space.
func (r *Repository[T]) initEntityType(rt reflect.Type) error {
	r.entityType = r.s.entityType
	if r.entityType == "" {
		r.entityType = rt.Name()
	}
	if r.entityType == "" {
		return &ModelError{Model: r.model, Reason: "an unnamed type needs WithEntityType"}
	}
	r.entityTypeValue = &types.AttributeValueMemberS{Value: r.entityType}
	if _, _, ok := fieldPath(rt, EntityTypeAttribute); ok {
		return &ModelError{Model: r.model, Reason: fmt.Sprintf("a field encodes as %q, the entity type attribute", EntityTypeAttribute)}
	}
	_, r.library = any((*T)(nil)).(keyspace.Owner)
	if !r.library && keyspace.Reserved(r.pk.Prefix()) {
		return &ModelError{Model: r.model, Reason: fmt.Sprintf("partition key template %q lies in the key space reserved for the library's own items (keys beginning %s)",
			string(r.pk), strings.Join(keyspace.Prefixes(), " or "))}
	}
	return nil
}

// sameEntity conditions w on the item it writes being of T's entity type,
// or written before the entity type attribute existed: an update through
// one repository never changes another type's item at the same key (two
// types keyed "{id}" in one table), nor returns it decoded as T. The
// condition holds on the item as w writes it, so it costs a resend nothing.
func (r *Repository[T]) sameEntity(w *Write) {
	if w.cond == nil {
		// The write's only condition (so far): the one built at New,
		// which a plain Put or Delete sends as it is.
		w.cond, w.built = &r.entityCond, &r.entityExpr
	} else {
		w.And(r.entityCond)
	}
	w.foreign = r.foreign
}

// initSameEntity builds sameEntity's condition and check once, at New.
func (r *Repository[T]) initSameEntity() error {
	name := expression.NameNoDotSplit(EntityTypeAttribute)
	r.entityCond = expression.Or(expression.AttributeNotExists(name), name.Equal(expression.Value(r.entityTypeValue)))
	r.foreign = func(item map[string]types.AttributeValue) bool { return !r.owns(item) }
	var err error
	if r.entityExpr, err = expression.NewBuilder().WithCondition(r.entityCond).Build(); err != nil {
		return &ModelError{Model: r.model, Reason: "entity type condition: " + err.Error()}
	}
	return nil
}

// owns reports whether item is one of T's: it names T's entity type, or,
// written before the entity type attribute, its key has T's shape.
func (r *Repository[T]) owns(item map[string]types.AttributeValue) bool {
	switch et := item[EntityTypeAttribute].(type) {
	case *types.AttributeValueMemberS:
		return et.Value == r.entityType
	case nil:
	default:
		return false
	}
	pk, ok := item[r.table.PartitionKey.Name].(*types.AttributeValueMemberS)
	if !ok || keyspace.Reserved(pk.Value) != r.library || !r.pk.Matches(pk.Value) {
		return false
	}
	if r.table.SortKey.IsZero() {
		return true
	}
	sk, ok := item[r.table.SortKey.Name].(*types.AttributeValueMemberS)
	return ok && r.sk.Matches(sk.Value)
}

// ownItems removes from items those that are not T's, counting them.
func (r *Repository[T]) ownItems(items []map[string]types.AttributeValue, c call) []map[string]types.AttributeValue {
	return slices.DeleteFunc(items, func(item map[string]types.AttributeValue) bool {
		if r.owns(item) {
			return false
		}
		c.skip()
		return true
	})
}

// skip counts one skipped item where the caller asked ([Skipped]).
func (c call) skip() {
	if c.skipped != nil {
		*c.skipped++
	}
}

// readProjection returns attrs plus what tells T's items from others and
// names them: the table's key attributes, the id and parent, and the
// entity type where the index projects it. Each is named once: DynamoDB
// refuses a projection that names an attribute twice.
func (r *Repository[T]) readProjection(attrs []string, indexName string) []string {
	out := slices.Clone(attrs)
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, k := range r.table.KeyAttributes() {
		add(k)
	}
	add(r.s.idAttr)
	add(r.s.parentAttr)
	if ix, ok := r.table.Index(indexName); indexName == "" || ok && projects(ix.Projection, EntityTypeAttribute) {
		add(EntityTypeAttribute)
	}
	return out
}

// projects reports whether an index projection copies attr.
func projects(p index.Projection, attr string) bool {
	switch p.ProjectionType() {
	case types.ProjectionTypeAll:
		return true
	case types.ProjectionTypeInclude:
		return slices.Contains(p.Attributes, attr)
	}
	return false
}
