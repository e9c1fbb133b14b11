package sync

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the sync path's spans.
const tracerName = "github.com/tablestakes/tablestakes/sync"

// Span names, one per unit of work on the sync path.
const (
	spanStreamBatch  = "sync.StreamReader.batch"     // a batch of records read from a shard and handed over
	spanPublishBatch = "sync.Publisher.PublishBatch" // one PublishBatch request, with its retries
	spanReceiveBatch = "sync.Subscriber.batch"       // a batch of received messages, applied
	spanApply        = "sync.Subscriber.Apply"       // one change applied by the handlers
)

// WithPublisherTracerProvider makes the publisher record a span
// ("sync.Publisher.PublishBatch") for each PublishBatch request, its
// retries included, through the OpenTelemetry API: the topic
// (messaging.destination.name), messaging.system "aws_sns" and the number
// of messages (messaging.batch.message_count); a retry is an event on it,
// and a batch not published sets its status to Error. Default: nothing is
// recorded, at no cost.
func WithPublisherTracerProvider(tp trace.TracerProvider) PublisherOption {
	return func(p *Publisher) { p.tracer = tracerOf(tp) }
}

// WithReaderTracerProvider makes the reader record a span
// ("sync.StreamReader.batch") for each batch of records it reads from a
// shard and hands over, through the OpenTelemetry API: the stream
// (aws.dynamodb.stream_arn), the shard (tablestakes.shard_id) and the number
// of records (tablestakes.records). The handler runs under it, so a
// [Publisher]'s spans nest in it. A batch the handler fails sets its
// status to Error. Default: nothing is recorded, at no cost.
func WithReaderTracerProvider(tp trace.TracerProvider) ReaderOption {
	return func(r *StreamReader) { r.tracer = tracerOf(tp) }
}

// WithSubscriberTracerProvider makes the subscriber record spans through
// the OpenTelemetry API: one ("sync.Subscriber.batch") for each batch of
// messages received or handed over by Lambda, with the number of messages
// (messaging.batch.message_count), and under it one
// ("sync.Subscriber.Apply") for each change the handlers apply, with its
// table (aws.dynamodb.table_names), event (tablestakes.event) and event id
// (tablestakes.event_id). A handler's repository calls nest in the apply
// span when its repository records spans too (repository.WithTracerProvider).
// A change not applied sets its span's status to Error. Default: nothing
// is recorded, at no cost.
func WithSubscriberTracerProvider(tp trace.TracerProvider) SubscriberOption {
	return func(s *Subscriber) { s.tracer = tracerOf(tp) }
}

// tracerOf returns tp's tracer for the sync path, or nil for none.
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return nil
	}
	return tp.Tracer(tracerName)
}

// startSpan starts a span named name under ctx's, when tracer is set; end
// ends it, recording err. Without a tracer both cost nothing.
func startSpan(ctx context.Context, tracer trace.Tracer, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	if tracer == nil {
		return ctx, func(error) {}
	}
	ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
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
	for _, s := range []error{ErrNotAChange, ErrMessageTooLarge, ErrUnpublished, ErrNoSourceID, ErrTombstoneTable, ErrClaim, ErrRecord,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "error"
}

// spanEvent adds an event to the span in ctx, if one records.
func spanEvent(ctx context.Context, name string, attrs ...attribute.KeyValue) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(name, trace.WithAttributes(attrs...))
	}
}
