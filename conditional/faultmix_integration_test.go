package conditional_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/repository"
)

// faultMixRates is the fault mix of the issue this test answers: 8%
// throttling, 4% 500, 4% 503 and 8% lost responses, on every request.
var faultMixRates = map[ddbtest.FaultKind]float64{
	ddbtest.ProvisionedThroughputExceeded: 0.04,
	ddbtest.Throttling:                    0.02,
	ddbtest.RequestLimitExceeded:          0.02,
	ddbtest.InternalServerError:           0.04,
	ddbtest.ServiceUnavailable:            0.04,
	ddbtest.LostResponse:                  0.08,
}

// patientClient is a DynamoDB Local client through f whose retryer tries
// ten times, with short jittered delays and no retry quota, so that a
// fault mix this dense never exhausts it: every failure left is the
// library's.
func patientClient(t *testing.T, f *ddbtest.Faults) *dynamodb.Client {
	return ddbtest.DynamoDBWithFaults(t, f, func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.RateLimiter = ratelimit.None
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				return time.Duration(rand.Int64N(int64(10 * time.Millisecond))), nil
			})
		})
	})
}

// mixState is what a writer expects of one of its items.
type mixState struct {
	email   string
	count   int
	version int64
}

// TestFaultMix runs 1,040 mixed writes — creates with unique values,
// Mutate, counters, versioned updates, puts and deletes, transactions — by
// four writers, each on items of its own, through a seeded mix of
// throttling, 500s, 503s and lost responses. With no true conflict
// possible, every call must succeed once: no spurious ErrAlreadyExists or
// ErrVersionConflict, no double-applied counter or version, every guard
// held by its owner.
func TestFaultMix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const writers, opsEach = 4, 260
	f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) { o.Seed, o.Rates = 20261130, faultMixRates })
	clean := newAccounts(t, ddbtest.DynamoDB(t))
	client := patientClient(t, f)
	repo, err := repository.New[Account](client, clean.Table(), repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"), repository.WithUnique("email"))
	require.NoError(t, err)

	states := make([]map[string]*mixState, writers)
	var wg sync.WaitGroup
	for w := range writers {
		states[w] = map[string]*mixState{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			mine := states[w]
			pick := func() (string, *mixState) {
				for id, s := range mine { // map order is random enough here
					return id, s
				}
				return "", nil
			}
			for i := range opsEach {
				id, s := pick()
				kind := rng.IntN(100)
				if s == nil || len(mine) < 3 && kind >= 15 {
					kind = 0 // keep a few items to write
				}
				op, err := "", error(nil)
				switch {
				case kind < 15:
					op = "Create"
					a := Account{Name: "n", Email: fmt.Sprintf("w%d-%d@example.com", w, i)}
					if err = repo.Create(ctx, &a); err == nil {
						mine[a.ID] = &mixState{email: a.Email, version: 1}
					}
				case kind < 35:
					op = "Mutate"
					runs := 0
					_, err = conditional.Mutate(ctx, repo, id, func(a *Account) error { runs++; a.Count++; return nil })
					if err == nil {
						s.count, s.version = s.count+1, s.version+1
						if runs != 1 {
							t.Errorf("Mutate ran its function %d times without a true conflict", runs)
						}
					}
				case kind < 55:
					op = "Add"
					if _, err = repo.Update(ctx, id, repository.Add("count", 1)); err == nil {
						s.count, s.version = s.count+1, s.version+1
					}
				case kind < 70:
					op = "Update"
					if _, err = repo.Update(ctx, id, repository.Set("name", fmt.Sprint(i)), repository.IfVersion(s.version)); err == nil {
						s.version++
					}
				case kind < 80:
					op = "Put"
					s2 := *s
					if rng.IntN(2) == 0 {
						s2.email = fmt.Sprintf("w%d-%d-moved@example.com", w, i)
					}
					a := Account{ID: id, Name: "put", Email: s2.email, Count: s.count, Version: s.version}
					if err = repo.Put(ctx, &a); err == nil {
						*s = s2
						s.version++
					}
				case kind < 90:
					op = "Delete"
					if err = repo.Delete(ctx, id, repository.IfVersion(s.version)); err == nil {
						delete(mine, id)
					}
				default:
					op = "Tx"
					var other string
					var os *mixState
					for oid, o := range mine {
						if oid != id {
							other, os = oid, o
							break
						}
					}
					var tx repository.Tx
					tx.Include(conditional.Increment(ctx, repo, id, "count", 1))
					tx.Include(conditional.Increment(ctx, repo, other, "count", 1))
					if err = tx.Commit(ctx, client); err == nil {
						s.count, s.version = s.count+1, s.version+1
						os.count, os.version = os.count+1, os.version+1
					}
				}
				if err != nil {
					t.Errorf("writer %d, op %d (%s): %v", w, i, op, err)
					if errors.Is(err, repository.ErrConditionFailed) {
						return // the expectations of this writer are off from here
					}
				}
			}
		}()
	}
	wg.Wait()

	for w, mine := range states {
		for id, s := range mine {
			got := get(t, clean, id)
			if got.Count != s.count || got.Version != s.version || got.Email != s.email {
				t.Errorf("writer %d, item %s: count %d, version %d, email %q; want %d, %d, %q (a write lost or applied twice)",
					w, id, got.Count, got.Version, got.Email, s.count, s.version, s.email)
			}
		}
	}
	checkGuards(t, ddbtest.DynamoDB(t), clean)
	lost := f.Count("", ddbtest.LostResponse)
	t.Logf("%d requests; faults: %d lost responses, %d throttled, %d 500, %d 503", f.Requests(""), lost,
		f.Count("", ddbtest.ProvisionedThroughputExceeded)+f.Count("", ddbtest.Throttling)+f.Count("", ddbtest.RequestLimitExceeded),
		f.Count("", ddbtest.InternalServerError), f.Count("", ddbtest.ServiceUnavailable))
	require.Greater(t, lost, 100, "the mix lost responses")
}
