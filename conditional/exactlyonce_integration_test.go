package conditional_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/repository"
)

// faultyAccounts returns the accounts repository through f, and one on a
// clean client over the same table for checking what was stored.
func faultyAccounts(t *testing.T, f *ddbtest.Faults, opts ...repository.Option) (faulty, clean *repository.Repository[Account], client *dynamodb.Client) {
	t.Helper()
	clean = newAccounts(t, ddbtest.DynamoDB(t), opts...)
	client = ddbtest.DynamoDBWithFaults(t, f)
	faulty, err := repository.New[Account](client, clean.Table(), append([]repository.Option{
		repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"),
		repository.WithUnique("email"),
	}, opts...)...)
	require.NoError(t, err)
	return faulty, clean, client
}

// TestLostResponseAppliedOnce sends each kind of write through a transport
// that lets DynamoDB apply the request and then loses its response, so that
// the SDK sends it again: each write reports success and is applied once.
func TestLostResponseAppliedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		op   string // the operation whose response is lost
		run  func(t *testing.T, faulty, clean *repository.Repository[Account], client *dynamodb.Client)
	}{
		{"Create", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := Account{Name: "new"}
			require.NoError(t, faulty.Create(ctx, &a), "Create")
			got, err := clean.Get(ctx, a.ID, repository.ConsistentRead())
			require.NoError(t, err)
			require.Equal(t, int64(1), got.Version)
		}},
		{"Create with a unique value", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := Account{Name: "new", Email: "lost@example.com"}
			require.NoError(t, faulty.Create(ctx, &a), "Create")
			require.ErrorIs(t, clean.Create(ctx, &Account{Email: "lost@example.com"}), conditional.ErrDuplicate, "the guard is held")
		}},
		{"versioned Put", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := seed(t, clean)
			a.Name = "renamed"
			require.NoError(t, faulty.Put(ctx, &a), "Put")
			require.Equal(t, int64(2), a.Version, "Put sets the version written")
			require.Equal(t, int64(2), get(t, clean, a.ID).Version, "written once")
		}},
		{"Put moving a unique value", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := seed(t, clean)
			a.Email = "moved@example.com"
			require.NoError(t, faulty.Put(ctx, &a), "Put")
			require.NoError(t, clean.Create(ctx, &Account{Email: "seed@example.com"}), "the old value is free")
			require.ErrorIs(t, clean.Create(ctx, &Account{Email: "moved@example.com"}), conditional.ErrDuplicate, "the new one is held")
		}},
		{"Update IfVersion", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := seed(t, clean)
			got, err := faulty.Update(ctx, a.ID, repository.Set("name", "updated"), repository.IfVersion(1))
			require.NoError(t, err, "Update")
			require.Equal(t, "updated", got.Name)
			require.Equal(t, int64(2), got.Version)
			require.Equal(t, int64(2), get(t, clean, a.ID).Version)
		}},
		{"Delete IfVersion", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := seed(t, clean)
			require.NoError(t, faulty.Delete(ctx, a.ID, repository.IfVersion(1)), "Delete")
			_, err := clean.Get(ctx, a.ID, repository.ConsistentRead())
			require.ErrorIs(t, err, repository.ErrNotFound)
			require.NoError(t, clean.Create(ctx, &Account{Email: "seed@example.com"}), "the guard went with it")
		}},
		{"Mutate", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := seed(t, clean)
			runs := 0
			got, err := conditional.Mutate(ctx, faulty, a.ID, func(a *Account) error {
				runs++
				a.Count++
				return nil
			})
			require.NoError(t, err, "Mutate")
			require.Equal(t, 1, runs, "fn ran once")
			require.Equal(t, 1, got.Count)
			stored := get(t, clean, a.ID)
			require.Equal(t, 1, stored.Count, "incremented once")
			require.Equal(t, int64(2), stored.Version)
		}},
		{"Add", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], _ *dynamodb.Client) {
			a := seed(t, clean)
			got, err := conditional.Add(ctx, faulty, a.ID, "count", 5)
			require.NoError(t, err, "Add")
			require.Equal(t, 5, got.Count)
			require.Equal(t, 5, get(t, clean, a.ID).Count, "added once")
		}},
		{"Increment in a transaction", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], client *dynamodb.Client) {
			a, b := seed(t, clean), seedEmail(t, clean, "other@example.com")
			var tx conditional.Tx
			tx.Add(conditional.Increment(ctx, faulty, a.ID, "count", 1))
			tx.Add(conditional.Increment(ctx, faulty, b.ID, "count", 1))
			require.NoError(t, tx.Commit(ctx, client), "Commit")
			require.Equal(t, 1, get(t, clean, a.ID).Count)
			require.Equal(t, 1, get(t, clean, b.ID).Count)
		}},
		{"unversioned Update", "UpdateItem", func(t *testing.T, _, clean *repository.Repository[Account], client *dynamodb.Client) {
			stats := newStats(t, client, clean)
			s := Stats{}
			require.NoError(t, stats.Create(ctx, &s))
			got, err := stats.Update(ctx, s.ID, repository.Set("companies", 7))
			require.NoError(t, err, "a Set lands the same however often it is sent")
			require.Equal(t, 7, got.Companies)
		}},
		{"BatchPut", "BatchWriteItem", func(t *testing.T, _, clean *repository.Repository[Account], client *dynamodb.Client) {
			stats := newStats(t, client, clean)
			items := []*Stats{{Companies: 1}, {Companies: 2}, {Companies: 3}}
			require.NoError(t, stats.BatchPut(ctx, items), "BatchPut")
			for _, s := range items {
				got, err := stats.Get(ctx, s.ID, repository.ConsistentRead())
				require.NoError(t, err)
				require.Equal(t, s.Companies, got.Companies)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := ddbtest.NewFaults()
			faulty, clean, client := faultyAccounts(t, f)
			f.Script(tt.op, ddbtest.LostResponse)
			tt.run(t, faulty, clean, client)
			require.Equal(t, 1, f.Count(tt.op, ddbtest.LostResponse), "the response of one %s was lost", tt.op)
		})
	}
}

// TestLostResponseWithRetryUnsafeWrites shows what WithRetryUnsafeWrites
// gives up: the SDK's resend of a Create that landed fails on its own item.
func TestLostResponseWithRetryUnsafeWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := ddbtest.NewFaults()
	client := ddbtest.DynamoDBWithFaults(t, f)
	clean := newAccounts(t, ddbtest.DynamoDB(t))
	stats := newStats(t, client, clean, repository.WithRetryUnsafeWrites())
	f.Script("PutItem", ddbtest.LostResponse)
	err := stats.Create(ctx, &Stats{})
	var ce *repository.ConditionError
	require.ErrorIs(t, err, repository.ErrAlreadyExists, "the resend finds the item the lost request created")
	require.True(t, errors.As(err, &ce) && ce.Item != nil)
}

func newStats(t *testing.T, client *dynamodb.Client, on *repository.Repository[Account], opts ...repository.Option) *repository.Repository[Stats] {
	t.Helper()
	r, err := repository.New[Stats](client, on.Table(), append([]repository.Option{repository.WithKeys("STATS#{id}", "STATS")}, opts...)...)
	require.NoError(t, err)
	return r
}

func seed(t *testing.T, r *repository.Repository[Account]) Account {
	t.Helper()
	return seedEmail(t, r, "seed@example.com")
}

func seedEmail(t *testing.T, r *repository.Repository[Account], email string) Account {
	t.Helper()
	a := Account{Name: "seed", Email: email}
	require.NoError(t, r.Create(context.Background(), &a), "seed Create")
	return a
}

func get(t *testing.T, r *repository.Repository[Account], id string) Account {
	t.Helper()
	a, err := r.Get(context.Background(), id, repository.ConsistentRead())
	require.NoError(t, err)
	return a
}
