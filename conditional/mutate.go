package conditional

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/internal/backoff"
	"github.com/tablestakes/tablestakes/repository"
)

// MutateOption adjusts [Mutate].
type MutateOption func(*mutateSettings)

type mutateSettings struct {
	attempts  int
	base, max time.Duration
	call      []repository.CallOption
}

// MaxAttempts bounds how many times [Mutate] applies its function and
// writes. Default 50: enough for a handful of writers contending for one
// item (8 goroutines incrementing one counter need up to about 16 attempts
// for some calls on a loaded machine), while a call that keeps losing still
// ends within seconds.
func MaxAttempts(n int) MutateOption { return func(s *mutateSettings) { s.attempts = n } }

// Backoff sets the retry delay after a conflict: full jitter over a window
// that starts at base and doubles up to max. Default 5ms and 500ms.
func Backoff(base, max time.Duration) MutateOption {
	return func(s *mutateSettings) { s.base, s.max = base, max }
}

// WithCallOptions passes options to the read and the write, such as
// [repository.SDKOptions] or [repository.ReportCapacity].
func WithCallOptions(opts ...repository.CallOption) MutateOption {
	return func(s *mutateSettings) { s.call = append(s.call, opts...) }
}

// Mutate reads the item whose id is id (strongly consistent), applies fn to
// it and writes it back under an optimistic lock: the write succeeds only if
// nobody wrote the item in between. On a first version conflict it applies
// fn again at once to the current item, which the failed write returned (no
// extra read); on later ones it waits ([Backoff]) and reads the item again,
// so that fn never works on state older than the wait. After [MaxAttempts]
// it returns the last conflict. The repository must be versioned
// ([repository.WithVersion]).
//
// fn runs once per attempt, on a fresh copy of the item, and must only
// change the item it is given. A write that DynamoDB applied but whose
// response was lost is not attempted again: the repository sends it as an
// idempotent transaction, and the SDK's resend is answered with success
// (see [repository.WithRetryUnsafeWrites]), so fn's change lands once. An
// error from fn aborts Mutate without writing and is returned as is.
//
// It returns the item as written, [repository.ErrNotFound] when there is
// none, [repository.ErrVersionRequired] for an unversioned repository, and
// [repository.ErrVersionConflict] (in a [*repository.ConditionError]) when every
// attempt lost the race.
func Mutate[T any](ctx context.Context, repo *repository.Repository[T], id string, fn func(*T) error, opts ...MutateOption) (_ T, err error) {
	var zero T
	if repo == nil {
		return zero, errors.New("conditional: Mutate needs a repository")
	}
	// One span for the whole read-modify-write, the repository's calls
	// under it, and an event per conflict it retried.
	ctx, span := repo.Tracer().Start(ctx, "conditional.Mutate", trace.WithSpanKind(trace.SpanKindClient))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	s := mutateSettings{attempts: 50, base: 5 * time.Millisecond, max: 500 * time.Millisecond}
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if fn == nil {
		return zero, errors.New("conditional: Mutate needs a function")
	}
	if !repo.Versioned() {
		return zero, fmt.Errorf("%w: conditional: Mutate needs a repository built WithVersion", repository.ErrVersionRequired)
	}
	item, err := repo.Get(ctx, id, append(s.call, repository.ConsistentRead())...)
	if err != nil {
		return zero, err
	}
	for attempt := 1; ; attempt++ {
		if err := fn(&item); err != nil {
			return zero, err
		}
		err := repo.Put(ctx, &item, s.call...)
		if err == nil {
			return item, nil
		}
		var ce *repository.ConditionError
		if !errors.Is(err, repository.ErrVersionConflict) || !errors.As(err, &ce) || ce.Item == nil || attempt >= max(s.attempts, 1) {
			return zero, err
		}
		span.AddEvent("version conflict: retry", trace.WithAttributes(attribute.Int("attempt", attempt)))
		if attempt == 1 {
			// The item as the failed write found it: current, so retry at once.
			if item, err = repo.Decode(ce.Item); err != nil {
				return zero, err
			}
			continue
		}
		if err := backoff.Sleep(ctx, attempt-1, s.base, s.max); err != nil {
			return zero, fmt.Errorf("conditional: mutate: %w", err)
		}
		// Others wrote during the wait: start again from the item as it is now.
		if item, err = repo.Get(ctx, id, append(s.call, repository.ConsistentRead())...); err != nil {
			return zero, err
		}
	}
}
