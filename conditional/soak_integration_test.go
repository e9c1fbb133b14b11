package conditional_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/repository"
)

// EnvSoak sets how long TestContentionSoak runs, as a Go duration
// ("60s"); the default suite runs it for a few seconds.
const EnvSoak = "TABLESTAKES_SOAK"

// TestContentionSoak has six writers contend on a small key space, through
// 3% lost responses, until the soak time is up: Mutate, counters and
// transactions on three counters; creates, moves and deletes of six
// accounts sharing five unique emails, each create and delete counted in a
// statistics item in the same transaction. At the end every invariant
// holds: each counter equals its successful increments and its version
// moved once per successful write (none skipped, none doubled); the live
// count equals the live accounts; every live account holds the guard of
// its email and every guard is held by its owner.
//
//	TABLESTAKES_SOAK=60s go test -run TestContentionSoak -v ./conditional/
func TestContentionSoak(t *testing.T) {
	t.Parallel()
	soak := 3 * time.Second
	if v := os.Getenv(EnvSoak); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, EnvSoak)
		soak = d
	}
	ctx := context.Background()
	f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) {
		o.Seed, o.Rates = time.Now().UnixNano(), map[ddbtest.FaultKind]float64{ddbtest.LostResponse: 0.03}
	})
	clean := newAccounts(t, ddbtest.DynamoDB(t))
	client := patientClient(t, f)
	repo, err := repository.New[Account](client, clean.Table(), repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"), repository.WithUnique("email"))
	require.NoError(t, err)
	stats := newStats(t, client, clean)

	counters := make([]string, 3)
	for i := range counters {
		c := Account{Name: "counter"}
		require.NoError(t, clean.Create(ctx, &c))
		counters[i] = c.ID
	}
	live := Stats{}
	require.NoError(t, stats.Create(ctx, &live))
	accounts := make([]string, 6)
	for i := range accounts {
		accounts[i] = uuid.NewString() // a fresh key space each run
	}
	emails := []string{"a@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example"}

	var (
		counts, writes [3]atomic.Int64
		ops            sync.Map // op name → *atomic.Int64 of successes
	)
	success := func(op string) {
		n, _ := ops.LoadOrStore(op, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	// true failures: the race was really lost, or the value really taken.
	trueFailure := func(err error) bool {
		for _, target := range []error{repository.ErrVersionConflict, repository.ErrAlreadyExists, repository.ErrNotFound,
			repository.ErrDuplicate, repository.ErrConditionFailed, repository.ErrTransactionConflict} {
			if errors.Is(err, target) {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(soak)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for time.Now().Before(deadline) {
				k, j := rng.IntN(3), rng.IntN(3)
				id := accounts[rng.IntN(len(accounts))]
				email := emails[rng.IntN(len(emails))]
				var err error
				op := ""
				switch rng.IntN(6) {
				case 0:
					op = "Mutate"
					if _, err = conditional.Mutate(ctx, repo, counters[k], func(a *Account) error { a.Count++; return nil }); err == nil {
						counts[k].Add(1)
						writes[k].Add(1)
					}
				case 1:
					op = "Add"
					if _, err = repo.Update(ctx, counters[k], repository.Add("count", 1)); err == nil {
						counts[k].Add(1)
						writes[k].Add(1)
					}
				case 2:
					op = "Tx increments"
					if j == k {
						j = (k + 1) % 3
					}
					var tx repository.Tx
					tx.Include(conditional.Increment(ctx, repo, counters[k], "count", 1))
					tx.Include(conditional.Increment(ctx, repo, counters[j], "count", 1))
					if err = tx.Commit(ctx, client); err == nil {
						for _, c := range []int{k, j} {
							counts[c].Add(1)
							writes[c].Add(1)
						}
					}
				case 3:
					op = "Create"
					var tx repository.Tx
					tx.Include(repo.PlanCreate(ctx, &Account{ID: id, Name: "acct", Email: email}))
					tx.Include(conditional.Increment(ctx, stats, live.ID, "companies", 1))
					err = tx.Commit(ctx, client)
				case 4:
					op = "Move"
					_, err = conditional.Mutate(ctx, repo, id, func(a *Account) error { a.Email = email; return nil })
				case 5:
					op = "Delete"
					var a Account
					if a, err = repo.Get(ctx, id, repository.ConsistentRead()); err == nil {
						var tx repository.Tx
						tx.Include(repo.PlanDelete(ctx, id, repository.IfVersion(a.Version), repository.If(conditional.Exists("id"))))
						tx.Include(conditional.Increment(ctx, stats, live.ID, "companies", -1))
						err = tx.Commit(ctx, client)
					}
				}
				switch {
				case err == nil:
					success(op)
				case !trueFailure(err):
					t.Errorf("%s: %v", op, err)
				}
			}
		}()
	}
	wg.Wait()

	for k, id := range counters {
		got := get(t, clean, id)
		if int64(got.Count) != counts[k].Load() || got.Version != 1+writes[k].Load() {
			t.Errorf("counter %d: count %d, version %d; want %d and %d", k, got.Count, got.Version, counts[k].Load(), 1+writes[k].Load())
		}
	}
	n := 0
	for _, id := range accounts {
		if _, err := clean.Get(ctx, id, repository.ConsistentRead()); err == nil {
			n++
		}
	}
	gotLive, err := stats.Get(ctx, live.ID, repository.ConsistentRead())
	require.NoError(t, err)
	if gotLive.Companies != n {
		t.Errorf("live count %d; want %d live accounts", gotLive.Companies, n)
	}
	checkGuards(t, ddbtest.DynamoDB(t), clean)
	summary := ""
	ops.Range(func(k, v any) bool {
		summary += fmt.Sprintf(" %s=%d", k, v.(*atomic.Int64).Load())
		return true
	})
	t.Logf("soak %v: successes:%s; counters %d %d %d; %d live accounts; %d requests, %d lost responses",
		soak, summary, counts[0].Load(), counts[1].Load(), counts[2].Load(), n, f.Requests(""), f.Count("", ddbtest.LostResponse))
	require.Positive(t, f.Count("", ddbtest.LostResponse), "responses were lost")
}
