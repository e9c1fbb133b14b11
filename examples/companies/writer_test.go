package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestLockedWriterConcurrent writes to one strings.Builder from many
// goroutines, as the services' loggers and the driver do during Run; under
// -race an unsynchronised writer fails here every run, not one run in five.
func TestLockedWriterConcurrent(t *testing.T) {
	var b strings.Builder
	w := &lockedWriter{w: &b}
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(w, "writer %d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != writers*lines {
		t.Fatalf("lines written = %d; want %d", got, writers*lines)
	}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "writer ") {
			t.Fatalf("interleaved line %q", line)
		}
	}
}
