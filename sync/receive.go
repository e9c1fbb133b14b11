package sync

import (
	"context"
	"strconv"
	stdsync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// receiveAhead is how many batches Receive holds beyond its concurrency.
const receiveAhead = 5

// ReceiveOption configures [Subscriber.Receive].
type ReceiveOption func(*receive)

type receive struct {
	wait int32
	max  int32
}

// WithWaitTime sets the long-poll wait of each ReceiveMessage call, in
// whole seconds from 0 to 20 (default 20, the most SQS allows). A shorter
// wait makes Receive notice a canceled context sooner; with 0 (short
// polling) Receive pauses a second after an empty answer.
func WithWaitTime(d time.Duration) ReceiveOption {
	return func(r *receive) { r.wait = int32(min(max(d.Round(time.Second)/time.Second, 0), 20)) }
}

// WithMaxMessages sets how many messages one ReceiveMessage call may return
// (1 to 10, default 10).
func WithMaxMessages(n int32) ReceiveOption { return func(r *receive) { r.max = n } }

// Receive long-polls the SQS queue queueURL, handles each message as
// [Subscriber] describes and deletes the messages applied, skipped or
// superseded, until ctx is done; it then returns ctx's error.
//
// It applies up to [WithSubscriberConcurrency] changes at once, of
// different items: the changes of one item (one owner table and key) are
// applied one after another, in the order received, across batches too;
// when the handlers are [Superseder]s, of the changes of an item that
// arrived while its previous one was applied, only those no later one
// supersedes.
// It receives ahead while it applies, so that no change waits for a slow
// one of another item, and so that when it falls behind, the changes of an
// item wait in hand, where the latest supersedes the others, rather than
// in the queue: at most the concurrency plus five batches
// ([WithMaxMessages]) of messages — 58 by default — are received and not
// yet handled at any time. They stay invisible to other consumers
// meanwhile, so keep the queue's visibility timeout well above the time
// that many changes take to apply. A message is deleted only after it was
// applied or skipped, or superseded by a change applied ([Superseder]);
// DeleteMessageBatch requests gather up to ten of them. A message that
// fails is left on the queue, to be delivered again after its visibility
// timeout (and, past the queue's maxReceiveCount, moved to its dead-letter
// queue): nothing is lost. So are the messages received and not yet
// applied when ctx ends. SQS errors are retried with backoff.
func (s *Subscriber) Receive(ctx context.Context, client SQSClient, queueURL string, opts ...ReceiveOption) error {
	cfg := receive{wait: 20, max: 10}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.max = min(max(cfg.max, 1), 10)
	workers := s.workers()
	p := &pipeline{
		s: s, client: client, queue: queueURL, cfg: cfg,
		limit: workers + receiveAhead*int(cfg.max),
		lanes: map[string]*lane{},
	}
	p.freed = make(chan struct{}, 1)
	p.ready = make(chan *lane, p.limit)
	p.deletes = make(chan sqstypes.DeleteMessageBatchRequestEntry, p.limit)

	batches := make(chan []sqstypes.Message)
	received := make(chan error, 1)
	go func() {
		defer close(batches)
		received <- p.receive(ctx, batches)
	}()
	var work stdsync.WaitGroup
	for range workers {
		work.Go(func() { p.work(ctx) })
	}
	var deleter stdsync.WaitGroup
	deleter.Go(func() { p.deleteAll(ctx) })

	for msgs := range batches {
		p.dispatch(ctx, msgs)
	}
	p.pending.Wait() // every message received is handled: applied, or failed with ctx
	close(p.ready)
	work.Wait()
	close(p.deletes)
	deleter.Wait()
	return <-received
}

// pipeline is one [Subscriber.Receive] run: a receiver that fetches
// messages while at most limit are in hand, a dispatcher that queues each
// change on its item's lane, workers that apply the lanes' changes, and a
// deleter that deletes the messages handled.
type pipeline struct {
	s      *Subscriber
	client SQSClient
	queue  string
	cfg    receive
	limit  int // messages received and not yet handled, at most

	mu       stdsync.Mutex
	inFlight int              // messages received and not yet handled
	lanes    map[string]*lane // items with changes queued or being applied
	freed    chan struct{}    // signaled when inFlight drops
	pending  stdsync.WaitGroup
	ready    chan *lane // lanes to apply, each on one worker at a time
	deletes  chan sqstypes.DeleteMessageBatchRequestEntry
	nextID   int
}

// lane holds one item's changes not yet applied, in the order received.
type lane struct {
	key   string
	queue []queued
}

// queued is a received change waiting on its lane.
type queued struct {
	c     Change
	m     sqstypes.Message
	batch *batch
}

// batch is a ReceiveMessage answer being handled: its span ends when its
// last message is.
type batch struct {
	ctx  context.Context
	end  func(error)
	mu   stdsync.Mutex
	left int
	err  error
}

// receive receives batches while fewer than limit messages are in hand,
// and sends them on batches, until ctx is done; it returns ctx's error.
func (p *pipeline) receive(ctx context.Context, batches chan<- []sqstypes.Message) error {
	failures := 0
	for {
		free := p.free()
		for free == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-p.freed:
			}
			free = p.free()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := p.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(p.queue), MaxNumberOfMessages: int32(min(free, int(p.cfg.max))), WaitTimeSeconds: p.cfg.wait,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures++
			p.s.logger().WarnContext(ctx, "sync: receive failed", "queue", p.queue, "error", err)
			if err := backoff.Sleep(ctx, failures, 100*time.Millisecond, 10*time.Second); err != nil {
				return err
			}
			continue
		}
		failures = 0
		if len(out.Messages) == 0 {
			if p.cfg.wait == 0 {
				// Short polling: pause, rather than ask again at once.
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Second):
				}
			}
			continue
		}
		p.mu.Lock()
		p.inFlight += len(out.Messages)
		p.mu.Unlock()
		p.pending.Add(len(out.Messages))
		batches <- out.Messages // the dispatcher reads until batches is closed
	}
}

// free returns how many more messages may be received.
func (p *pipeline) free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.limit-p.inFlight, 0)
}

// dispatch parses msgs and queues their changes on their items' lanes; a
// message that is no change to apply is handled at once.
func (p *pipeline) dispatch(ctx context.Context, msgs []sqstypes.Message) {
	bctx, end := startSpan(ctx, p.s.tracer, spanReceiveBatch, trace.SpanKindConsumer,
		attribute.Int("messaging.batch.message_count", len(msgs)))
	b := &batch{ctx: bctx, end: end, left: len(msgs)}
	for _, m := range msgs {
		c, ok, err := p.s.accept(bctx, aws.ToString(m.Body), "")
		if !ok {
			p.done(bctx, queued{m: m, batch: b}, err)
			continue
		}
		k := itemOf(c)
		p.mu.Lock()
		l, busy := p.lanes[k]
		if !busy {
			l = &lane{key: k}
			p.lanes[k] = l
		}
		l.queue = append(l.queue, queued{c: c, m: m, batch: b})
		p.mu.Unlock()
		if !busy {
			p.ready <- l // never blocks: fewer lanes than limit
		}
	}
}

// work applies the changes of the lanes it takes, one lane at a time,
// until the lanes are closed.
func (p *pipeline) work(ctx context.Context) {
	for l := range p.ready {
		for {
			p.mu.Lock()
			if len(l.queue) == 0 {
				delete(p.lanes, l.key)
				p.mu.Unlock()
				break
			}
			qs := l.queue // all of the item's changes in hand, applied as one run
			l.queue = nil
			p.mu.Unlock()
			p.applyRun(ctx, qs)
		}
	}
}

// applyRun applies qs, changes of one item in the order received, less
// those superseded ([Superseder]); a superseded change's message is handled
// with the outcome of the change that superseded it.
func (p *pipeline) applyRun(ctx context.Context, qs []queued) {
	cs := make([]Change, len(qs))
	for i, q := range qs {
		cs[i] = q.c
	}
	host := p.s.superseding(cs)
	for i, q := range qs {
		if host[i] != i {
			continue
		}
		err := ctx.Err() // once ctx is done: received, not applied, delivered again
		if err == nil {
			err = p.s.applyOne(q.batch.ctx, q.c)
		}
		p.done(q.batch.ctx, q, err)
		for j, r := range qs {
			if j != i && host[j] == i {
				if err == nil {
					p.s.superseded.Add(1)
				}
				p.done(r.batch.ctx, r, err)
			}
		}
	}
}

// done records that q's message was handled with err: deleted when err
// is nil, else left to be delivered again.
func (p *pipeline) done(ctx context.Context, q queued, err error) {
	switch {
	case err != nil && ctx.Err() != nil:
		p.s.logger().DebugContext(ctx, "sync: message not applied before the end; it will be delivered again",
			"messageId", aws.ToString(q.m.MessageId), "error", err)
	case err != nil:
		p.s.logger().ErrorContext(ctx, "sync: message not applied; it will be delivered again",
			"messageId", aws.ToString(q.m.MessageId), "error", err)
	default:
		p.mu.Lock()
		p.nextID++
		id := strconv.Itoa(p.nextID)
		p.mu.Unlock()
		p.deletes <- sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(id), ReceiptHandle: q.m.ReceiptHandle}
	}
	b := q.batch
	b.mu.Lock()
	b.left--
	if err != nil && b.err == nil {
		b.err = err
	}
	last := b.left == 0
	b.mu.Unlock()
	if last {
		b.end(b.err)
	}
	p.mu.Lock()
	p.inFlight--
	p.mu.Unlock()
	select {
	case p.freed <- struct{}{}:
	default:
	}
	p.pending.Done()
}

// deleteAll deletes the messages handled, up to ten per request: whatever
// has gathered when the last request returns.
func (p *pipeline) deleteAll(ctx context.Context) {
	for e := range p.deletes {
		entries := []sqstypes.DeleteMessageBatchRequestEntry{e}
	gather:
		for len(entries) < 10 {
			select {
			case e, ok := <-p.deletes:
				if !ok {
					break gather
				}
				entries = append(entries, e)
			default:
				break gather
			}
		}
		p.delete(ctx, entries)
	}
}

// delete deletes the messages of entries. A delete that fails leaves the
// message to be delivered and applied again, which handlers make harmless.
// It outlives ctx by a few seconds, so that the messages applied before a
// shutdown are not delivered again.
func (p *pipeline) delete(ctx context.Context, entries []sqstypes.DeleteMessageBatchRequestEntry) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if res, err := p.client.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.queue), Entries: entries}); err != nil {
		p.s.logger().WarnContext(ctx, "sync: delete failed", "queue", p.queue, "error", err)
	} else if len(res.Failed) > 0 {
		p.s.logger().WarnContext(ctx, "sync: some deletes failed", "queue", p.queue, "count", len(res.Failed))
	}
}
