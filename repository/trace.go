package repository

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracerName is the instrumentation scope of the repository's spans.
const tracerName = "github.com/tablestakes/tablestakes/repository"

// WithTracerProvider records a span for each repository call — Get, Create,
// Put, Update, Delete, each page of Query, Page and Scan, BatchGet, batch
// writes, transactions — through the OpenTelemetry API, with DynamoDB's
// semantic-convention attributes (db.system.name "aws.dynamodb",
// aws.dynamodb.table_names, aws.dynamodb.index_name,
// aws.dynamodb.consistent_read) and the entity type
// (tablestakes.entity_type). A transaction's attempts and a write sent as
// one are events on its span; a failed call sets the span's status to
// Error. Default: nothing is recorded, at no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(s *settings) { s.tracerProvider = tp }
}

// Tracer returns the tracer the repository records its spans with: a
// no-op tracer unless the repository was built [WithTracerProvider]. Code
// that composes repository calls, such as conditional.Mutate, records its
// own span with it, so that the calls' spans nest under it.
func (r *Repository[T]) Tracer() trace.Tracer {
	if r.tracer == nil {
		return noop.NewTracerProvider().Tracer(tracerName)
	}
	return r.tracer
}

// initTracer sets the tracer at New.
func (r *Repository[T]) initTracer() {
	if r.s.tracerProvider != nil {
		r.tracer = r.s.tracerProvider.Tracer(tracerName)
		r.spanAttrs = []attribute.KeyValue{
			attribute.String("db.system.name", "aws.dynamodb"),
			attribute.StringSlice("aws.dynamodb.table_names", []string{r.table.Name}),
			attribute.String("tablestakes.entity_type", r.entityType),
		}
	}
}

// start starts the span of a repository call named op ("repository.Put");
// end ends it, recording err. Without a tracer both cost nothing.
func (r *Repository[T]) start(ctx context.Context, op string, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	if r.tracer == nil {
		return ctx, func(error) {}
	}
	ctx, span := r.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(r.spanAttrs...), trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, errorKind(err))
		}
		span.End()
	}
}

// errorKind names an error by the sentinel it matches, for span statuses:
// short, and free of keys and table names.
func errorKind(err error) string {
	for _, s := range []error{ErrVersionConflict, ErrAlreadyExists, ErrNotFound, ErrDuplicate, ErrConditionFailed,
		ErrTransactionConflict, ErrThrottled, ErrInvalidID, ErrInvalidValue, ErrItemTooLarge, ErrUnprocessed} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "error"
}

// event adds an event to the span in ctx, if one records.
func event(ctx context.Context, name string, attrs ...attribute.KeyValue) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(name, trace.WithAttributes(attrs...))
	}
}
