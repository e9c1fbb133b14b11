package repository

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type changeKind int

const (
	chSet changeKind = iota
	chSetPath
	chRemove
	chAdd
	chDelete
	chAppend
)

type change struct {
	kind   changeKind
	name   string
	value  any
	values []any
}

// Changes is a partial update, built by chaining; the zero value changes
// nothing. Attribute names are taken literally — reserved words, dots and
// other odd characters are fine — except in [Changes.SetPath], which takes a
// document path. Changes values are immutable: each method returns a copy.
//
//	changes := repository.Set("name", "Acme Ltd").Remove("fax").Add("employees", 3)
type Changes struct{ ops []change }

// Set returns changes that set attr to v.
func Set(attr string, v any) Changes { return Changes{}.Set(attr, v) }

// Remove returns changes that remove attr.
func Remove(attr string) Changes { return Changes{}.Remove(attr) }

// Add returns changes that add n to the number attr, or the elements of the
// set n to the set attr (an atomic counter: no read-modify-write).
func Add(attr string, n any) Changes { return Changes{}.Add(attr, n) }

// Append returns changes that append values to the list attr.
func Append(attr string, values ...any) Changes { return Changes{}.Append(attr, values...) }

func (c Changes) with(ch change) Changes {
	c.ops = append(slices.Clip(c.ops), ch)
	return c
}

// Set sets the top-level attribute attr to v.
func (c Changes) Set(attr string, v any) Changes {
	return c.with(change{kind: chSet, name: attr, value: v})
}

// SetPath sets the nested attribute at a document path such as
// "address.city" or "contacts[0].email".
func (c Changes) SetPath(path string, v any) Changes {
	return c.with(change{kind: chSetPath, name: path, value: v})
}

// Remove removes the top-level attribute attr.
func (c Changes) Remove(attr string) Changes { return c.with(change{kind: chRemove, name: attr}) }

// Add adds n to the number attr (creating it at 0), or the elements of the
// set n to the set attr. On a set with a [WithBound], the add is
// conditional on the bound, counting every element of n as new.
func (c Changes) Add(attr string, n any) Changes {
	return c.with(change{kind: chAdd, name: attr, value: n})
}

// DeleteFromSet removes the elements of the set v from the set attr.
func (c Changes) DeleteFromSet(attr string, v any) Changes {
	return c.with(change{kind: chDelete, name: attr, value: v})
}

// Append appends values to the list attr, creating it when absent. On an
// attribute with a [WithBound], the append is conditional on the bound.
func (c Changes) Append(attr string, values ...any) Changes {
	return c.with(change{kind: chAppend, name: attr, values: values})
}

// top returns the top-level attribute a change touches.
func (ch change) top() string {
	if ch.kind != chSetPath {
		return ch.name
	}
	if i := strings.IndexAny(ch.name, ".["); i >= 0 {
		return ch.name[:i]
	}
	return ch.name
}

// Update applies changes to the item whose id is id and returns the item
// as it is after the update. The update is conditional on the item existing
// (an update never creates an item) and on any [If] condition.
//
// Derived attributes (see [Derive] and [WithIndexKey]) whose inputs the
// changes touch are recomputed in the same request; changes must then set or
// remove every input of such an attribute, or Update returns an
// [*UpdateError] before any request. Key attributes and derived attributes
// cannot be changed directly.
//
// On a versioned model ([WithVersion]) Update needs [IfVersion], unless
// [AnyVersion] is given or the changes are only [Add]s, and it increments
// the version.
//
// Sent as a transaction (see [WithRetryUnsafeWrites]), which returns no
// values, the item returned is read right after the write, strongly
// consistent: it holds this update and any write that landed after it (its
// version says which), and an item deleted in between is [ErrNotFound]
// although the update was applied.
//
// It returns [ErrNotFound] (as a [*ConditionError]) when the item does not
// exist or is of another entity type, [ErrVersionConflict] in a [*ConditionError] carrying the current
// item when the version is stale, a [*ConditionError] with the current item
// when an [If] condition fails, an [*ItemTooLargeError] when the key and
// SET values exceed 400 KB (before any request) or DynamoDB refuses the
// grown item, a [*ValueError] for a value DynamoDB would refuse or alter,
// an [*UpdateError] for an attribute the model does not declare
// ([WithAttributes]), a [*GrowthError] when a bounded collection
// would exceed its bound, and an [*IDError], [*UpdateError] or
// [ErrVersionRequired] before any request.
func (r *Repository[T]) Update(ctx context.Context, id string, changes Changes, opts ...CallOption) (_ T, err error) {
	ctx, end := r.start(ctx, "repository.Update")
	defer func() { end(err) }()
	var zero T
	w, err := r.PlanUpdate(ctx, id, changes, opts...)
	if err != nil {
		return zero, err
	}
	c := newCall(opts)
	attrs, err := r.send(ctx, w, c)
	if err != nil {
		return zero, r.sizeRefusal(err)
	}
	if attrs == nil {
		// Sent as a transaction, which returns no values: read the item
		// back, strongly consistent.
		return r.Get(ctx, id, append(opts, ConsistentRead())...)
	}
	return r.decode(attrs)
}

// PlanUpdate prepares the write [Repository.Update] would send, without sending it.
func (r *Repository[T]) PlanUpdate(ctx context.Context, id string, changes Changes, opts ...CallOption) (*Write, error) {
	c := newCall(opts)
	key, err := r.keyOf(id)
	if err != nil {
		return nil, err
	}
	if len(changes.ops) == 0 {
		return nil, &UpdateError{Reason: "no changes"}
	}
	if changes, err = r.prepareChanges(key, changes); err != nil {
		return nil, err
	}
	protected := map[string]string{r.s.idAttr: "is the id"}
	if r.s.parentAttr != "" {
		protected[r.s.parentAttr] = "is the parent, part of the key"
	}
	if r.Versioned() {
		protected[r.s.versionAttr] = "is the version; the repository maintains it"
	}
	for _, k := range r.table.KeyAttributes() {
		protected[k] = "is a table key"
	}
	for _, d := range r.derived {
		protected[d.attr] = "is derived; change its inputs " + fmt.Sprint(d.inputs)
	}
	for _, k := range r.s.indexKeys {
		fields, _ := k.tmpl.Fields()
		protected[k.attr] = "is an index key derived from " + fmt.Sprint(fields)
	}
	var u expression.UpdateBuilder
	w := &Write{op: opUpdate, table: r.table.Name, key: key, notFound: ErrNotFound}
	touched := map[string]change{}
	for _, ch := range changes.ops {
		top := ch.top()
		if top == "" {
			return nil, &UpdateError{Attribute: ch.name, Reason: "empty attribute name"}
		}
		if why, ok := protected[top]; ok {
			return nil, &UpdateError{Attribute: top, Reason: why}
		}
		if prev, dup := touched[top]; dup && (prev.kind != chSetPath || ch.kind != chSetPath) {
			return nil, &UpdateError{Attribute: top, Reason: "changed twice in one update"}
		}
		touched[top] = ch
		name := expression.NameNoDotSplit(ch.name)
		switch ch.kind {
		case chSet:
			if err := r.checkBound(ch.name, ch.value); err != nil {
				return nil, err
			}
			if slices.Contains(r.indexAttrs, ch.name) {
				if av, err := r.encodeValue(ch.value); err == nil && emptyKey(av) {
					// An empty index key is refused by DynamoDB: leave
					// the item out of the sparse index instead.
					u = u.Remove(name)
					continue
				}
			}
			u = u.Set(name, expression.Value(ch.value))
		case chSetPath:
			u = u.Set(expression.Name(ch.name), expression.Value(ch.value))
		case chRemove:
			u = u.Remove(name)
		case chAdd:
			u = u.Add(name, expression.Value(ch.value))
			if av, err := r.encodeValue(ch.value); err != nil || !isSet(av) {
				w.retryUnsafe = true // adding to a number twice counts twice
			}
			if _, ok := r.s.bounds[ch.name]; ok {
				av, err := r.encodeValue(ch.value)
				if err != nil {
					return nil, fmt.Errorf("repository: encode %q: %w", ch.name, err)
				}
				if err := r.boundGrowth(w, ch.name, collectionLen(av)); err != nil {
					return nil, err
				}
			}
		case chDelete:
			u = u.Delete(name, expression.Value(ch.value))
		case chAppend:
			if len(ch.values) == 0 {
				return nil, &UpdateError{Attribute: ch.name, Reason: "append of no values"}
			}
			u = u.Set(name, expression.ListAppend(
				expression.IfNotExists(name, expression.Value([]any{})), expression.Value(ch.value)))
			w.retryUnsafe = true
			if err := r.boundGrowth(w, ch.name, len(ch.values)); err != nil {
				return nil, err
			}
		}
	}
	if u, err = r.updateDerived(u, id, touched); err != nil {
		return nil, err
	}
	if r.Versioned() {
		vname := expression.NameNoDotSplit(r.s.versionAttr)
		switch {
		case c.version != nil:
			r.expectVersion(w, *c.version)
			u = u.Set(vname, expression.Value(versionValue(*c.version+1)))
		case onlyAdds(changes) || c.anyVersion:
			// Counters commute, and AnyVersion writes do not depend on
			// what was read: no version to expect, but the version still
			// moves so that read-modify-write callers notice.
			u = u.Add(vname, expression.Value(1))
		default:
			return nil, versionRequired(r.model, "Update", "pass IfVersion with the version the item was read with")
		}
	}
	if err := r.updateGuards(ctx, w, id, touched, c); err != nil {
		return nil, err
	}
	w.update = &u
	w.And(expression.AttributeExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)))
	r.sameEntity(w)
	if c.cond != nil {
		w.And(*c.cond)
	}
	// An update guarded only by the item's existence, setting and removing
	// values, lands the same however often it is resent; a version or a
	// caller's condition fails on its own result.
	w.retryUnsafe = w.retryUnsafe || r.Versioned() || c.cond != nil
	return w, nil
}

// boundGrowth conditions w on the bounded collection attr having room for
// added more elements (Append to a list, Add to a set). For a set, elements
// already in it count as added too: the condition cannot tell them apart.
func (r *Repository[T]) boundGrowth(w *Write, attr string, added int) error {
	bound, ok := r.s.bounds[attr]
	if !ok || added == 0 {
		return nil
	}
	if added > bound {
		return &GrowthError{Attribute: attr, Len: added, Bound: bound}
	}
	name := expression.NameNoDotSplit(attr)
	w.And(expression.Or(expression.AttributeNotExists(name),
		expression.LessThanEqual(expression.Size(name), expression.Value(bound-added))))
	// The write grows the collection: resent after a lost response, the
	// condition could fail on the write's own result.
	w.retryUnsafe = true
	if w.bounds == nil {
		w.bounds = map[string]appendBound{}
	}
	w.bounds[attr] = appendBound{added: added, bound: bound}
	return nil
}

// checkBound refuses setting a bounded collection to more than its bound.
func (r *Repository[T]) checkBound(attr string, v any) error {
	bound, ok := r.s.bounds[attr]
	if !ok {
		return nil
	}
	av, err := r.encodeValue(v)
	if err != nil {
		return fmt.Errorf("repository: encode %q: %w", attr, err)
	}
	if n := collectionLen(av); n > bound {
		return &GrowthError{Attribute: attr, Len: n, Bound: bound}
	}
	return nil
}

// updateDerived adds the recomputed derived and index key attributes whose
// inputs the update touches.
func (r *Repository[T]) updateDerived(u expression.UpdateBuilder, id string, touched map[string]change) (expression.UpdateBuilder, error) {
	// partial holds the new values of the inputs the update sets, plus the id.
	var partial map[string]types.AttributeValue
	inputsOf := func(attr string, inputs []string) (map[string]types.AttributeValue, bool, error) {
		hit := false
		for _, in := range inputs {
			if _, ok := touched[in]; ok {
				hit = true
			}
		}
		if !hit {
			return nil, false, nil
		}
		if partial == nil {
			partial = map[string]types.AttributeValue{r.s.idAttr: &types.AttributeValueMemberS{Value: id}}
			if r.s.parentAttr != "" {
				partial[r.s.parentAttr] = &types.AttributeValueMemberS{Value: r.parent}
			}
		}
		for _, in := range inputs {
			if in == r.s.idAttr || (in == r.s.parentAttr && in != "") {
				continue
			}
			ch, ok := touched[in]
			if !ok || (ch.kind != chSet && ch.kind != chRemove) {
				return nil, false, &UpdateError{Attribute: attr, Reason: fmt.Sprintf(
					"derived from %v; set or remove all of them in one update (or read, modify and put the item)", inputs)}
			}
			if ch.kind == chSet {
				if _, done := partial[in]; !done {
					av, err := r.encodeValue(ch.value)
					if err != nil {
						return nil, false, fmt.Errorf("repository: encode %q: %w", in, err)
					}
					partial[in] = av
				}
			}
		}
		return partial, true, nil
	}
	for _, d := range r.derived {
		p, hit, err := inputsOf(d.attr, d.inputs)
		if err != nil || !hit {
			if err != nil {
				return u, err
			}
			continue
		}
		t, err := r.decode(p)
		if err != nil {
			return u, err
		}
		var av types.AttributeValue
		if v := d.fn(&t); v != nil {
			if av, err = r.encodeValue(v); err != nil {
				return u, fmt.Errorf("repository: encode derived attribute %q: %w", d.attr, err)
			}
		}
		u = r.setComputed(u, d.attr, av)
	}
	for _, k := range r.s.indexKeys {
		fields, _ := k.tmpl.Fields()
		p, hit, err := inputsOf(k.attr, fields)
		if err != nil {
			return u, err
		}
		if !hit {
			continue
		}
		v, _ := composeIndexKey(k, p)
		u = r.setComputed(u, k.attr, v)
	}
	return u, nil
}

// setComputed sets the computed attribute attr to v, or removes it where
// writing the whole item would leave it out ([Repository.encode]): when v is
// nil or null, or an empty key of a secondary index, which DynamoDB refuses.
func (r *Repository[T]) setComputed(u expression.UpdateBuilder, attr string, v types.AttributeValue) expression.UpdateBuilder {
	name := expression.NameNoDotSplit(attr)
	if _, isNull := v.(*types.AttributeValueMemberNULL); v == nil || isNull ||
		slices.Contains(r.indexAttrs, attr) && emptyKey(v) {
		return u.Remove(name)
	}
	return u.Set(name, expression.Value(v))
}

func onlyAdds(c Changes) bool {
	for _, ch := range c.ops {
		if ch.kind != chAdd {
			return false
		}
	}
	return true
}

// updateGuards moves the guards of the unique attributes an update sets or
// removes, reading the current item first.
func (r *Repository[T]) updateGuards(ctx context.Context, w *Write, id string, touched map[string]change, c call) error {
	var attrs []string
	next := map[string]types.AttributeValue{}
	for _, u := range r.s.uniques {
		ch, ok := touched[u]
		if !ok {
			continue
		}
		switch ch.kind {
		case chSet:
			av, err := r.encodeValue(ch.value)
			if err != nil {
				return fmt.Errorf("repository: encode %q: %w", u, err)
			}
			next[u] = av
		case chRemove:
		default:
			return &UpdateError{Attribute: u, Reason: "a unique attribute can only be set or removed"}
		}
		attrs = append(attrs, u)
	}
	if len(attrs) == 0 {
		return nil
	}
	cur, err := r.current(ctx, w.key, c)
	if err != nil {
		return err
	}
	if cur == nil {
		return &ConditionError{Table: r.table.Name, Key: w.key, Sentinel: ErrNotFound,
			Err: fmt.Errorf("no item with id %q", id)}
	}
	return r.moveGuards(w, id, attrs, cur, next)
}

// isSet reports a string, number or binary set: adding one to a set twice
// leaves the set as adding it once does.
func isSet(av types.AttributeValue) bool {
	switch av.(type) {
	case *types.AttributeValueMemberSS, *types.AttributeValueMemberNS, *types.AttributeValueMemberBS:
		return true
	}
	return false
}
