package sync

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/keyspace"
	"github.com/tablestakes/tablestakes/repository"
)

// maxCreates is how many times [Copier.Apply] creates a copy that keeps
// being deleted before the change is applied to it.
const maxCreates = 3

// DefaultMarker is the attribute a [Copier] records the last applied
// change's order in when its Marker is empty.
const DefaultMarker = "syncOrder"

// Copier is the [Handler] that keeps copies of an owner's attributes on the
// items of a subscriber's repository (principle 3): e.g. a company's name,
// owned by the profile service, duplicated on the statistics service's items
// so that its reads need no call to the owner.
//
// For each Insert or Modify it updates the target item whose id is the
// source item's SourceID attribute, setting each copied attribute as the
// change's new image has it (removing it when the image lacks it, so the
// publisher must publish every copied attribute) and recording the change's
// [Change.Order] in Marker, all in one conditional UpdateItem that applies
// only when the item's marker is older. A duplicate or a change delivered
// after a later one is thereby skipped (principle 6); any other failed
// condition (a unique value of the target taken) is returned, so the change
// is delivered again, never dropped. Derived attributes of
// the target ([repository.Derive]) are recomputed in the same request. A
// versioned target's version is incremented, so its read-modify-write
// writers notice the change.
//
// An Insert, whose copy most likely does not exist yet, is applied with
// one write when Create is set: the item Create builds, with the copied
// attributes and the marker set (a copied attribute the Insert's image
// lacks is cleared to its field's zero value, whatever Create put there),
// created with a conditional put (with
// DeleteOnRemove, in one transaction with the check of the tombstone).
// When the copy exists already, the update above follows. Any other change
// is applied with the update alone, until it finds no copy: Create's item
// is then created, and the update applied to it.
//
// Give the target model a field for Marker (a string, e.g.
// `dynamodbav:"syncOrder"`), so that the service's own Puts keep it.
type Copier[T any] struct {
	// Repo is the repository of the items that hold the copies.
	Repo *repository.Repository[T]
	// Table is the owner table whose changes apply; "" applies changes of
	// any table. The table is the one the message names: what makes the
	// message trustworthy is where it came from — declare the topics
	// and tables on the [Subscriber] ([FromTopics], [FromTables]) and
	// let the queue's access policy admit only the topic.
	Table string
	// Attributes maps each copied attribute of the owner item to the
	// attribute of the target item that holds the copy.
	Attributes map[string]string
	// SourceID is the owner item's attribute holding the target item's id
	// (default "id"). Changes of items without it or any copied attribute
	// are not this copier's; a change that has a copied attribute but no id
	// is an error (the publisher must carry the id: [WithCarried]).
	SourceID string
	// SourceKey is the owner table's key template that holds the SourceID,
	// such as "COMPANY#{id}": it finds the copy of a Remove whose stream
	// record carries the item's keys only (a stream of view type
	// NEW_IMAGE or KEYS_ONLY). Each string key attribute of the change is
	// matched against it; a Remove whose keys match nothing is another
	// kind of item's. Not needed when a key attribute is the SourceID
	// itself.
	SourceKey index.Template
	// Marker is the target attribute holding the order of the last change
	// applied (default [DefaultMarker]). Copiers of different owners onto
	// one item need different markers.
	Marker string
	// Create, when set, builds the target item for a change whose target
	// does not exist yet; the copier creates it with the change applied.
	// It may return nil to skip the change. When Create is nil, changes to
	// items without a copy are skipped. For an Insert it is called before
	// the copier knows whether the copy exists, and for one change it may
	// be called more than once: it should only build the item.
	//
	// The change Create is given is whichever of the item's changes first
	// finds no copy: SNS and SQS may deliver a later change before the
	// Insert, and a subscriber that supersedes ([Copier.Supersedes]) gives
	// it the latest of the changes it holds. What Create decides (nil or
	// not) and the attributes it fills must therefore hold for any of the
	// item's changes, e.g. by building from the change's current image.
	Create func(ctx context.Context, c Change) (*T, error)
	// DeleteOnRemove makes a Remove delete the target item (unless a later
	// change was applied to it). Otherwise a Remove leaves the copy alone.
	//
	// So that a change delivered after the Remove (a duplicate, or one
	// reordered by SNS or SQS) does not create the copy again, the delete
	// leaves a tombstone in the same transaction: a small item in the
	// target's table, keyed "SYNC-TOMBSTONE#<marker>#<id>", holding the
	// Remove's order and an expiry time in the number attribute
	// "expiresAt" and in the table's TTL attribute. Creating a copy checks
	// the tombstone in its transaction. The table must declare a TTL
	// attribute (index.Table.TTL; [index.Create] enables it), so that
	// DynamoDB deletes expired tombstones, and its key attributes must be
	// strings: otherwise Apply returns [ErrTombstoneTable].
	DeleteOnRemove bool
	// TombstoneTTL is how long a tombstone outlives its Remove (default 7
	// days): longer than any delay after which a change may still arrive.
	TombstoneTTL time.Duration

	tombs atomic.Pointer[repository.Repository[tombstone]]
}

// tombstone records that a copy was deleted, and at which order.
type tombstone struct {
	keyspace.Library `dynamodbav:"-"` // kept in the reserved key space

	Of        string `dynamodbav:"tombstoneOf"`
	Order     string `dynamodbav:"order"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// tombstones returns the repository of the copier's tombstones.
func (cp *Copier[T]) tombstones(marker string) (*repository.Repository[tombstone], error) {
	if r := cp.tombs.Load(); r != nil {
		return r, nil
	}
	t := cp.Repo.Table()
	if t.PartitionKey.Type != types.ScalarAttributeTypeS || (!t.SortKey.IsZero() && t.SortKey.Type != types.ScalarAttributeTypeS) {
		return nil, fmt.Errorf("%w: Copier.DeleteOnRemove keeps tombstones in table %s, whose key attributes must be strings", ErrTombstoneTable, t.Name)
	}
	if t.TTL == "" {
		return nil, fmt.Errorf("%w: Copier.DeleteOnRemove keeps tombstones in table %s, which declares no TTL attribute: declare one (index.Table.TTL, e.g. %q) and create or verify the table with index.Create or index.Verify, so that DynamoDB deletes expired tombstones",
			ErrTombstoneTable, t.Name, "expiresAt")
	}
	if strings.ContainsAny(marker, "{}") {
		return nil, fmt.Errorf("sync: Copier marker %q: braces are not allowed", marker)
	}
	var sk index.Template
	if !t.SortKey.IsZero() {
		sk = "SYNC-TOMBSTONE"
	}
	opts := []repository.Option{
		repository.WithNaturalKey("tombstoneOf"),
		repository.WithKeys(index.Template("SYNC-TOMBSTONE#"+marker+"#{tombstoneOf}"), sk),
	}
	if t.TTL != "expiresAt" {
		// The expiry goes in the table's TTL attribute too.
		opts = append(opts, repository.Derive(t.TTL, func(ts *tombstone) any { return ts.ExpiresAt }, "expiresAt"))
	}
	r, err := repository.New[tombstone](cp.Repo.Client(), t, opts...)
	if err != nil {
		return nil, err
	}
	cp.tombs.CompareAndSwap(nil, r)
	return cp.tombs.Load(), nil
}

// Apply applies c to the copy; see [Copier]. A change whose order no
// owner can produce (a version past [MaxVersion]) is refused with an error
// matching [ErrNotAChange]; one that names a copied attribute but not the
// id, or a key-only Remove the Copier cannot find the copy of, returns an
// error matching [ErrNoSourceID].
func (cp *Copier[T]) Apply(ctx context.Context, c Change) error {
	if cp.Repo == nil {
		return errors.New("sync: Copier has no Repo")
	}
	if cp.Table != "" && c.Table != cp.Table {
		return nil
	}
	if err := checkOrder(c); err != nil {
		return fmt.Errorf("sync: change %s of %s refused: %w", c.EventID, c.Table, err)
	}
	if c.Event == Remove && !cp.DeleteOnRemove {
		return nil
	}
	id, err := cp.sourceID(c)
	if err != nil || id == "" {
		return err // "" without an error: an item of another kind
	}
	marker := cp.Marker
	if marker == "" {
		marker = DefaultMarker
	}
	m := expression.NameNoDotSplit(marker)
	order := c.Order()
	newer := repository.If(expression.Or(expression.AttributeNotExists(m), m.LessThan(expression.Value(order))))

	if c.Event == Remove {
		return cp.remove(ctx, id, marker, order, newer)
	}

	if !cp.touches(c) {
		return nil
	}
	changes := cp.changes(c)
	changes = changes.Set(marker, order)
	if c.Event == Insert && cp.Create != nil {
		// Most likely the copy does not exist yet: create it with the
		// change applied, in one write.
		if done, err := cp.insert(ctx, c, id, marker, order); done || err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		// Plain: a resend after a lost response finds its own marker set
		// and is skipped below as applied, so no transaction is needed.
		_, err := cp.Repo.Update(ctx, id, changes, newer, repository.AnyVersion(), repository.RetryUnsafe())
		switch {
		case err == nil:
			return nil
		case errors.Is(err, repository.ErrNotFound):
			if cp.Create == nil {
				return nil
			}
			if attempt >= maxCreates {
				return fmt.Errorf("sync: create the copy of %s %s: deleted %d times before change %s could be applied",
					c.Table, id, attempt, c.EventID)
			}
			// Also after a create: the copy can be deleted before the
			// change is applied to it, by a late Remove of an earlier
			// owner item with the same id. The tombstone check lets it be
			// created again only if c came after that Remove.
			item, err := cp.Create(ctx, c)
			if err != nil {
				return fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
			}
			if item == nil {
				return nil
			}
			removed, err := cp.create(ctx, id, item, marker, order)
			if err != nil {
				return fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
			}
			if removed {
				return nil // the owner item was removed after this change
			}
			// Created, here or concurrently: apply the change to it.
		case errors.Is(err, repository.ErrConditionFailed) && holdsLater(err, marker, order):
			return nil // this change, or a later one, is applied already
		default:
			// Another condition failed: a unique value of the target
			// taken, or changed since it was read. The change is not
			// applied; returning the error has it delivered again.
			return err
		}
	}
}

// Supersedes reports whether applying later makes applying earlier
// unnecessary (see [Superseder]): both are Inserts or Modifies of the same
// owner item and copy, and later's order is greater — Apply writes every
// copied attribute as the owner held it after the change, so once later is
// applied, earlier is skipped as older whatever the order. Or earlier
// changes no copied attribute, so that Apply would skip it anyway. Not when
// later changes no copied attribute (Apply skips it, and earlier's values
// would be lost). A Remove never supersedes and is never superseded: a
// deleted and recreated copy differs from one updated in place. Nor is an
// Insert superseded when Create is set: Create builds the copy from it.
//
// The copy then ends as it would after both — given a Create that builds
// the item from any of the item's changes, as Create's doc asks — except
// that a versioned target's version is incremented once instead of twice.
func (cp *Copier[T]) Supersedes(later, earlier Change) bool {
	if later.Table != earlier.Table || later.Event == Remove || earlier.Event == Remove ||
		later.Claim != nil || earlier.Claim != nil {
		return false
	}
	if checkOrder(later) != nil || checkOrder(earlier) != nil || later.Order() <= earlier.Order() {
		return false // Apply refuses one of them, or earlier is not earlier
	}
	if cp.Table != "" && earlier.Table != cp.Table {
		return true // Apply skips both
	}
	idLater, errLater := cp.sourceID(later)
	idEarlier, errEarlier := cp.sourceID(earlier)
	if errLater != nil || errEarlier != nil || idLater != idEarlier {
		return false
	}
	if idEarlier == "" {
		return true // not this copier's item: Apply skips both
	}
	if !cp.touches(earlier) {
		return true // Apply skips earlier
	}
	if earlier.Event == Insert && cp.Create != nil {
		return false // Create builds the copy from the Insert
	}
	return cp.touches(later)
}

// sourceID returns the id of c's copy, or "" when c is another kind of
// item's change.
func (cp *Copier[T]) sourceID(c Change) (string, error) {
	idAttr := cp.SourceID
	if idAttr == "" {
		idAttr = "id"
	}
	if idv, ok := c.Image()[idAttr].(*types.AttributeValueMemberS); ok && idv.Value != "" {
		return idv.Value, nil
	}
	if c.Event == Remove && c.Old == nil {
		// A stream of view type NEW_IMAGE or KEYS_ONLY: keys only.
		if idv, ok := c.Keys[idAttr].(*types.AttributeValueMemberS); ok && idv.Value != "" {
			return idv.Value, nil
		}
		if cp.SourceKey == "" {
			return "", fmt.Errorf("%w: Remove %s of %s carries keys only, and the Copier has no SourceKey to read %q from",
				ErrNoSourceID, c.EventID, c.Table, idAttr)
		}
		for _, k := range sortedKeys(c.Keys) {
			v, ok := c.Keys[k].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			if fields, ok := cp.SourceKey.Values(v.Value); ok && fields[idAttr] != "" {
				return fields[idAttr], nil
			}
		}
		return "", nil
	}
	for src := range cp.Attributes {
		if _, copied := c.Image()[src]; copied {
			return "", fmt.Errorf("%w: change %s of %s carries %q but not the id attribute %q: publish it too (WithCarried)",
				ErrNoSourceID, c.EventID, c.Table, src, idAttr)
		}
	}
	return "", nil
}

func sortedKeys(m map[string]types.AttributeValue) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// remove deletes the copy unless a later change was applied to it and,
// in the same transaction, leaves a tombstone at order.
func (cp *Copier[T]) remove(ctx context.Context, id, marker, order string, newer repository.CallOption) error {
	tombs, err := cp.tombstones(marker)
	if err != nil {
		return err
	}
	del, err := cp.Repo.PlanDelete(ctx, id, newer, repository.AnyVersion())
	if err != nil {
		return err
	}
	ttl := cp.TombstoneTTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	o := expression.Name("order")
	put, err := tombs.PlanPut(ctx, &tombstone{Of: id, Order: order, ExpiresAt: time.Now().Add(ttl).Unix()},
		repository.If(expression.Or(expression.AttributeNotExists(o), o.LessThan(expression.Value(order)))))
	if err != nil {
		return err
	}
	var tx repository.Tx
	err = tx.Include(del, nil).Include(put, nil).Commit(ctx, cp.Repo.Client())
	var txErr *repository.TxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &txErr) && txErr.Index == 1 && errors.Is(err, repository.ErrConditionFailed):
		return nil // this Remove, or a later one, was applied
	case errors.Is(err, repository.ErrConditionFailed) && holdsLater(err, marker, order):
		return nil // a later change holds the copy
	}
	return err // e.g. a unique value of the copy changed since PlanDelete read it
}

// holdsLater reports whether err, a failed condition, carries an item whose
// marker holds order or a later one: only then is a change skipped.
func holdsLater(err error, marker, order string) bool {
	var ce *repository.ConditionError
	if !errors.As(err, &ce) {
		return false
	}
	m, ok := ce.Item[marker].(*types.AttributeValueMemberS)
	return ok && m.Value >= order
}

// create creates item as the copy, unless a tombstone says the owner item
// was removed at an order after order (removed is then true). An item
// created concurrently is not an error.
func (cp *Copier[T]) create(ctx context.Context, id string, item *T, marker, order string) (removed bool, err error) {
	if !cp.DeleteOnRemove {
		if err := cp.Repo.Create(ctx, item); err != nil && !errors.Is(err, repository.ErrAlreadyExists) {
			return false, err
		}
		return false, nil
	}
	put, err := cp.Repo.PlanCreate(ctx, item)
	if err != nil {
		return false, err
	}
	removed, _, err = cp.commitCreate(ctx, id, put, marker, order)
	return removed, err
}

// commitCreate sends put, the creation of the copy id, in one transaction
// with the check that no tombstone holds an order after order (with
// DeleteOnRemove; else alone). removed reports a tombstone that does;
// exists a copy that exists already.
func (cp *Copier[T]) commitCreate(ctx context.Context, id string, put *repository.Write, marker, order string) (removed, exists bool, err error) {
	var tx repository.Tx
	tx.Include(put, nil)
	if cp.DeleteOnRemove {
		tombs, err := cp.tombstones(marker)
		if err != nil {
			return false, false, err
		}
		o := expression.Name("order")
		tx.Include(tombs.PlanCheck(id, repository.If(expression.Or(expression.AttributeNotExists(o), o.LessThan(expression.Value(order))))))
	}
	err = tx.Commit(ctx, cp.Repo.Client())
	var txErr *repository.TxError
	switch {
	case err == nil:
		return false, false, nil
	case errors.As(err, &txErr) && txErr.Index == 1 && errors.Is(err, repository.ErrConditionFailed):
		return true, false, nil
	case errors.Is(err, repository.ErrAlreadyExists):
		return false, true, nil
	}
	return false, false, err
}

// insert creates the copy of an Insert with the change applied — its copied
// attributes and its marker set — in one write: a conditional put, or with
// DeleteOnRemove a transaction of the put and the check of the tombstone.
// done is false when Apply must go the long way (update, create, update):
// the copy exists already, Create failed or returned nil, or the item
// Create built is not the copy of id or cannot hold the copied values as
// they are (the target model has no field for one, or one of another
// type).
func (cp *Copier[T]) insert(ctx context.Context, c Change, id, marker, order string) (done bool, err error) {
	item, err := cp.Create(ctx, c)
	if err != nil || item == nil {
		// The long way calls Create again if the copy does not exist,
		// and returns its error then.
		return false, nil
	}
	want := make(map[string]types.AttributeValue, len(cp.Attributes)+1)
	absent := map[string]types.AttributeValue{}
	for src, dst := range cp.Attributes {
		if v, ok := c.New[src]; ok {
			want[dst] = v
		} else if !cp.held(c, dst) {
			// As the update would remove it: Create's value for it
			// goes (NULL decodes to the field's zero value).
			absent[dst] = &types.AttributeValueMemberNULL{Value: true}
		}
	}
	want[marker] = &types.AttributeValueMemberS{Value: order}
	if err := attributevalue.UnmarshalMap(absent, item); err != nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(want, item); err != nil {
		return false, nil
	}
	put, err := cp.Repo.PlanCreate(ctx, item)
	if err != nil {
		return false, fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
	}
	if key, err := cp.Repo.Key(id); err != nil || !reflect.DeepEqual(put.Key(), key) {
		return false, nil // Create built another item than the copy of id
	}
	got := put.Item()
	for attr, v := range want {
		if attr != marker && !reflect.DeepEqual(got[attr], v) {
			return false, nil
		}
	}
	modelMarker := reflect.DeepEqual(got[marker], want[marker])
	if !modelMarker {
		// The model has no field for the marker: it goes in the item
		// written all the same.
		got[marker] = want[marker]
		if !reflect.DeepEqual(put.Item()[marker], want[marker]) {
			return false, nil
		}
	}
	if !cp.DeleteOnRemove && modelMarker {
		// A plain PutItem: a resend after a lost response fails on its
		// own item, and the update that follows finds the marker set.
		err := cp.Repo.Create(ctx, item, repository.RetryUnsafe())
		if errors.Is(err, repository.ErrAlreadyExists) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
		}
		return true, nil
	}
	// A tombstone after this change (removed) means the owner item is
	// gone: the change is done with either way.
	_, exists, err := cp.commitCreate(ctx, id, put, marker, order)
	switch {
	case err != nil:
		return false, fmt.Errorf("sync: create the copy of %s %s: %w", c.Table, id, err)
	case exists:
		return false, nil
	}
	return true, nil
}

// changes builds the update for c, an Insert or Modify: every copied
// attribute as the owner item holds it after c — set to its value, or
// removed when the item lacks it, whether c removed it or an earlier change
// did (which, delivered after c, is skipped as older) — unless another
// copied attribute of the image sets the same target attribute.
func (cp *Copier[T]) changes(c Change) repository.Changes {
	srcs := make([]string, 0, len(cp.Attributes))
	for src := range cp.Attributes {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs) // one update expression per set of attributes
	var out repository.Changes
	removed := map[string]bool{}
	for _, src := range srcs {
		dst := cp.Attributes[src]
		if v, ok := c.New[src]; ok {
			out = out.Set(dst, v)
			continue
		}
		if !removed[dst] && !cp.held(c, dst) {
			out = out.Remove(dst)
			removed[dst] = true
		}
	}
	return out
}

// touches reports whether c, an Insert or Modify, changes a copied
// attribute at all: sets one to a new value or removes one. A change
// without a new image (a stream of view type KEYS_ONLY or OLD_IMAGE)
// touches none.
func (cp *Copier[T]) touches(c Change) bool {
	if c.New == nil {
		return false
	}
	for src := range cp.Attributes {
		if _, ok := c.New[src]; ok {
			if c.Changed(src) {
				return true
			}
		} else if _, had := c.Old[src]; had {
			return true // the owner removed it
		}
	}
	return false
}

// held reports whether c's new image has a copied attribute that is copied
// to dst: when several owner attributes are copied to one target attribute,
// the one the image lacks does not remove what another sets.
func (cp *Copier[T]) held(c Change, dst string) bool {
	for src, d := range cp.Attributes {
		if _, ok := c.New[src]; ok && d == dst {
			return true
		}
	}
	return false
}
