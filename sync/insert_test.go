package sync_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// writeOps are the DynamoDB operations a Copier may send.
var writeOps = []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}

// requests returns how many requests of each operation f has seen, leaving
// out those with none.
func requests(f *ddbtest.Faults) map[string]int {
	out := map[string]int{}
	for _, op := range writeOps {
		if n := f.Requests(op); n > 0 {
			out[op] = n
		}
	}
	return out
}

// StatsNoMarker is a copy whose model has no field for the Copier's marker
// (its repository declares the attribute instead).
type StatsNoMarker struct {
	ID          string `dynamodbav:"id"`
	CompanyName string `dynamodbav:"companyName"`
	NameLower   string `dynamodbav:"companyNameLower"`
}

// TestCopierInsertCostsOneRequest: the first Insert of an item creates its
// copy, with the change applied, in one request — a transaction with the
// tombstone check with DeleteOnRemove, a PutItem without, a transaction when
// the model has no field for the marker — and the changes after it cost one
// UpdateItem each, duplicates and late ones included.
func TestCopierInsertCostsOneRequest(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, db, index.Table{Name: "stats", PartitionKey: index.S("pk"), TTL: "expiresAt"})
	lower := func(s *Stats) any { return strings.ToLower(s.CompanyName) }
	newCopier := func(faults *ddbtest.Faults, deleteOnRemove bool) *tssync.Copier[Stats] {
		stats, err := repository.New[Stats](ddbtest.DynamoDBWithFaults(t, faults), table,
			repository.WithKeys("STATS#{id}", ""), repository.WithVersion("version"),
			repository.Derive("companyNameLower", lower, "companyName"))
		require.NoError(t, err)
		return &tssync.Copier[Stats]{
			Repo: stats, Attributes: map[string]string{"name": "companyName"}, DeleteOnRemove: deleteOnRemove,
			Create: func(_ context.Context, c tssync.Change) (*Stats, error) {
				var co Company
				if err := c.Decode(&co); err != nil {
					return nil, err
				}
				return &Stats{ID: co.ID, Orders: 7}, nil
			},
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		deleteOnRemove bool
		id             string
		insert         map[string]int
	}{
		{"DeleteOnRemove", true, "0193a8c2-7a4e-7d3c-9f00-0123456789c0", map[string]int{"TransactWriteItems": 1}},
		{"KeepOnRemove", false, "0193a8c2-7a4e-7d3c-9f00-0123456789c1", map[string]int{"PutItem": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faults := ddbtest.NewFaults()
			cp := newCopier(faults, tc.deleteOnRemove)
			require.NoError(t, cp.Apply(ctx, change(tssync.Insert, tc.id, 1, "Acme")))
			require.Equal(t, tc.insert, requests(faults), "requests of the first Insert")
			st, err := cp.Repo.Get(ctx, tc.id, repository.ConsistentRead())
			require.NoError(t, err)
			created := st.Version // a given id starts at a version no earlier item of it had
			require.Positive(t, created)
			require.Equal(t, Stats{ID: tc.id, CompanyName: "Acme", NameLower: "acme", Orders: 7,
				SyncOrder: change(tssync.Insert, tc.id, 1, "Acme").Order(), Version: created}, st)

			faults = ddbtest.NewFaults()
			cp = newCopier(faults, tc.deleteOnRemove)
			require.NoError(t, cp.Apply(ctx, change(tssync.Modify, tc.id, 2, "Acme Ltd")))
			require.Equal(t, map[string]int{"UpdateItem": 1}, requests(faults), "requests of a Modify")
			require.NoError(t, cp.Apply(ctx, change(tssync.Modify, tc.id, 2, "Acme Ltd")))
			require.Equal(t, map[string]int{"UpdateItem": 2}, requests(faults), "a duplicate costs its failed update")

			// A late Insert tries to create the copy, finds it and is
			// skipped by the update's condition: nothing is written.
			require.NoError(t, cp.Apply(ctx, change(tssync.Insert, tc.id, 1, "Acme")))
			st, err = cp.Repo.Get(ctx, tc.id, repository.ConsistentRead())
			require.NoError(t, err)
			require.Equal(t, "Acme Ltd", st.CompanyName)
			require.Equal(t, created+1, st.Version, "skipped changes write nothing")
		})
	}

	t.Run("NoMarkerField", func(t *testing.T) {
		faults := ddbtest.NewFaults()
		repo, err := repository.New[StatsNoMarker](ddbtest.DynamoDBWithFaults(t, faults), table,
			repository.WithKeys("STATS#{id}", ""), repository.WithAttributes(tssync.DefaultMarker),
			repository.Derive("companyNameLower", func(s *StatsNoMarker) any { return strings.ToLower(s.CompanyName) }, "companyName"))
		require.NoError(t, err)
		cp := &tssync.Copier[StatsNoMarker]{
			Repo: repo, Attributes: map[string]string{"name": "companyName"},
			Create: func(_ context.Context, c tssync.Change) (*StatsNoMarker, error) {
				return &StatsNoMarker{ID: c.New["id"].(*types.AttributeValueMemberS).Value}, nil
			},
		}
		id := "0193a8c2-7a4e-7d3c-9f00-0123456789c2"
		ins := change(tssync.Insert, id, 1, "Globex")
		require.NoError(t, cp.Apply(ctx, ins))
		require.Equal(t, map[string]int{"TransactWriteItems": 1}, requests(faults))
		key, err := repo.Key(id)
		require.NoError(t, err)
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table.Name), Key: key, ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		require.Equal(t, s(ins.Order()), out.Item[tssync.DefaultMarker], "the marker is written without a field for it")
		require.Equal(t, s("globex"), out.Item["companyNameLower"], "derived attributes computed from the copied value")

		// An older Insert delivered late is skipped.
		late := change(tssync.Insert, id, 1, "Old")
		late.Version = 0
		late.Sequence = "1"
		require.NoError(t, cp.Apply(ctx, late))
		got, err := repo.Get(ctx, id, repository.ConsistentRead())
		require.NoError(t, err)
		require.Equal(t, "Globex", got.CompanyName)
	})
}
