package ddbtest

import (
	"context"
	"crypto/rand"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Spans is a trace.TracerProvider that records every span started through
// it, for tests that check what a service traces: pass it to
// repository.WithTracerProvider and the sync package's tracer options, run
// the code, read [Spans.Named] and [Spans.Children]. It is written against
// the OpenTelemetry API alone, so it brings no SDK into the module graph.
// The zero Spans is ready to use; it is safe for concurrent use.
type Spans struct {
	embedded.TracerProvider
	mu    sync.Mutex
	spans []*recording
}

// Span is a snapshot of one recorded span.
type Span struct {
	Name       string
	ID, Parent trace.SpanID // Parent is zero for a root span
	Attributes []attribute.KeyValue
	Events     []string // the events' names, in order
	Status     codes.Code
	Ended      bool
}

// Attr returns the value of the attribute key as a string ("" when the span
// has none): a string as it is, a slice as JSON, a number in decimal.
func (s Span) Attr(key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// Tracer returns a tracer that records into s.
func (s *Spans) Tracer(string, ...trace.TracerOption) trace.Tracer { return spansTracer{s: s} }

// All returns every span recorded, in start order.
func (s *Spans) All() []Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Span, len(s.spans))
	for i, r := range s.spans {
		out[i] = r.snapshot()
	}
	return out
}

// Named returns the spans called name, in start order.
func (s *Spans) Named(name string) []Span {
	var out []Span
	for _, sp := range s.All() {
		if sp.Name == name {
			out = append(out, sp)
		}
	}
	return out
}

// Children returns the spans whose parent is parent, in start order.
func (s *Spans) Children(parent Span) []Span {
	var out []Span
	for _, sp := range s.All() {
		if sp.Parent == parent.ID {
			out = append(out, sp)
		}
	}
	return out
}

// Len returns the number of spans recorded.
func (s *Spans) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spans)
}

type spansTracer struct {
	embedded.Tracer
	s *Spans
}

// Start starts a recording span under the span in ctx, if any.
func (t spansTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	parent := trace.SpanContextFromContext(ctx)
	if parent.IsValid() {
		tid = parent.TraceID()
	}
	r := &recording{s: t.s, span: Span{Name: name, ID: sid, Parent: parent.SpanID(), Attributes: cfg.Attributes()},
		sc: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})}
	t.s.mu.Lock()
	t.s.spans = append(t.s.spans, r)
	t.s.mu.Unlock()
	return trace.ContextWithSpan(ctx, r), r
}

// recording is a span being recorded; its fields are guarded by s.mu.
type recording struct {
	embedded.Span
	s    *Spans
	span Span
	sc   trace.SpanContext
}

func (r *recording) snapshot() Span {
	sp := r.span
	sp.Attributes = append([]attribute.KeyValue(nil), sp.Attributes...)
	sp.Events = append([]string(nil), sp.Events...)
	return sp
}

func (r *recording) update(fn func(*Span)) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	fn(&r.span)
}

func (r *recording) End(...trace.SpanEndOption) { r.update(func(s *Span) { s.Ended = true }) }
func (r *recording) AddEvent(name string, _ ...trace.EventOption) {
	r.update(func(s *Span) { s.Events = append(s.Events, name) })
}
func (r *recording) AddLink(trace.Link)                      {}
func (r *recording) IsRecording() bool                       { return true }
func (r *recording) RecordError(error, ...trace.EventOption) {}
func (r *recording) SpanContext() trace.SpanContext          { return r.sc }
func (r *recording) SetStatus(c codes.Code, _ string)        { r.update(func(s *Span) { s.Status = c }) }
func (r *recording) SetName(name string)                     { r.update(func(s *Span) { s.Name = name }) }
func (r *recording) SetAttributes(kv ...attribute.KeyValue) {
	r.update(func(s *Span) { s.Attributes = append(s.Attributes, kv...) })
}
func (r *recording) TracerProvider() trace.TracerProvider { return r.s }
