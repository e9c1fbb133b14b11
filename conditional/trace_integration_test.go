package conditional_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/repository"
)

// recorder is a TracerProvider that keeps every span it starts, written
// against the OpenTelemetry API alone (the library's graph holds no SDK).
type recorder struct {
	embedded.TracerProvider
	mu    sync.Mutex
	spans []*recordedSpan
}

type recordedSpan struct {
	embedded.Span
	rec    *recorder
	name   string
	parent trace.SpanID
	sc     trace.SpanContext
	attrs  []attribute.KeyValue
	events []string
	status codes.Code
	ended  bool
}

type recordingTracer struct {
	embedded.Tracer
	rec *recorder
}

func (r *recorder) Tracer(string, ...trace.TracerOption) trace.Tracer { return recordingTracer{rec: r} }

func (t recordingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	parent := trace.SpanContextFromContext(ctx)
	if parent.IsValid() {
		tid = parent.TraceID()
	}
	s := &recordedSpan{rec: t.rec, name: name, parent: parent.SpanID(), attrs: cfg.Attributes(),
		sc: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})}
	t.rec.mu.Lock()
	t.rec.spans = append(t.rec.spans, s)
	t.rec.mu.Unlock()
	return trace.ContextWithSpan(ctx, s), s
}

func (s *recordedSpan) End(...trace.SpanEndOption) {
	s.rec.mu.Lock()
	s.ended = true
	s.rec.mu.Unlock()
}
func (s *recordedSpan) AddEvent(name string, _ ...trace.EventOption) {
	s.rec.mu.Lock()
	s.events = append(s.events, name)
	s.rec.mu.Unlock()
}
func (s *recordedSpan) AddLink(trace.Link)                      {}
func (s *recordedSpan) IsRecording() bool                       { return true }
func (s *recordedSpan) RecordError(error, ...trace.EventOption) {}
func (s *recordedSpan) SpanContext() trace.SpanContext          { return s.sc }
func (s *recordedSpan) SetStatus(c codes.Code, _ string) {
	s.rec.mu.Lock()
	s.status = c
	s.rec.mu.Unlock()
}
func (s *recordedSpan) SetName(name string)                    { s.name = name }
func (s *recordedSpan) SetAttributes(kv ...attribute.KeyValue) { s.attrs = append(s.attrs, kv...) }
func (s *recordedSpan) TracerProvider() trace.TracerProvider   { return s.rec }

// named returns the spans called name, in start order.
func (r *recorder) named(name string) []*recordedSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*recordedSpan
	for _, s := range r.spans {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(s *recordedSpan, key string) string {
	for _, kv := range s.attrs {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// TestSpans reads the spans of a Create with a unique attribute (sent as a
// transaction with its guard) and of a Mutate that retried a conflict.
func TestSpans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &recorder{}
	repo := newAccounts(t, ddbtest.DynamoDB(t), repository.WithTracerProvider(rec))

	a := Account{Name: "traced", Email: "traced@example.com"}
	require.NoError(t, repo.Create(ctx, &a))
	creates := rec.named("repository.Create")
	require.Len(t, creates, 1)
	c := creates[0]
	require.True(t, c.ended)
	require.Equal(t, codes.Unset, c.status)
	require.Equal(t, "aws.dynamodb", attr(c, "db.system.name"))
	require.Contains(t, attr(c, "aws.dynamodb.table_names"), repo.Table().Name)
	require.Equal(t, "Account", attr(c, "tablestakes.entity_type"))
	require.Contains(t, c.events, "TransactWriteItems", "the item and its guard went in one transaction")

	// A Mutate whose first write loses to a concurrent counter: its span
	// holds the conflict, and the reads and writes nest under it.
	races := 0
	_, err := conditional.Mutate(ctx, repo, a.ID, func(acc *Account) error {
		if races++; races == 1 {
			if _, err := repo.Update(ctx, acc.ID, repository.Add("count", 1)); err != nil {
				return err
			}
		}
		acc.Name = "mutated"
		return nil
	})
	require.NoError(t, err)
	mutates := rec.named("conditional.Mutate")
	require.Len(t, mutates, 1)
	m := mutates[0]
	require.True(t, m.ended)
	require.Equal(t, []string{"version conflict: retry"}, m.events)
	var children []string
	for _, s := range rec.spans {
		if s.parent == m.sc.SpanID() {
			children = append(children, s.name)
		}
	}
	require.Equal(t, []string{"repository.Get", "repository.Put", "repository.Put"}, children)
	puts := rec.named("repository.Put")
	require.Equal(t, codes.Error, puts[0].status, "the lost race")
	require.Equal(t, codes.Unset, puts[len(puts)-1].status)

	// Without a provider nothing is recorded.
	quiet := newAccounts(t, ddbtest.DynamoDB(t))
	n := len(rec.spans)
	require.NoError(t, quiet.Create(ctx, &Account{Name: "quiet"}))
	require.Equal(t, n, len(rec.spans))
}
