package repository

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/keyspace"
)

// checkID validates an id before any request: a canonical lower-case UUID
// (any version) unless the model uses a natural key, which must be non-empty.
func (r *Repository[T]) checkID(id string) error {
	if id == "" {
		return &IDError{ID: id, Reason: "empty"}
	}
	if r.s.natural {
		switch {
		case !utf8.ValidString(id):
			return &IDError{ID: id, Reason: "not valid UTF-8"}
		case len(id) > maxPartitionKey:
			return &IDError{ID: id[:32] + "...", Reason: fmt.Sprintf("%d bytes; a key holds at most %d", len(id), maxPartitionKey)}
		}
		return nil
	}
	if !canonicalUUID(id) {
		return &IDError{ID: id, Reason: "not a UUID in canonical lower-case form (ids are generated UUIDs; " +
			"declare WithNaturalKey for a natural unique key)"}
	}
	return nil
}

// checkParent validates a parent id as checkID validates ids: a canonical
// UUID unless [WithNaturalParent], and never empty.
func (r *Repository[T]) checkParent(parent string) error {
	switch {
	case parent == "":
		return &IDError{ID: parent, Reason: "empty parent (" + r.s.parentAttr + ")"}
	case !r.s.naturalParent && !canonicalUUID(parent):
		return &IDError{ID: parent, Reason: "parent " + r.s.parentAttr + " is not a UUID in canonical lower-case form " +
			"(declare WithNaturalParent for a parent keyed by a natural key)"}
	}
	return nil
}

// canonicalUUID reports whether id is a UUID in canonical lower-case form,
// 8-4-4-4-12 hexadecimal digits, of any version.
func canonicalUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// newID returns a fresh UUID: version 7 unless WithUUIDv4 was given.
func (r *Repository[T]) newID() (string, error) {
	var (
		u   uuid.UUID
		err error
	)
	if r.s.uuidV4 {
		u, err = uuid.NewRandom()
	} else {
		u, err = uuid.NewV7()
	}
	if err != nil {
		return "", fmt.Errorf("repository: generate id: %w", err)
	}
	return u.String(), nil
}

// keyOf returns the table key of the item whose id is id, under the
// repository's parent (see [Repository.In]).
func (r *Repository[T]) keyOf(id string) (map[string]types.AttributeValue, error) {
	if r.scopeErr != nil {
		return nil, r.scopeErr
	}
	if r.parentPath != nil && !r.scoped {
		return nil, fmt.Errorf("%w: %s belongs to a parent (%s): call this on In(parent)", ErrParentRequired, r.model, r.s.parentAttr)
	}
	return r.compose(id, r.parent)
}

// keyOfItem returns the table key of item, taking the parent from item; on
// a repository bound to a parent, an empty parent field is set to it and
// another parent refused.
func (r *Repository[T]) keyOfItem(item *T) (map[string]types.AttributeValue, error) {
	if r.scopeErr != nil {
		return nil, r.scopeErr
	}
	parent := ""
	if r.parentPath != nil {
		parent = r.parentOf(item)
		switch {
		case r.scoped && parent == "":
			parent = r.parent
			reflect.ValueOf(item).Elem().FieldByIndex(r.parentPath).SetString(parent)
		case r.scoped && parent != r.parent:
			return nil, fmt.Errorf("%w: the item's %s is %q, not %q as In said", ErrParentRequired, r.s.parentAttr, parent, r.parent)
		case parent == "":
			return nil, fmt.Errorf("%w: the item's %s is empty", ErrParentRequired, r.s.parentAttr)
		}
	}
	return r.compose(r.idOf(item), parent)
}

// compose builds the key of the item id under parent.
func (r *Repository[T]) compose(id, parent string) (map[string]types.AttributeValue, error) {
	if err := r.checkID(id); err != nil {
		return nil, err
	}
	if r.parentPath != nil {
		if err := r.checkParent(parent); err != nil {
			return nil, err
		}
	}
	lookup := func(f string) (string, bool) {
		if f == r.s.idAttr {
			return id, true
		}
		return parent, f == r.s.parentAttr && f != ""
	}
	key := make(map[string]types.AttributeValue, 2)
	pk, err := r.pk.Expand(lookup)
	if err != nil {
		return nil, err
	}
	if !r.library && keyspace.Reserved(pk) {
		return nil, &IDError{ID: id, Reason: fmt.Sprintf("its key %q lies in the key space reserved for the library's own items (keys beginning %s)",
			pk, strings.Join(keyspace.Prefixes(), " or "))}
	}
	sk := ""
	if !r.table.SortKey.IsZero() {
		if sk, err = r.sk.Expand(lookup); err != nil {
			return nil, err
		}
		key[r.table.SortKey.Name] = &types.AttributeValueMemberS{Value: sk}
	}
	if err := r.checkKey(pk, sk, parent); err != nil {
		return nil, err
	}
	key[r.table.PartitionKey.Name] = &types.AttributeValueMemberS{Value: pk}
	return key, nil
}

// stringOf returns the text of a scalar attribute for key composition.
func stringOf(v types.AttributeValue) (string, bool) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, true
	case *types.AttributeValueMemberN:
		return v.Value, true
	}
	return "", false
}

// composeIndexKey computes an index key attribute from item, reporting false
// when an input is absent (the item then stays out of a sparse index).
func composeIndexKey(k indexKey, item map[string]types.AttributeValue) (types.AttributeValue, bool) {
	if f, ok := k.tmpl.Single(); ok {
		v, ok := item[f]
		if _, isNull := v.(*types.AttributeValueMemberNULL); !ok || isNull {
			return nil, false
		}
		return v, true
	}
	s, err := k.tmpl.Expand(func(f string) (string, bool) { return stringOf(item[f]) })
	if err != nil {
		return nil, false
	}
	return &types.AttributeValueMemberS{Value: s}, true
}

// checkKeys validates the key layout against the table at New.
func (r *Repository[T]) checkKeys(model string) error {
	bad := func(format string, args ...any) error {
		return &ModelError{Model: model, Reason: fmt.Sprintf(format, args...)}
	}
	for name, tmpl := range map[string]index.Template{"partition": r.pk, "sort": r.sk} {
		fields, err := tmpl.Fields()
		if err != nil {
			return bad("%s key: %v", name, err)
		}
		for _, f := range fields {
			if f != r.s.idAttr && (f != r.s.parentAttr || f == "") {
				return bad("%s key template %q refers to {%s}; base keys may refer only to the id {%s} and a parent (WithParent)",
					name, string(tmpl), f, r.s.idAttr)
			}
		}
	}
	if p := r.s.parentAttr; p != "" {
		pf, _ := r.pk.Fields()
		sf, _ := r.sk.Fields()
		if !slices.Contains(pf, p) && !slices.Contains(sf, p) {
			return bad("WithParent(%q): no key template refers to {%s}", p, p)
		}
	}
	if r.table.PartitionKey.ScalarType() != types.ScalarAttributeTypeS {
		return bad("table partition key %q is %s; keys composed from ids are strings", r.table.PartitionKey.Name, r.table.PartitionKey.ScalarType())
	}
	if r.table.SortKey.IsZero() != (r.sk == "") {
		if r.sk == "" {
			return bad("table %q has sort key %q: declare its layout WithKeys", r.table.Name, r.table.SortKey.Name)
		}
		return bad("WithKeys gives a sort key template but table %q has no sort key", r.table.Name)
	}
	if !r.table.SortKey.IsZero() && r.table.SortKey.ScalarType() != types.ScalarAttributeTypeS {
		return bad("table sort key %q is %s; keys composed from ids are strings", r.table.SortKey.Name, r.table.SortKey.ScalarType())
	}
	var indexAttrs []string
	types_ := map[string]types.ScalarAttributeType{}
	for _, ix := range r.table.Indexes {
		pk, sk, _ := r.table.KeysOf(ix.Name)
		for _, k := range []index.Key{pk, sk} {
			if !k.IsZero() {
				indexAttrs = append(indexAttrs, k.Name)
				types_[k.Name] = k.ScalarType()
			}
		}
	}
	for _, k := range r.s.indexKeys {
		if !slices.Contains(indexAttrs, k.attr) {
			return bad("WithIndexKey(%q): not a key attribute of any index declared on table %q", k.attr, r.table.Name)
		}
		if slices.Contains(r.table.KeyAttributes(), k.attr) {
			return bad("WithIndexKey(%q): it is a base table key; use WithKeys", k.attr)
		}
		if _, err := k.tmpl.Fields(); err != nil {
			return bad("WithIndexKey(%q): %v", k.attr, err)
		}
		if _, single := k.tmpl.Single(); !single && types_[k.attr] != types.ScalarAttributeTypeS {
			return bad("WithIndexKey(%q): a composed template yields a string but the key is %s", k.attr, types_[k.attr])
		}
	}
	return nil
}
