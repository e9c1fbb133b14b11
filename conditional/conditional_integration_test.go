package conditional_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

type Account struct {
	ID      string `dynamodbav:"id"`
	Email   string `dynamodbav:"email,omitempty"`
	Name    string `dynamodbav:"name"`
	Count   int    `dynamodbav:"count"`
	Version int64  `dynamodbav:"version"`
}

type Stats struct {
	ID        string `dynamodbav:"id"`
	Companies int    `dynamodbav:"companies"`
}

var accountsTable = index.Table{Name: "accounts", PartitionKey: index.S("pk"), SortKey: index.S("sk")}

func newAccounts(t *testing.T, client *dynamodb.Client, opts ...repository.Option) *repository.Repository[Account] {
	t.Helper()
	table := ddbtest.Table(t, client, accountsTable)
	opts = append([]repository.Option{
		repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"),
		repository.WithUnique("email"),
	}, opts...)
	repo, err := repository.New[Account](client, table, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return repo
}

func TestMutateConcurrentIncrements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "counter"}
	require.NoError(t, repo.Create(ctx, &a), "Create")
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := conditional.Mutate(ctx, repo, a.ID, func(a *Account) error {
					a.Count++
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Mutate: %v", err)
	}
	got, err := repo.Get(ctx, a.ID, repository.ConsistentRead())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Count != writers*each {
		t.Errorf("Count = %d after %d increments; want %d (lost updates)", got.Count, writers*each, writers*each)
	}
	if got.Version != writers*each+1 {
		t.Errorf("Version = %d; want %d", got.Version, writers*each+1)
	}
}

func TestMutateAbortsOnFunctionError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "before"}
	require.NoError(t, repo.Create(ctx, &a), "Create")
	stop := errors.New("stop")
	_, err := conditional.Mutate(ctx, repo, a.ID, func(a *Account) error {
		a.Name = "after"
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Mutate = %v; want the function's error", err)
	}
	got, _ := repo.Get(ctx, a.ID, repository.ConsistentRead())
	if got.Name != "before" || got.Version != 1 {
		t.Errorf("after aborted Mutate: %+v; want name before, version 1", got)
	}
	if _, err := conditional.Mutate(ctx, repo, "0193a8c2-7a4e-7d3c-9f00-0123456789ab", func(*Account) error { return nil }); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Mutate(absent) = %v; want ErrNotFound", err)
	}
	if _, err := conditional.Mutate(ctx, repo, a.ID, nil); err == nil {
		t.Errorf("Mutate(nil function) = nil; want an error")
	}
}

func TestConcurrentUniqueCreates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	const n = 20
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = repo.Create(ctx, &Account{Email: "same@example.com", Name: fmt.Sprint(i)})
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range results {
		var ue *repository.UniqueError
		switch {
		case err == nil:
			ok++
		case errors.Is(err, repository.ErrDuplicate) && errors.As(err, &ue):
			if ue.Attribute != "email" || ue.Value != "same@example.com" {
				t.Errorf("create %d: UniqueError = %+v; want email same@example.com", i, ue)
			}
		default:
			t.Errorf("create %d: %v; want nil or ErrDuplicate", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded; want exactly 1", ok)
	}
}

// createBeforeDelete is a client that runs create once, just before the
// first DeleteItem it sends: a Create racing a Delete of the same id.
type createBeforeDelete struct {
	*dynamodb.Client
	once   sync.Once
	create func()
}

func (c *createBeforeDelete) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.once.Do(c.create)
	return c.Client.DeleteItem(ctx, in, o...)
}

// TestDeleteRacingCreateKeepsGuards: a Delete that read no item must not
// delete one created since without its unique guards, which would hold
// the value forever.
func TestDeleteRacingCreateKeepsGuards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	repo := newAccounts(t, client)
	id := uuid.NewString()
	racing := &createBeforeDelete{Client: client, create: func() {
		require.NoError(t, repo.Create(ctx, &Account{ID: id, Email: "race@example.com"}), "racing Create")
	}}
	deleter, err := repository.New[Account](racing, repo.Table(),
		repository.WithKeys("ACCOUNT#{id}", "PROFILE"), repository.WithVersion("version"), repository.WithUnique("email"))
	require.NoError(t, err, "New")
	delErr := deleter.Delete(ctx, id, repository.AnyVersion())
	if _, err := repo.Get(ctx, id, repository.ConsistentRead()); errors.Is(err, repository.ErrNotFound) {
		// The item is gone: so must its guard be.
		if err := repo.Create(ctx, &Account{Email: "race@example.com"}); err != nil {
			t.Errorf("Delete = %v deleted the racing item; Create with its email = %v; want nil", delErr, err)
		}
	} else if !errors.Is(delErr, repository.ErrConditionFailed) {
		t.Errorf("Delete of an item created since it was read = %v; want ErrConditionFailed", delErr)
	}
}

func TestUniqueGuardMovesAndIsReleased(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Email: "a@example.com", Name: "a"}
	require.NoError(t, repo.Create(ctx, &a), "Create")
	// Change a's email: the old value is free, the new one taken.
	a.Email = "a2@example.com"
	if err := repo.Put(ctx, &a); err != nil {
		t.Fatalf("Put a: %v", err)
	}
	if a.Version != 2 {
		t.Errorf("Put set version %d; want 2", a.Version)
	}
	b := Account{Email: "a@example.com", Name: "b"}
	require.NoError(t, repo.Create(ctx, &b), "Create")
	if err := repo.Create(ctx, &Account{Email: "a2@example.com"}); !errors.Is(err, repository.ErrDuplicate) {
		t.Fatalf("Create with a's new email = %v; want ErrDuplicate", err)
	}
	// Update moves the guard too.
	if _, err := repo.Update(ctx, b.ID, repository.Set("email", "a2@example.com"), repository.IfVersion(1)); !errors.Is(err, repository.ErrDuplicate) {
		t.Fatalf("Update b to a's email = %v; want ErrDuplicate", err)
	}
	got, err := repo.Update(ctx, b.ID, repository.Set("email", "b@example.com"), repository.IfVersion(1))
	if err != nil {
		t.Fatalf("Update b email: %v", err)
	}
	if got.Email != "b@example.com" || got.Version != 2 {
		t.Errorf("Update returned %+v; want email b@example.com, version 2", got)
	}
	if err := repo.Create(ctx, &Account{Email: "a@example.com"}); err != nil {
		t.Fatalf("Create with b's released email: %v", err)
	}
	// Delete releases the guard.
	if err := repo.Delete(ctx, a.ID, repository.IfVersion(a.Version)); err != nil {
		t.Fatalf("Delete a: %v", err)
	}
	if err := repo.Create(ctx, &Account{Email: "a2@example.com"}); err != nil {
		t.Fatalf("Create with deleted a's email: %v", err)
	}
}

func TestStaleWritesRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "v1"}
	require.NoError(t, repo.Create(ctx, &a), "Create")
	stale := a
	a.Name = "v2"
	if err := repo.Put(ctx, &a); err != nil {
		t.Fatalf("Put: %v", err)
	}

	stale.Name = "lost update"
	err := repo.Put(ctx, &stale)
	var ce *repository.ConditionError
	if !errors.Is(err, repository.ErrVersionConflict) || !errors.As(err, &ce) {
		t.Fatalf("stale Put = %v; want ErrVersionConflict", err)
	}
	cur, err := repo.Decode(ce.Item)
	if err != nil || cur.Name != "v2" || cur.Version != 2 {
		t.Errorf("conflict carries %+v, %v; want the current item v2 at version 2", cur, err)
	}

	if err := repo.Delete(ctx, a.ID, repository.IfVersion(1)); !errors.Is(err, repository.ErrVersionConflict) {
		t.Fatalf("stale Delete = %v; want ErrVersionConflict", err)
	}
	if _, err := repo.Update(ctx, a.ID, repository.Set("name", "x"), repository.IfVersion(1)); !errors.Is(err, repository.ErrVersionConflict) {
		t.Fatalf("stale Update = %v; want ErrVersionConflict", err)
	}
	if _, err := repo.Get(ctx, a.ID, repository.ConsistentRead()); err != nil {
		t.Fatalf("item gone after refused writes: %v", err)
	}

	// Writes without a version are refused before any request.
	if err := repo.Delete(ctx, a.ID); !errors.Is(err, repository.ErrVersionRequired) {
		t.Errorf("Delete without version = %v; want ErrVersionRequired", err)
	}
	if _, err := repo.Update(ctx, a.ID, repository.Set("name", "x")); !errors.Is(err, repository.ErrVersionRequired) {
		t.Errorf("Update without version = %v; want ErrVersionRequired", err)
	}
	// Version 0 means "stored without a version": this item has one.
	if err := repo.Put(ctx, &Account{ID: a.ID}); !errors.Is(err, repository.ErrVersionConflict) {
		t.Errorf("Put at version 0 = %v; want ErrVersionConflict", err)
	}

	// The current version deletes; a repeated delete is harmless.
	if err := repo.Delete(ctx, a.ID, repository.IfVersion(2)); err != nil {
		t.Fatalf("Delete current: %v", err)
	}
	if err := repo.Delete(ctx, a.ID, repository.IfVersion(2)); err != nil {
		t.Fatalf("Delete again: %v", err)
	}
}

func TestAnyVersionWritesStillMoveTheVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "before", Email: "any@example.com"}
	require.NoError(t, repo.Create(ctx, &a), "Create")

	got, err := repo.Update(ctx, a.ID, repository.Set("name", "copied"), repository.AnyVersion())
	require.NoError(t, err, "Update AnyVersion")
	if got.Name != "copied" || got.Version != 2 {
		t.Errorf("after AnyVersion Update: %+v; want name copied at version 2", got)
	}
	// A read-modify-write holding version 1 notices the change.
	if _, err := repo.Update(ctx, a.ID, repository.Set("name", "lost"), repository.IfVersion(1)); !errors.Is(err, repository.ErrVersionConflict) {
		t.Errorf("Update at version 1 after AnyVersion = %v; want ErrVersionConflict", err)
	}
	// AnyVersion does not waive other conditions.
	_, err = repo.Update(ctx, a.ID, repository.Set("name", "x"), repository.AnyVersion(),
		repository.If(conditional.Equal("name", "someone else")))
	if !errors.Is(err, repository.ErrConditionFailed) {
		t.Errorf("AnyVersion Update under a failing If = %v; want ErrConditionFailed", err)
	}

	require.NoError(t, repo.Delete(ctx, a.ID, repository.AnyVersion()), "Delete AnyVersion")
	if _, err := repo.Get(ctx, a.ID, repository.ConsistentRead()); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after AnyVersion Delete = %v; want ErrNotFound", err)
	}
	// The unique guard went with the item: the email is free again.
	require.NoError(t, repo.Create(ctx, &Account{Email: "any@example.com"}), "Create with the released email")
}

func TestCountersNeedNoVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "c"}
	require.NoError(t, repo.Create(ctx, &a), "Create")
	got, err := repo.Update(ctx, a.ID, repository.Add("count", 5))
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if got.Count != 5 || got.Version != 2 {
		t.Errorf("after Add: count %d version %d; want 5 and 2", got.Count, got.Version)
	}
	if got, err = repo.Update(ctx, a.ID, repository.Add("count", -2)); err != nil || got.Count != 3 {
		t.Errorf("Add(-2) = %d, %v; want 3", got.Count, err)
	}
	if _, err := repo.Update(ctx, "0193a8c2-7a4e-7d3c-9f00-0123456789ab", repository.Add("count", 1)); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Add on absent item = %v; want ErrNotFound", err)
	}
}

func TestTransactionAcrossTablesReportsFailedItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	accounts := newAccounts(t, client)
	statsTable := ddbtest.Table(t, client, index.Table{Name: "stats", PartitionKey: index.S("pk")})
	stats, err := repository.New[Stats](client, statsTable, repository.WithKeys("STATS#{id}", ""))
	if err != nil {
		t.Fatalf("New stats: %v", err)
	}
	s := Stats{}
	require.NoError(t, stats.Create(ctx, &s), "Create")

	// The second write's condition fails: nothing is written.
	var tx repository.Tx
	a := Account{Name: "in tx"}
	tx.Include(accounts.PlanCreate(ctx, &a))
	tx.Include(conditional.Increment(ctx, stats, s.ID, "companies", 1,
		repository.If(conditional.Compare("companies", conditional.Greater, 10))))
	err = tx.Commit(ctx, client)
	var te *repository.TxError
	if !errors.As(err, &te) || !errors.Is(err, repository.ErrTransactionCanceled) {
		t.Fatalf("Commit = %v; want a *TxError", err)
	}
	if te.Index != 1 || te.Reason != "ConditionalCheckFailed" || te.Table != statsTable.Name {
		t.Errorf("TxError = index %d reason %q table %q; want index 1, ConditionalCheckFailed, %s", te.Index, te.Reason, te.Table, statsTable.Name)
	}
	if !errors.Is(err, repository.ErrConditionFailed) {
		t.Errorf("Commit error %v does not match ErrConditionFailed", err)
	}
	if _, err := accounts.Get(ctx, a.ID, repository.ConsistentRead()); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("first write applied although the transaction failed: Get = %v", err)
	}

	// The same transaction, sent twice with one token, applies once.
	b := Account{Name: "once", Email: "once@example.com"}
	var ok repository.Tx
	ok.Include(accounts.PlanCreate(ctx, &b))
	ok.Include(conditional.Increment(ctx, stats, s.ID, "companies", 1))
	token := repository.Token(uuid.NewString()) // unique per run: tokens live for ten minutes
	if err := ok.Commit(ctx, client, token); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := ok.Commit(ctx, client, token); err != nil {
		t.Fatalf("Commit again with the same token: %v", err)
	}
	got, err := stats.Get(ctx, s.ID, repository.ConsistentRead())
	if err != nil || got.Companies != 1 {
		t.Errorf("companies = %d, %v after one transaction sent twice; want 1", got.Companies, err)
	}
}

func TestTransactionRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	accounts := newAccounts(t, client)
	a := Account{Name: "a"}
	require.NoError(t, accounts.Create(ctx, &a), "Create")
	var twice repository.Tx
	twice.Include(conditional.Increment(ctx, accounts, a.ID, "count", 1))
	twice.Include(conditional.Increment(ctx, accounts, a.ID, "count", 1))
	err := twice.Commit(ctx, client)
	var te *repository.TxError
	if !errors.Is(err, repository.ErrInvalidTransaction) || !errors.As(err, &te) || te.Index != 1 {
		t.Errorf("two operations on one item: %v; want ErrInvalidTransaction at index 1", err)
	}

	var big repository.Tx
	for range 101 {
		big.Include(accounts.PlanCreate(ctx, &Account{Name: "x"}))
	}
	if err := big.Commit(ctx, client); !errors.Is(err, repository.ErrInvalidTransaction) {
		t.Errorf("101 items: %v; want ErrInvalidTransaction", err)
	}
	var bad repository.Tx
	bad.Include(accounts.PlanDelete(ctx, "not-a-uuid"))
	if err := bad.Commit(ctx, client); !errors.Is(err, repository.ErrInvalidID) {
		t.Errorf("planning error: %v; want ErrInvalidID", err)
	}
	// Nothing above reached the table.
	got, _ := accounts.Get(ctx, a.ID, repository.ConsistentRead())
	if got.Count != 0 {
		t.Errorf("count = %d; want 0", got.Count)
	}
}

// TestMutateOptions: the attempt bound and backoff apply to conflicts, and
// call options reach the reads and writes.
func TestMutateOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newAccounts(t, ddbtest.DynamoDB(t))
	a := Account{Name: "m"}
	require.NoError(t, repo.Create(ctx, &a), "Create")

	// fn races a counter on its first runs: each of its writes then conflicts.
	racing := func(races int) func(*Account) error {
		n := 0
		return func(acc *Account) error {
			if n++; n <= races {
				if _, err := repo.Update(ctx, acc.ID, repository.Add("count", 1)); err != nil {
					return err
				}
			}
			acc.Name += "!"
			return nil
		}
	}
	_, err := conditional.Mutate(ctx, repo, a.ID, racing(1), conditional.MaxAttempts(1))
	require.ErrorIs(t, err, repository.ErrVersionConflict, "one attempt, lost")

	var capacity repository.Capacity
	got, err := conditional.Mutate(ctx, repo, a.ID, racing(2),
		conditional.MaxAttempts(3), conditional.Backoff(time.Millisecond, 2*time.Millisecond),
		conditional.WithCallOptions(repository.ReportCapacity(&capacity)))
	require.NoError(t, err, "the third attempt wins")
	require.Equal(t, "m!", got.Name, "fn ran on the current item each time")
	require.Equal(t, 3, got.Count)
	require.Equal(t, "TransactWriteItems", capacity.Operation, "call options reach the write (an idempotent transaction)")
	require.Positive(t, capacity.Units)
}

// Slugged stores its unique slug even when empty (no omitempty).
type Slugged struct {
	ID      string `dynamodbav:"id"`
	Slug    string `dynamodbav:"slug"`
	Version int64  `dynamodbav:"version"`
}

// TestUniqueValueStoredEmpty: an empty unique value is held by no guard,
// and can be set later, by Update or Put.
func TestUniqueValueStoredEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	repo, err := repository.New[Slugged](client, ddbtest.Table(t, client, accountsTable),
		repository.WithKeys("SLUGGED#{id}", "S"), repository.WithVersion("version"), repository.WithUnique("slug"))
	require.NoError(t, err)
	a, b := Slugged{}, Slugged{}
	require.NoError(t, repo.Create(ctx, &a), "Create with an empty slug")
	require.NoError(t, repo.Create(ctx, &b), "a second empty slug is no duplicate")

	got, err := repo.Update(ctx, a.ID, repository.Set("slug", "acme"), repository.IfVersion(a.Version))
	require.NoError(t, err, "Update an empty slug")
	require.Equal(t, "acme", got.Slug)
	b.Slug = "bolt"
	require.NoError(t, repo.Put(ctx, &b), "Put over an empty slug")
	require.ErrorIs(t, repo.Create(ctx, &Slugged{Slug: "acme"}), repository.ErrDuplicate, "the new values are guarded")
}
