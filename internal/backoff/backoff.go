// Package backoff waits between retries: exponential backoff with full
// jitter, as AWS recommends for contended writes and throttled batches.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Delay returns a random delay for retry number attempt (1, 2, ...): uniform
// in [0, window], where the window starts at base and doubles per attempt,
// capped at limit.
func Delay(attempt int, base, limit time.Duration) time.Duration {
	window := base << min(max(attempt-1, 0), 30)
	if window > limit || window <= 0 {
		window = limit
	}
	if window <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(window) + 1))
}

// Sleep waits [Delay](attempt, base, limit), or until ctx ends, returning
// ctx's error then.
func Sleep(ctx context.Context, attempt int, base, limit time.Duration) error {
	t := time.NewTimer(Delay(attempt, base, limit))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
