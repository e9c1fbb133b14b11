package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Create stores a new item. When the id field is empty it generates a UUID
// (version 7 unless [WithUUIDv4]) and sets it on item; a given id must be a
// valid UUID, or, with [WithNaturalKey], non-empty. The write is conditional
// on no item having the key, so Create never overwrites. Precompute hooks
// and derived attributes are applied to item first; a versioned model's
// version is set to 1 for a generated id, and for an id the caller gave to
// the current time in microseconds, so that an id deleted and created again
// never repeats a version of its earlier item; unique attributes get their
// guards in the same
// transaction.
//
// It returns an [*IDError], [*ItemTooLargeError] (over 400 KB),
// [*ValueError] (a value DynamoDB would refuse or alter, or a key over its
// 2048/1024-byte limits) or [*GrowthError] before any request, [ErrAlreadyExists] (as a [*ConditionError] carrying the
// existing item) when the key is taken, and [ErrDuplicate] (as a
// [*UniqueError]) when a unique value is taken.
func (r *Repository[T]) Create(ctx context.Context, item *T, opts ...CallOption) (err error) {
	ctx, end := r.start(ctx, "repository.Create")
	defer func() { end(err) }()
	w, err := r.PlanCreate(ctx, item, opts...)
	if err != nil {
		return err
	}
	_, err = r.send(ctx, w, newCall(opts))
	return err
}

// PlanCreate prepares the write [Repository.Create] would send, generating
// the id if needed, without sending it.
func (r *Repository[T]) PlanCreate(ctx context.Context, item *T, opts ...CallOption) (*Write, error) {
	if item == nil {
		return nil, &ModelError{Model: r.model, Reason: "nil item"}
	}
	generated := false
	if r.idOf(item) == "" && !r.s.natural {
		id, err := r.newID()
		if err != nil {
			return nil, err
		}
		r.setID(item, id)
		generated = true
	}
	if r.Versioned() {
		r.setVersion(item, r.firstVersion(generated))
	}
	c := newCall(opts)
	m, key, err := r.encode(ctx, item)
	if err != nil {
		return nil, err
	}
	w := &Write{op: opPut, table: r.table.Name, key: key, item: m, onFail: ErrAlreadyExists, retryUnsafe: true}
	w.And(expression.AttributeNotExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)))
	w.built = &r.notExists // the same for every Create, unless more is added
	// Another type's item at the key is reported, not handed over as a T.
	w.foreign = func(item map[string]types.AttributeValue) bool { return !r.owns(item) }
	if c.cond != nil {
		w.And(*c.cond)
	}
	if err := r.moveGuards(w, r.idOf(item), r.s.uniques, nil, m); err != nil {
		return nil, err
	}
	return w, nil
}

// Put stores item, replacing any item with the same key. Precompute hooks
// and derived attributes are applied first; [If] makes it conditional.
// On a versioned model ([WithVersion]) the item's version field must hold
// the version that was read (0 for an item stored without a version): the write is conditional on it, stores the
// next version and, on success, sets it on item. Changed unique values move
// their guards in the same transaction.
//
// It returns an [*IDError], [*ItemTooLargeError], [*ValueError],
// [*GrowthError] or [ErrVersionRequired] (a negative version) before any
// request; [ErrVersionConflict] in a
// [*ConditionError] carrying the current item when the version is stale;
// [ErrNotFound] for a versioned item that does not exist;
// [ErrAlreadyExists] when the key holds an item of another entity type
// (which is left as it is); [ErrDuplicate] in
// a [*UniqueError]; and a [*ConditionError] when an [If] condition fails.
func (r *Repository[T]) Put(ctx context.Context, item *T, opts ...CallOption) (err error) {
	ctx, end := r.start(ctx, "repository.Put")
	defer func() { end(err) }()
	w, err := r.PlanPut(ctx, item, opts...)
	if err != nil {
		return err
	}
	_, err = r.send(ctx, w, newCall(opts))
	return err
}

// PlanPut prepares the write [Repository.Put] would send, without sending
// it. With unique attributes it reads the current item to know which guards
// to move.
func (r *Repository[T]) PlanPut(ctx context.Context, item *T, opts ...CallOption) (*Write, error) {
	if item == nil {
		return nil, &ModelError{Model: r.model, Reason: "nil item"}
	}
	c := newCall(opts)
	var v int64
	if r.Versioned() {
		if v = r.Version(item); v < 0 {
			return nil, versionRequired(r.model, "Put", "set the version the item was read with, or Create a new item")
		}
	}
	m, key, err := r.encode(ctx, item)
	if err != nil {
		return nil, err
	}
	w := &Write{op: opPut, table: r.table.Name, key: key, item: m, retryUnsafe: r.Versioned() || c.cond != nil}
	if r.Versioned() {
		m[r.s.versionAttr] = versionValue(v + 1)
		r.expectVersion(w, v)
		w.notFound = ErrNotFound
		w.after = func() { r.setVersion(item, v+1) }
	}
	if c.cond != nil {
		w.And(*c.cond)
	}
	r.sameEntity(w)
	if len(r.s.uniques) > 0 {
		cur, err := r.current(ctx, w.key, c)
		if err != nil {
			return nil, err
		}
		switch {
		case cur == nil && r.Versioned():
			// The item the caller read is gone. Sent anyway, the write
			// would land on an item created under the same id since this
			// read, at the same version, and take guards it knows nothing
			// of — leaving that item's guards owned by nobody.
			return nil, &ConditionError{Table: r.table.Name, Key: w.key, Sentinel: ErrNotFound,
				Err: fmt.Errorf("no item with id %q", r.idOf(item))}
		case cur == nil:
			// Created since this read, it would have guards this write
			// does not release. The write itself creates the item: resent
			// after a lost response, it would fail on its own item.
			w.And(expression.AttributeNotExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)))
			w.retryUnsafe = true
		}
		if err := r.moveGuards(w, r.idOf(item), r.s.uniques, cur, m); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// firstVersion is the version Create writes: 1 for an item whose id the
// repository generated, which no earlier item had; for an id the caller
// gave (a natural key, an id deleted and created again) the current time
// in microseconds, so that the versions of an id never repeat across its
// incarnations — a write expecting a version of the deleted item cannot
// land on the new one, and versions keep ordering the id's changes (sync's
// order markers) after it is created again. A version field of 32 bits
// cannot hold that, and starts at 1.
func (r *Repository[T]) firstVersion(generated bool) int64 {
	if generated || r.versionBits < 64 {
		return 1
	}
	return max(time.Now().UnixMicro(), 1)
}
