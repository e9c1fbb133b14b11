package sync_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/awsfake"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// keyOnlyRemove is the Remove a stream of view type NEW_IMAGE carries: the
// item's keys, no image.
func keyOnlyRemove(id string) tssync.Change {
	return tssync.Change{
		EventID: id + "-removed", Event: tssync.Remove, Table: "companies", Sequence: "900",
		Keys: map[string]types.AttributeValue{"pk": s("COMPANY#" + id), "sk": s("PROFILE")},
	}
}

// TestPublishKeyOnlyRemove: a publisher WithAttributes publishes a Remove
// that carries keys only; with a version attribute it sorts after every
// write of the item.
func TestPublishKeyOnlyRemove(t *testing.T) {
	fake := &awsfake.SNS{}
	p := tssync.NewPublisher(fake, topicARN, fast,
		tssync.WithAttributes("name"), tssync.WithCarried("id"), tssync.WithVersionAttribute("version"))
	require.NoError(t, p.Publish(context.Background(), keyOnlyRemove("1")))
	got := fake.Published()
	if len(got) != 1 {
		t.Fatalf("Publish(key-only Remove) published %d messages; want 1", len(got))
	}
	c, err := tssync.ParseMessage(got[0].Body)
	require.NoError(t, err)
	require.Equal(t, tssync.Remove, c.Event)
	require.Nil(t, c.Old)
	require.Equal(t, keyOnlyRemove("1").Keys, c.Keys)
	later := change(tssync.Modify, "1", 1<<40, "Z")
	if c.Order() <= later.Order() {
		t.Errorf("Order() = %q; want after every write, such as %q", c.Order(), later.Order())
	}

	// Without a version attribute, the stream sequence number orders it.
	fake = &awsfake.SNS{}
	p = tssync.NewPublisher(fake, topicARN, fast, tssync.WithAttributes("name"))
	require.NoError(t, p.Publish(context.Background(), keyOnlyRemove("1")))
	c, err = tssync.ParseMessage(fake.Published()[0].Body)
	require.NoError(t, err)
	require.Equal(t, int64(0), c.Version)
}

// TestCopierKeyOnlyRemove: the keys of a key-only Remove find the copy,
// which is deleted and stays deleted.
func TestCopierKeyOnlyRemove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := f.copier()
	ctx := context.Background()
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, id, 1, "A")))
	require.NoError(t, cp.Apply(ctx, change(tssync.Modify, id, 3, "C")))

	rm := keyOnlyRemove(id)
	rm.Version = tssync.RemovedVersion
	require.ErrorIs(t, cp.Apply(ctx, rm), tssync.ErrNoSourceID, "without SourceKey the copy cannot be found: an error, not a silent skip")
	_, err := f.statsOf(id)
	require.NoError(t, err)

	cp.SourceKey = "COMPANY#{id}"
	require.NoError(t, cp.Apply(ctx, rm))
	_, err = f.statsOf(id)
	if err == nil {
		t.Fatalf("statsOf(%q) after a key-only Remove = nil; want ErrNotFound", id)
	}
	require.ErrorIs(t, err, repository.ErrNotFound)
	require.NoError(t, cp.Apply(ctx, change(tssync.Modify, id, 4, "D")), "a late write")
	_, err = f.statsOf(id)
	require.ErrorIs(t, err, repository.ErrNotFound, "a late write does not bring the copy back")

	// A key-only Remove of another kind of item is not the copier's.
	other := keyOnlyRemove(id)
	other.Keys["pk"] = s("ORDER#" + id)
	require.NoError(t, cp.Apply(ctx, other))
}

// TestCopierRefusesImpossibleOrder: a change at a version no writer
// reaches is refused; applied, it would hold the copy there for good.
func TestCopierRefusesImpossibleOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := f.copier()
	ctx := context.Background()
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, id, 1, "A")))
	forged := change(tssync.Modify, id, math.MaxInt64, "Forged")
	if err := cp.Apply(ctx, forged); !errors.Is(err, tssync.ErrNotAChange) {
		t.Errorf("Apply(version MaxInt64) = %v; want ErrNotAChange", err)
	}
	require.NoError(t, cp.Apply(ctx, change(tssync.Modify, id, 2, "B")))
	st, err := f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "B", st.CompanyName, "the copy still follows its owner")
}

// TestCopierRefusesTombstoneTableWithoutTTL: tombstones expire through the
// table's TTL; a table that declares none would keep them for ever.
func TestCopierRefusesTombstoneTableWithoutTTL(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, db, index.Table{Name: "stats", PartitionKey: index.S("pk")})
	stats, err := repository.New[Stats](db, table, repository.WithKeys("STATS#{id}", ""), repository.WithVersion("version"))
	require.NoError(t, err)
	cp := &tssync.Copier[Stats]{Repo: stats, Attributes: map[string]string{"name": "companyName"}, DeleteOnRemove: true}
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	if err := cp.Apply(context.Background(), change(tssync.Remove, id, 1, "A")); !errors.Is(err, tssync.ErrTombstoneTable) {
		t.Errorf("Apply(Remove) with tombstones in a table without TTL = %v; want ErrTombstoneTable", err)
	}
}

// TestTombstoneExpiresThroughTheDeclaredTTL: the tombstone's expiry is
// written into the attribute the table declares as its TTL.
func TestTombstoneExpiresThroughTheDeclaredTTL(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, db, index.Table{Name: "stats", PartitionKey: index.S("pk"), TTL: "deleteAt"})
	stats, err := repository.New[Stats](db, table, repository.WithKeys("STATS#{id}", ""), repository.WithVersion("version"))
	require.NoError(t, err)
	cp := &tssync.Copier[Stats]{Repo: stats, Attributes: map[string]string{"name": "companyName"}, DeleteOnRemove: true,
		Create: func(_ context.Context, c tssync.Change) (*Stats, error) {
			return &Stats{ID: "0193a8c2-7a4e-7d3c-9f00-0123456789ab"}, nil
		}}
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	ctx := context.Background()
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, id, 1, "A")))
	require.NoError(t, cp.Apply(ctx, change(tssync.Remove, id, 1, "A")))
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table.Name)})
	require.NoError(t, err)
	require.Len(t, out.Items, 1, "the tombstone")
	ttl, ok := out.Items[0]["deleteAt"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("tombstone %v has no number attribute deleteAt", out.Items[0])
	}
	sec, err := strconv.ParseInt(ttl.Value, 10, 64)
	require.NoError(t, err)
	if d := time.Until(time.Unix(sec, 0)); d < 6*24*time.Hour || d > 8*24*time.Hour {
		t.Errorf("tombstone expires in %v; want about 7 days (TombstoneTTL's default)", d)
	}
}
