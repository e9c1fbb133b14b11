package sync_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// warnings returns the log lines at warn level or above.
func (b *logBuffer) warnings() []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	return out
}

// TestStreamReaderFreshShardTrimmed: on DynamoDB Local, an iterator taken
// on a table's empty shard meets TrimmedDataAccessException at the first
// GetRecords after the first write when another table was written
// meanwhile (the shard's first sequence number comes from a counter all
// tables share, and has moved on). Nothing is lost — the reader reads the
// shard from its start — so nothing is logged as lost.
func TestStreamReaderFreshShardTrimmed(t *testing.T) {
	t.Parallel()
	db, table, arn := streamTable(t)
	_, other, _ := streamTable(t)
	var logs logBuffer
	r := tssync.NewStreamReader(ddbtest.Streams(t), arn, tssync.WithPollInterval(20*time.Millisecond), tssync.WithReaderLogger(logs.logger()))
	ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
	defer cancel()
	var got []string
	started := make(chan struct{})
	go func() {
		// The reader takes its iterator on the empty shard first.
		time.Sleep(200 * time.Millisecond)
		close(started)
		_ = putItem(ctx, db, other, "elsewhere", 0)
		for i, pk := range []string{"a", "b"} {
			_ = putItem(ctx, db, table, pk, i)
		}
	}()
	err := r.Read(ctx, func(_ context.Context, cs []tssync.Change) error {
		for _, c := range cs {
			got = append(got, pkOf(c))
		}
		if len(got) >= 2 {
			cancel()
		}
		return nil
	})
	<-started
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, []string{"a", "b"}, got)
	if w := logs.warnings(); len(w) > 0 {
		t.Errorf("warnings %q; want none: nothing was lost", w)
	}
}

// TestStreamReaderWarnsOnLoss: a checkpoint that aged out is a real loss of
// what came between it and the shard's oldest record: that is a warning.
func TestStreamReaderWarnsOnLoss(t *testing.T) {
	t.Parallel()
	f := &fakeStream{shards: []fakeShard{{id: "shard", seqs: []string{"300", "400"}, trimmed: "300"}}}
	cps := &memCheckpoints{saved: map[string]string{"shard": "100"}}
	var logs logBuffer
	r := tssync.NewStreamReader(f, fakeARN, tssync.WithCheckpoints(cps), tssync.WithPollInterval(time.Millisecond), tssync.WithReaderLogger(logs.logger()))
	got, _ := readFor(r, 100*time.Millisecond)
	require.Equal(t, []string{"300", "400"}, got)
	require.Len(t, logs.warnings(), 1, "one warning for the records after 100 that aged out; logs:\n%s", logs.String())
}
