package sync

import (
	"context"
	"strings"
	stdsync "sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// DefaultSubscriberConcurrency is how many changes a [Subscriber] applies
// at once unless told otherwise ([WithSubscriberConcurrency]).
const DefaultSubscriberConcurrency = 8

// WithSubscriberConcurrency sets how many changes the subscriber applies at
// once, at most, in each [Subscriber.Receive] loop and in each Lambda event
// ([Subscriber.HandleSQSEvent], [Subscriber.HandleSNSEvent]): n from 1 (one
// at a time) up; below 1 means [DefaultSubscriberConcurrency], the default.
// The changes of one item (one owner table and key) are never applied
// concurrently: they are applied one after another, in the order received,
// whatever n. The handlers must be safe for concurrent use.
//
// A process running k Receive loops on one queue applies up to k×n
// changes at once; each loop holds up to n plus five batches
// ([WithMaxMessages]) of messages received and not yet handled, invisible
// to other consumers until their visibility timeout.
func WithSubscriberConcurrency(n int) SubscriberOption {
	return func(s *Subscriber) { s.concurrency = n }
}

// message is a received message: its body and the topic it came from ("" when
// the transport does not say).
type message struct {
	body, topic string
}

// handleAll handles msgs as [Subscriber] describes and returns each one's
// outcome: errs[i] is msgs[i]'s. Changes of different items are applied
// concurrently, at most s.concurrency at a time; the changes of one item one
// after another, in the order of msgs, less those superseded ([Superseder]).
func (s *Subscriber) handleAll(ctx context.Context, msgs []message) (errs []error) {
	errs = make([]error, len(msgs))
	if len(msgs) == 0 {
		return errs
	}
	ctx, end := startSpan(ctx, s.tracer, spanReceiveBatch, trace.SpanKindConsumer,
		attribute.Int("messaging.batch.message_count", len(msgs)))
	defer func() { end(firstError(errs)) }()

	changes := make([]Change, len(msgs))
	lanes := make(map[string][]int, len(msgs)) // item -> indexes into msgs, in order
	var items []string                         // the items, in order of first message
	for i, m := range msgs {
		c, ok, err := s.accept(ctx, m.body, m.topic)
		if !ok {
			errs[i] = err
			continue
		}
		changes[i] = c
		k := itemOf(c)
		if _, seen := lanes[k]; !seen {
			items = append(items, k)
		}
		lanes[k] = append(lanes[k], i)
	}
	apply := func(lane []int) {
		cs := make([]Change, len(lane))
		for j, i := range lane {
			cs[j] = changes[i]
		}
		host := s.superseding(cs)
		for j, i := range lane {
			if host[j] == j {
				errs[i] = s.applyOne(ctx, changes[i])
			}
		}
		for j, i := range lane {
			if h := host[j]; h != j {
				errs[i] = errs[lane[h]]
				if errs[i] == nil {
					s.superseded.Add(1)
				}
			}
		}
	}
	workers := min(s.workers(), len(items))
	if workers <= 1 {
		for _, k := range items {
			apply(lanes[k])
		}
		return errs
	}
	next := make(chan []int)
	var wg stdsync.WaitGroup
	for range workers {
		wg.Go(func() {
			for lane := range next {
				apply(lane)
			}
		})
	}
	for _, k := range items {
		next <- lanes[k]
	}
	close(next)
	wg.Wait()
	return errs
}

// workers returns how many changes the subscriber applies at once.
func (s *Subscriber) workers() int {
	if s.concurrency < 1 {
		return DefaultSubscriberConcurrency
	}
	return s.concurrency
}

// itemOf names the item c changed, by its table and key attributes: the
// changes of one item are applied one after another.
func itemOf(c Change) string {
	var b strings.Builder
	b.WriteString(c.Table)
	for _, k := range sortedKeys(c.Keys) {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(0)
		switch v := c.Keys[k].(type) {
		case *types.AttributeValueMemberS:
			b.WriteString("S")
			b.WriteString(v.Value)
		case *types.AttributeValueMemberN:
			b.WriteString("N")
			b.WriteString(v.Value)
		case *types.AttributeValueMemberB:
			b.WriteString("B")
			b.Write(v.Value)
		}
	}
	return b.String()
}

// firstError returns the first non-nil error of errs.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
