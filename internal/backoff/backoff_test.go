package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDelayWithinWindow(t *testing.T) {
	tests := []struct {
		attempt   int
		base, max time.Duration
		window    time.Duration
	}{
		{1, 10 * time.Millisecond, time.Second, 10 * time.Millisecond},
		{2, 10 * time.Millisecond, time.Second, 20 * time.Millisecond},
		{4, 10 * time.Millisecond, time.Second, 80 * time.Millisecond},
		{20, 10 * time.Millisecond, time.Second, time.Second},
		{1000, 10 * time.Millisecond, time.Second, time.Second},
		{0, 10 * time.Millisecond, time.Second, 10 * time.Millisecond},
		{3, 0, 0, 0},
	}
	for _, tt := range tests {
		for range 200 {
			if d := Delay(tt.attempt, tt.base, tt.max); d < 0 || d > tt.window {
				t.Fatalf("Delay(%d, %v, %v) = %v; want within [0, %v]", tt.attempt, tt.base, tt.max, d, tt.window)
			}
		}
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, 10, time.Hour, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on a canceled context = %v; want context.Canceled", err)
	}
}
