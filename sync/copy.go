package sync

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/repository"
)

// DefaultMarker is the attribute a [Copier] records the last applied
// change's order in when its Marker is empty.
const DefaultMarker = "syncOrder"

// Copier is the [Handler] that keeps copies of an owner's attributes on the
// items of a subscriber's repository (principle 3): e.g. a company's name,
// owned by the profile service, duplicated on the statistics service's items
// so that its reads need no call to the owner.
//
// For each Insert or Modify it updates the target item whose id is the
// source item's SourceID attribute, setting each copied attribute (or
// removing it when the owner removed it) and recording the change's
// [Change.Order] in Marker, all in one conditional UpdateItem that applies
// only when the item's marker is older. A duplicate or a change delivered
// after a later one is thereby skipped (principle 6). Derived attributes of
// the target ([repository.Derive]) are recomputed in the same request. A
// versioned target's version is incremented, so its read-modify-write
// writers notice the change.
//
// Give the target model a field for Marker (a string, e.g.
// `dynamodbav:"syncOrder"`), so that the service's own Puts keep it.
type Copier[T any] struct {
	// Repo is the repository of the items that hold the copies.
	Repo *repository.Repository[T]
	// Table is the owner table whose changes apply; "" applies changes of
	// any table.
	Table string
	// Attributes maps each copied attribute of the owner item to the
	// attribute of the target item that holds the copy.
	Attributes map[string]string
	// SourceID is the owner item's attribute holding the target item's id
	// (default "id"). Changes of items without it or any copied attribute
	// are not this copier's; a change that has a copied attribute but no id
	// is an error (the publisher must carry the id: [WithCarried]).
	SourceID string
	// Marker is the target attribute holding the order of the last change
	// applied (default [DefaultMarker]). Copiers of different owners onto
	// one item need different markers.
	Marker string
	// Create, when set, builds the target item for a change whose target
	// does not exist yet; the copier creates it, then applies the change.
	// It may return nil to skip the change. When Create is nil, changes to
	// items without a copy are skipped.
	Create func(ctx context.Context, c Change) (*T, error)
	// DeleteOnRemove makes a Remove delete the target item (unless a later
	// change was applied to it). Otherwise a Remove leaves the copy alone.
	// A deleted item keeps no marker: with Create set, a change to the
	// owner item that is delivered after its Remove (SNS and SQS standard
	// queues may reorder) creates the copy again. Where that matters, use a
	// FIFO topic and queue, which keep one item's changes in order.
	DeleteOnRemove bool
}

// Apply applies c to the copy; see [Copier].
func (cp *Copier[T]) Apply(ctx context.Context, c Change) error {
	if cp.Repo == nil {
		return errors.New("sync: Copier has no Repo")
	}
	if cp.Table != "" && c.Table != cp.Table {
		return nil
	}
	idAttr := cp.SourceID
	if idAttr == "" {
		idAttr = "id"
	}
	idv, ok := c.Image()[idAttr].(*types.AttributeValueMemberS)
	if !ok || idv.Value == "" {
		for src := range cp.Attributes {
			if _, copied := c.Image()[src]; copied {
				return fmt.Errorf("sync: change %s of %s carries %q but not the id attribute %q: publish it too (WithCarried)",
					c.EventID, c.Table, src, idAttr)
			}
		}
		return nil // an item of another kind
	}
	id := idv.Value
	marker := cp.Marker
	if marker == "" {
		marker = DefaultMarker
	}
	m := expression.NameNoDotSplit(marker)
	order := c.Order()
	newer := repository.If(expression.Or(expression.AttributeNotExists(m), m.LessThan(expression.Value(order))))

	if c.Event == Remove {
		if !cp.DeleteOnRemove {
			return nil
		}
		err := cp.Repo.Delete(ctx, id, newer, repository.AnyVersion())
		if errors.Is(err, repository.ErrConditionFailed) {
			return nil // a later change holds the copy
		}
		return err
	}

	changes, touched := cp.changes(c)
	if !touched {
		return nil
	}
	changes = changes.Set(marker, order)
	for attempt := 0; ; attempt++ {
		_, err := cp.Repo.Update(ctx, id, changes, newer, repository.AnyVersion())
		switch {
		case err == nil:
			return nil
		case errors.Is(err, repository.ErrNotFound):
			if cp.Create == nil || attempt > 0 {
				return nil
			}
			item, err := cp.Create(ctx, c)
			if err != nil {
				return fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
			}
			if item == nil {
				return nil
			}
			if err := cp.Repo.Create(ctx, item); err != nil && !errors.Is(err, repository.ErrAlreadyExists) {
				return fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
			}
			// Created, here or concurrently: apply the change to it.
		case errors.Is(err, repository.ErrConditionFailed):
			return nil // this change, or a later one, is applied already
		default:
			return err
		}
	}
}

// changes builds the update for c; touched reports whether c touches a copied
// attribute at all.
func (cp *Copier[T]) changes(c Change) (repository.Changes, bool) {
	srcs := make([]string, 0, len(cp.Attributes))
	for src := range cp.Attributes {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs) // one update expression per set of attributes
	var out repository.Changes
	touched := false
	for _, src := range srcs {
		dst := cp.Attributes[src]
		if v, ok := c.New[src]; ok {
			out = out.Set(dst, raw{v})
			touched = touched || c.Changed(src)
			continue
		}
		if _, had := c.Old[src]; had {
			out = out.Remove(dst) // the owner removed it
			touched = true
		}
	}
	return out, touched
}

// raw passes an attribute value through the expression builder unchanged.
type raw struct{ av types.AttributeValue }

// MarshalDynamoDBAttributeValue returns the value as it is.
func (r raw) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) { return r.av, nil }
