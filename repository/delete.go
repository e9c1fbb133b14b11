package repository

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// Delete removes the item whose id is id. Deleting an absent item succeeds,
// so a retried Delete is harmless; [If] makes it conditional, and a failed
// condition returns a [*ConditionError] carrying the current item. A
// versioned model's Delete needs [IfVersion] (else [ErrVersionRequired],
// unless [AnyVersion] is given) and fails with [ErrVersionConflict] when the
// item has moved on. Unique
// attribute guards are removed in the same transaction; the item is read
// first for them, and a Delete that raced a write of the item (its unique
// values changed, or it was created, since that read) fails with a
// [*ConditionError] rather than orphan a guard.
func (r *Repository[T]) Delete(ctx context.Context, id string, opts ...CallOption) (err error) {
	ctx, end := r.start(ctx, "repository.Delete")
	defer func() { end(err) }()
	w, err := r.PlanDelete(ctx, id, opts...)
	if err != nil {
		return err
	}
	_, err = r.send(ctx, w, newCall(opts))
	return err
}

// PlanDelete prepares the write [Repository.Delete] would send, without sending it.
func (r *Repository[T]) PlanDelete(ctx context.Context, id string, opts ...CallOption) (*Write, error) {
	c := newCall(opts)
	key, err := r.keyOf(id)
	if err != nil {
		return nil, err
	}
	w := &Write{op: opDelete, table: r.table.Name, key: key, absentOK: true}
	if r.Versioned() && !c.anyVersion {
		if c.version == nil {
			return nil, versionRequired(r.model, "Delete", "pass IfVersion with the version the item was read with")
		}
		r.expectVersion(w, *c.version)
	}
	if c.cond != nil {
		w.And(*c.cond)
	}
	// A conditional delete resent after a lost response finds no item and
	// succeeds; but resent after the id was created again, it would delete
	// the new item if the condition held for it.
	w.retryUnsafe = w.cond != nil
	r.sameEntity(w)
	if len(r.s.uniques) > 0 {
		cur, err := r.current(ctx, key, c)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			// No guards to remove: delete nothing created since, whose
			// guards would then hold its values forever.
			w.And(expression.AttributeNotExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)))
		} else if err := r.moveGuards(w, id, r.s.uniques, cur, nil); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// PlanCheck prepares a condition check of the item whose id is id, for a
// transaction: the transaction succeeds only if cond holds for the item.
func (r *Repository[T]) PlanCheck(id string, opts ...CallOption) (*Write, error) {
	c := newCall(opts)
	key, err := r.keyOf(id)
	if err != nil {
		return nil, err
	}
	w := &Write{op: opCheck, table: r.table.Name, key: key}
	if c.cond != nil {
		w.And(*c.cond)
	}
	return w, nil
}
