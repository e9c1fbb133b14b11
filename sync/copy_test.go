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
