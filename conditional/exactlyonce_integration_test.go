package conditional_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
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
			require.ErrorIs(t, clean.Create(ctx, &Account{Email: "lost@example.com"}), repository.ErrDuplicate, "the guard is held")
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
			require.ErrorIs(t, clean.Create(ctx, &Account{Email: "moved@example.com"}), repository.ErrDuplicate, "the new one is held")
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
			got, err := faulty.Update(ctx, a.ID, repository.Add("count", 5))
			require.NoError(t, err, "Add")
			require.Equal(t, 5, got.Count)
			require.Equal(t, 5, get(t, clean, a.ID).Count, "added once")
		}},
		{"Increment in a transaction", "TransactWriteItems", func(t *testing.T, faulty, clean *repository.Repository[Account], client *dynamodb.Client) {
			a, b := seed(t, clean), seedEmail(t, clean, "other@example.com")
			var tx repository.Tx
			tx.Include(conditional.Increment(ctx, faulty, a.ID, "count", 1))
			tx.Include(conditional.Increment(ctx, faulty, b.ID, "count", 1))
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

// raceOnRead is a client that runs before and after around the first
// GetItem it sends.
type raceOnRead struct {
	*dynamodb.Client
	once          sync.Once
	before, after func()
}

func (c *raceOnRead) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.GetItemOutput, err error) {
	c.once.Do(func() {
		c.before()
		out, err = c.Client.GetItem(ctx, in, o...)
		c.after()
	})
	if out == nil && err == nil {
		return c.Client.GetItem(ctx, in, o...)
	}
	return out, err
}

// TestVersionedPutRacingRecreate: a versioned Put whose item is deleted
// and created again under the same id while the Put is planned never lands
// on the new item — which starts at a version no earlier item of the id
// had — and never leaves a guard without its owner.
func TestVersionedPutRacingRecreate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		before    bool   // the Delete runs before Put reads the current item, the Create after
		recreated string // the email of the item created again
		want      error
	}{
		{"read absent", true, "c@example.com", repository.ErrNotFound},
		{"read before, other value", false, "c@example.com", repository.ErrConditionFailed},
		{"read before, same value", false, "a@example.com", repository.ErrVersionConflict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			client := ddbtest.DynamoDB(t)
			repo := newAccounts(t, client)
			a := Account{Name: "a", Email: "a@example.com"}
			require.NoError(t, repo.Create(ctx, &a))
			del := func() { require.NoError(t, repo.Delete(ctx, a.ID, repository.IfVersion(1)), "racing Delete") }
			create := func() {
				require.NoError(t, repo.Create(ctx, &Account{ID: a.ID, Name: "again", Email: tt.recreated}), "racing Create")
			}
			racing := &raceOnRead{Client: client, before: func() {}, after: func() { del(); create() }}
			if tt.before {
				racing.before, racing.after = del, create
			}
			putter, err := repository.New[Account](racing, repo.Table(),
				repository.WithKeys("ACCOUNT#{id}", "PROFILE"), repository.WithVersion("version"), repository.WithUnique("email"))
			require.NoError(t, err)
			stale := a
			stale.Email = "b@example.com"
			err = putter.Put(ctx, &stale)
			require.ErrorIs(t, err, tt.want)
			again, err := repo.Get(ctx, a.ID, repository.ConsistentRead())
			require.NoError(t, err)
			require.Equal(t, "again", again.Name, "the new item is untouched")
			require.Greater(t, again.Version, int64(1), "created again under a given id: a version no earlier item had")
			checkGuards(t, client, repo)
		})
	}
}

// checkGuards asserts that every live account holds the guard of its email
// and every guard is held by a live account with that email. It scans the
// table with the SDK: the repository reads only through access patterns.
func checkGuards(t *testing.T, client *dynamodb.Client, repo *repository.Repository[Account]) {
	t.Helper()
	ctx := context.Background()
	emails := map[string]string{} // account id → email
	guards := map[string]string{} // email → owner
	var start map[string]types.AttributeValue
	for {
		out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(repo.Table().Name), ConsistentRead: aws.Bool(true), ExclusiveStartKey: start})
		require.NoError(t, err)
		for _, item := range out.Items {
			pk := item["pk"].(*types.AttributeValueMemberS).Value
			switch {
			case strings.HasPrefix(pk, "ACCOUNT#"):
				a, err := repo.Decode(item)
				require.NoError(t, err)
				if a.Email != "" {
					emails[a.ID] = a.Email
				}
			case item["owner"] != nil:
				guards[item["uniqueValue"].(*types.AttributeValueMemberS).Value] = item["owner"].(*types.AttributeValueMemberS).Value
			}
		}
		if start = out.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	for id, email := range emails {
		if guards[email] != id {
			t.Errorf("account %s has email %q, whose guard is held by %q", id, email, guards[email])
		}
	}
	for email, owner := range guards {
		if emails[owner] != email {
			t.Errorf("guard of %q is held by %s, whose email is %q: the value can never be taken again", email, owner, emails[owner])
		}
	}
}

// TestTokenAcrossCalls: a caller that retries a whole call with the same
// token (an HTTP Idempotency-Key, a redelivered message) has it applied
// once; the same token with other content is refused with a sentinel.
func TestTokenAcrossCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	repo := newAccounts(t, client)
	a := seed(t, repo)
	tok := repository.Token(uuid.NewString()) // tokens live for ten minutes: unique per run
	for range 3 {
		_, err := repo.Update(ctx, a.ID, repository.Add("count", 1), tok)
		require.NoError(t, err, "Add with the same token")
	}
	require.Equal(t, 1, get(t, repo, a.ID).Count, "applied once")

	_, err := repo.Update(ctx, a.ID, repository.Add("count", 2), tok)
	require.ErrorIs(t, err, repository.ErrIdempotentParameterMismatch, "same token, other content")
	var tx repository.Tx
	tx.Include(conditional.Increment(ctx, repo, a.ID, "count", 5))
	require.ErrorIs(t, tx.Commit(ctx, client, tok), repository.ErrIdempotentParameterMismatch, "same token, other transaction")
	require.Equal(t, 1, get(t, repo, a.ID).Count, "nothing more applied")
}

// TestExactlyOnceCapacity measures on DynamoDB Local the write capacity of
// each write kind, plain (WithRetryUnsafeWrites) and exactly-once: DynamoDB
// charges a transactional write twice, and an Update sent as a transaction
// reads the item back.
func TestExactlyOnceCapacity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := newAccounts(t, client).Table()
	// No unique attributes: single writes, no guards, no reads before writing.
	exact, err := repository.New[Account](client, table, repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"))
	require.NoError(t, err)
	plain, err := repository.New[Account](client, table, repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"), repository.WithRetryUnsafeWrites())
	require.NoError(t, err)
	units := func(r *repository.Repository[Account]) map[string]float64 {
		got := map[string]float64{}
		measure := func(op string, fn func(c repository.CallOption) error) {
			var c repository.Capacity
			require.NoError(t, fn(repository.ReportCapacity(&c)), op)
			got[op] = c.Units
		}
		a := Account{Name: "cost"}
		measure("Create", func(c repository.CallOption) error { return r.Create(ctx, &a, c) })
		measure("Put", func(c repository.CallOption) error { return r.Put(ctx, &a, c) })
		measure("Update", func(c repository.CallOption) error {
			_, err := r.Update(ctx, a.ID, repository.Set("name", "x"), repository.IfVersion(a.Version), c)
			return err
		})
		measure("Add", func(c repository.CallOption) error {
			_, err := r.Update(ctx, a.ID, repository.Add("count", 1), c)
			return err
		})
		return got
	}
	p, e := units(plain), units(exact)
	t.Logf("capacity units, plain → exactly-once: %v → %v", p, e)
	for _, op := range []string{"Create", "Put"} {
		require.Equal(t, 2*p[op], e[op], "%s: a transactional write costs twice", op)
	}
	for _, op := range []string{"Update", "Add"} {
		require.Greater(t, e[op], 2*p[op], "%s: twice the write, and the read back", op)
	}
}

// TestStaleWritesMissRecreatedItems: Update and Delete expecting a version
// of a deleted item never land on the item created again under its id.
func TestStaleWritesMissRecreatedItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "first"}
	require.NoError(t, repo.Create(ctx, &a))
	require.Equal(t, int64(1), a.Version, "a generated id starts at version 1")
	require.NoError(t, repo.Delete(ctx, a.ID, repository.IfVersion(1)))
	again := Account{ID: a.ID, Name: "again"}
	require.NoError(t, repo.Create(ctx, &again))
	require.Greater(t, again.Version, int64(1))

	_, err := repo.Update(ctx, a.ID, repository.Set("name", "stale"), repository.IfVersion(1))
	require.ErrorIs(t, err, repository.ErrVersionConflict, "stale Update")
	require.ErrorIs(t, repo.Delete(ctx, a.ID, repository.IfVersion(1)), repository.ErrVersionConflict, "stale Delete")
	got := get(t, repo, a.ID)
	require.Equal(t, "again", got.Name)
	require.Equal(t, again.Version, got.Version)
}
