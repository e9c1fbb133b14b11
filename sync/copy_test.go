package sync_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	tssync "github.com/tablestakes/tablestakes/sync"
)

// TestCopierRemovalDeliveredLate: an owner removes an attribute (v2), then
// renames (v3); v2 is delivered after v3, and is skipped as older — the
// copy must still lose the attribute, as v3's image lacks it.
func TestCopierRemovalDeliveredLate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := f.copier()
	cp.Attributes = map[string]string{"name": "companyName", "employees": "orders"}
	ctx := context.Background()
	id := uuid.NewString()
	v1 := ownerChange(tssync.Insert, id, 1, nil, attrs{"name": "Acme"})
	v1.New["employees"] = n("7")
	v2 := ownerChange(tssync.Modify, id, 2, attrs{"name": "Acme"}, attrs{"name": "Acme"})
	v2.Old["employees"] = n("7")
	v3 := ownerChange(tssync.Modify, id, 3, attrs{"name": "Acme"}, attrs{"name": "Initech"})
	for _, c := range []tssync.Change{v1, v3, v2} {
		require.NoError(t, cp.Apply(ctx, c), c.EventID)
	}
	got, err := f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "Initech", got.CompanyName)
	require.Zero(t, got.Orders, "the attribute the owner removed at v2")
	require.Equal(t, v3.Order(), got.SyncOrder)
	key, err := f.stats.Key(id)
	require.NoError(t, err)
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.stats.Table().Name), Key: key, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	require.NotContains(t, out.Item, "orders", "the attribute the owner removed at v2")
}

// TestCopierInsertLacksACopiedAttribute: an Insert creates the copy in one
// write from the item Create builds; a copied attribute the Insert's image
// lacks must not keep the value Create gave it — the copy holds the owner's
// attributes as of the change, as the update path leaves them (it removes
// what the image lacks), whether or not the copy existed already.
func TestCopierInsertLacksACopiedAttribute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := f.copier()
	cp.Attributes = map[string]string{"name": "companyName", "employees": "orders"}
	cp.Create = func(_ context.Context, c tssync.Change) (*Stats, error) {
		var co Company
		if err := c.Decode(&co); err != nil {
			return nil, err
		}
		return &Stats{ID: co.ID, CompanyName: "(unnamed)", Orders: 5}, nil // defaults
	}
	ctx := context.Background()

	named := uuid.NewString()
	require.NoError(t, cp.Apply(ctx, ownerChange(tssync.Insert, named, 1, nil, attrs{"name": "Acme"})))
	got, err := f.statsOf(named)
	require.NoError(t, err)
	require.Equal(t, "Acme", got.CompanyName)
	require.Zero(t, got.Orders, "the owner item has no employees: Create's default must not stand")

	counted := uuid.NewString()
	ins := ownerChange(tssync.Insert, counted, 1, nil, attrs{})
	ins.New["employees"] = n("3")
	require.NoError(t, cp.Apply(ctx, ins))
	got, err = f.statsOf(counted)
	require.NoError(t, err)
	require.Equal(t, 3, got.Orders)
	require.Empty(t, got.CompanyName, "the owner item has no name: Create's default must not stand")
	require.Empty(t, got.NameLower, "derived from the name the copy holds")

	// The same Insert, when the copy exists already, goes through the
	// update, which removes the name: both ways end alike.
	existing := uuid.NewString()
	require.NoError(t, f.stats.Create(ctx, &Stats{ID: existing, CompanyName: "stale"}))
	ins = ownerChange(tssync.Insert, existing, 1, nil, attrs{})
	ins.New["employees"] = n("3")
	require.NoError(t, cp.Apply(ctx, ins))
	again, err := f.statsOf(existing)
	require.NoError(t, err)
	require.Equal(t, got.CompanyName, again.CompanyName)
	require.Equal(t, got.Orders, again.Orders)
}

// TestCopierTwoAttributesOntoOne: owner attributes of which an item has one
// or the other ("name", or "title"), copied onto one target attribute: the
// one the image lacks must not remove what the other sets (an update that
// sets and removes one attribute is refused, every time).
func TestCopierTwoAttributesOntoOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := f.copier()
	cp.Attributes = map[string]string{"name": "companyName", "title": "companyName"}
	ctx := context.Background()
	id := uuid.NewString()
	require.NoError(t, cp.Apply(ctx, ownerChange(tssync.Insert, id, 1, nil, attrs{"name": "Acme"})))
	require.NoError(t, cp.Apply(ctx, ownerChange(tssync.Modify, id, 2, attrs{"name": "Acme"}, attrs{"name": "Acme Ltd"})))
	got, err := f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "Acme Ltd", got.CompanyName)
	require.NoError(t, cp.Apply(ctx, ownerChange(tssync.Modify, id, 3, attrs{"name": "Acme Ltd"}, attrs{"title": "Dr"})))
	got, err = f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "Dr", got.CompanyName)
	require.NoError(t, cp.Apply(ctx, ownerChange(tssync.Modify, id, 4, attrs{"title": "Dr"}, attrs{})))
	got, err = f.statsOf(id)
	require.NoError(t, err)
	require.Empty(t, got.CompanyName, "neither attribute left: the copy loses it")
}
