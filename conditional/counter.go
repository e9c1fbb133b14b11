package conditional

import (
	"context"

	"github.com/tablestakes/tablestakes/repository"
)

// Increment plans an atomic counter update: it adds delta (negative to
// decrement) to the number attr of the item whose id is id, creating the
// attribute at 0 if absent, without reading the item first (DynamoDB's ADD).
// Counters commute, so no version is expected even on a versioned model,
// whose version still moves. Send it alone with [Add] or inside a [Tx], for
// precomputed aggregates kept in step with the writes that change them
// (principle 4). The item must exist; add [If] conditions through opts.
func Increment[T any](ctx context.Context, repo *repository.Repository[T], id, attr string, delta int64, opts ...repository.CallOption) (*repository.Write, error) {
	return repo.PlanUpdate(ctx, id, repository.Add(attr, delta), opts...)
}

// Add applies an atomic counter update at once and returns the item after it.
// See [Increment].
func Add[T any](ctx context.Context, repo *repository.Repository[T], id, attr string, delta int64, opts ...repository.CallOption) (T, error) {
	return repo.Update(ctx, id, repository.Add(attr, delta), opts...)
}
