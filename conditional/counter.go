package conditional

import (
	"context"

	"github.com/tablestakes/tablestakes/repository"
)

// Increment plans an atomic counter update: it adds delta (negative to
// decrement) to the number attr of the item whose id is id, creating the
// attribute at 0 if absent, without reading the item first (DynamoDB's ADD).
// Counters commute, so no version is expected even on a versioned model,
// whose version still moves. Include it in a [repository.Tx], for
// precomputed aggregates kept in step with the writes that change them
// (principle 4); alone, it is repo.Update(ctx, id, repository.Add(attr,
// delta)). The item must exist; add [repository.If] conditions through
// opts. Sent alone or in a transaction, it is applied once however often
// the SDK resends it.
func Increment[T any](ctx context.Context, repo *repository.Repository[T], id, attr string, delta int64, opts ...repository.CallOption) (*repository.Write, error) {
	return repo.PlanUpdate(ctx, id, repository.Add(attr, delta), opts...)
}
