package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	stdsync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// StreamsClient is the part of *dynamodbstreams.Client a [StreamReader]
// uses.
type StreamsClient interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// StreamReader reads a table's DynamoDB stream in a long-running process,
// where no Lambda event source mapping does it: a service on a container
// platform, a local run against DynamoDB Local. It follows every shard,
// parents before children, and remembers how far each shard has been handed
// over, so a [StreamReader.Read] that stops on an error resumes, when called
// again, after the last batch that was handled. It is not safe for
// concurrent Reads.
//
// Positions are kept in memory: a new reader starts at the oldest record
// the stream holds ([FromTrimHorizon], the default) or at its tip
// ([FromLatest]). Starting from the oldest hands over changes that may have
// been handled before; subscribers apply each change once, so that is safe.
type StreamReader struct {
	client StreamsClient
	arn    string
	table  string
	start  streamtypes.ShardIteratorType
	poll   time.Duration
	limit  int32
	logger *slog.Logger
	saved  Checkpoints
	shards map[string]*shardState
	order  []string
	listed time.Time
	// concurrency is how many shards are read at once (0:
	// DefaultReaderConcurrency).
	concurrency int
	tracer      trace.Tracer // nil: no spans
}

type shardState struct {
	parent  string
	from    streamtypes.ShardIteratorType // where a shard with nothing handed over starts
	iter    *string
	last    string // sequence number of the last record handed over
	failed  string // sequence number of the first record of a batch that failed before any was handed over
	done    bool   // closed and read to its end
	started bool   // an iterator was asked for at least once
	// oldest makes the next iterator start at the shard's oldest record,
	// after the position aged out (TrimmedDataAccessException); records
	// up to last that come again are dropped.
	oldest bool
	// suspect is the position, aged out, after which records may have
	// been lost: the first record read again tells ("" for none).
	suspect string
}

// ReaderOption configures a [StreamReader].
type ReaderOption func(*StreamReader)

// FromTrimHorizon makes a new reader start at the oldest record the stream
// holds (the last 24 hours). This is the default.
func FromTrimHorizon() ReaderOption {
	return func(r *StreamReader) { r.start = streamtypes.ShardIteratorTypeTrimHorizon }
}

// FromLatest makes a new reader start after the newest record.
func FromLatest() ReaderOption {
	return func(r *StreamReader) { r.start = streamtypes.ShardIteratorTypeLatest }
}

// WithPollInterval sets how long the reader waits when no shard had new
// records (default 1s; DynamoDB allows 5 GetRecords per second per shard).
func WithPollInterval(d time.Duration) ReaderOption {
	return func(r *StreamReader) { r.poll = d }
}

// WithCheckpoints makes the reader resume each shard after the position
// saved in c, and save its position after each batch handled, so that a
// restarted process goes on where the last one stopped instead of handing
// over the stream's last 24 hours again ([FromTrimHorizon]) or skipping what
// came while it was down ([FromLatest]). A position that cannot be saved is
// logged and saved with the next batch: at worst a batch is handed over
// twice after a restart, which subscribers make harmless. A shard that has
// handed nothing over yet has no checkpoint: with [FromLatest] it starts
// again at its tip, so prefer [FromTrimHorizon] with checkpoints. Keep checkpoints
// in another table than the one whose stream is read: each save there would
// be a stream record itself, and the reader would never stop writing
// ([TableCheckpoints] in that table is refused by Read).
func WithCheckpoints(c Checkpoints) ReaderOption {
	return func(r *StreamReader) { r.saved = c }
}

// WithReaderLogger sets where the reader logs shard events (default: nowhere).
func WithReaderLogger(l *slog.Logger) ReaderOption {
	return func(r *StreamReader) { r.logger = l }
}

// DefaultReaderConcurrency is how many shards a [StreamReader] reads at
// once unless told otherwise ([WithReaderConcurrency]).
const DefaultReaderConcurrency = 4

// WithReaderConcurrency sets how many shards the reader reads at once, at
// most: n from 1 (one shard after another) up; below 1 means
// [DefaultReaderConcurrency], the default. A child shard is still read only
// once its parent has been read to its end, so the changes of one item are
// handed over in stream order. With n above 1, [StreamReader.Read] calls
// its handler concurrently for different shards. DynamoDB Streams serves
// at most five GetRecords calls per second per shard, and throttles more
// than two readers of a shard: reading shards concurrently adds neither.
func WithReaderConcurrency(n int) ReaderOption {
	return func(r *StreamReader) { r.concurrency = n }
}

// NewStreamReader returns a reader of the stream streamARN, the table's
// LatestStreamArn. The table's name is taken from the ARN.
func NewStreamReader(client StreamsClient, streamARN string, opts ...ReaderOption) *StreamReader {
	r := &StreamReader{
		client: client, arn: streamARN, table: TableFromARN(streamARN),
		start: streamtypes.ShardIteratorTypeTrimHorizon, poll: time.Second, limit: 1000,
		shards: map[string]*shardState{},
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// Read hands the stream's changes to handle, a batch per GetRecords call in
// stream order per shard, until ctx is done (it then returns ctx's error) or
// handle or the Streams API fails. Shards are read concurrently
// ([WithReaderConcurrency]): handle is called concurrently for different
// shards, and must be safe for that ([Publisher.Publish] is); the batches
// of one shard, and of a parent and its children, are handed over one
// after another. A batch handle fails is handed over again
// by the next Read; nothing after it in the same shard is handed over first.
// A record that is not a change ([ErrRecord]; DynamoDB does not write such
// records) stops Read the same way, every time: nothing is skipped silently.
func (r *StreamReader) Read(ctx context.Context, handle func(context.Context, []Change) error) error {
	if t, ok := r.saved.(interface{ TableName() string }); ok && t.TableName() == r.table && r.table != "" {
		// Each save would be a record of the stream it saves the position
		// of: the reader would never stop writing.
		return fmt.Errorf("sync: checkpoints of the stream of %s cannot be kept in %s itself", r.table, r.table)
	}
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Since(r.listed) > 30*time.Second || r.needList() {
			if err := r.list(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failures++
				if failures > 5 {
					return err
				}
				if err := backoff.Sleep(ctx, failures, 100*time.Millisecond, 5*time.Second); err != nil {
					return err
				}
				continue
			}
			failures = 0
		}
		got, err := r.round(ctx, handle)
		if err != nil {
			return err
		}
		if !got {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(r.poll):
			}
		}
	}
}

// needList reports whether every known shard is closed and read, so the
// shard list must be fetched again for its children.
func (r *StreamReader) needList() bool {
	if len(r.order) == 0 {
		return true
	}
	for _, id := range r.order {
		if !r.shards[id].done {
			return false
		}
	}
	return true
}

// list fetches the stream's shards, adding those not known yet.
func (r *StreamReader) list(ctx context.Context) error {
	var start *string
	for {
		out, err := r.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(r.arn), ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("sync: describe stream %s: %w", r.arn, err)
		}
		if out.StreamDescription == nil {
			return fmt.Errorf("sync: describe stream %s: no description", r.arn)
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := r.shards[id]; ok {
				continue
			}
			// Shards there when the reader starts begin where it was
			// told; shards born later, children of shards it reads, are
			// read from their start.
			from := streamtypes.ShardIteratorTypeTrimHorizon
			if r.listed.IsZero() {
				from = r.start
			}
			st := &shardState{parent: aws.ToString(s.ParentShardId), from: from}
			if r.saved != nil {
				seq, err := r.saved.Load(ctx, r.arn, id)
				if err != nil {
					return fmt.Errorf("sync: load the checkpoint of %s: %w", id, err)
				}
				st.last = seq
			}
			r.shards[id] = st
			r.order = append(r.order, id)
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			break
		}
	}
	if r.listed.IsZero() {
		r.resumeChildren()
	}
	r.listed = time.Now()
	return nil
}

// resumeChildren makes the shards of the first listing that descend from a
// shard with a checkpoint start at their oldest record, whatever the reader
// was told: they were born after that position, while no reader ran, so
// everything in them is yet to be handed over.
func (r *StreamReader) resumeChildren() {
	for changed := true; changed; {
		changed = false
		for _, id := range r.order {
			s := r.shards[id]
			if s.last != "" || s.from == streamtypes.ShardIteratorTypeTrimHorizon {
				continue
			}
			if p, ok := r.shards[s.parent]; ok && (p.last != "" || p.from == streamtypes.ShardIteratorTypeTrimHorizon) {
				s.from, changed = streamtypes.ShardIteratorTypeTrimHorizon, true
			}
		}
	}
}

// round reads each readable shard once, up to r.concurrency of them at a
// time; got reports whether any had records. A shard whose parent was read
// to its end during the round is read in it too.
func (r *StreamReader) round(ctx context.Context, handle func(context.Context, []Change) error) (got bool, err error) {
	tried := map[string]bool{}
	for {
		var ready []string
		for _, id := range r.order {
			s := r.shards[id]
			if s.done || tried[id] {
				continue
			}
			if p, ok := r.shards[s.parent]; ok && !p.done {
				continue // children wait until their parent is read to its end
			}
			ready = append(ready, id)
			tried[id] = true
		}
		if len(ready) == 0 {
			return got, nil
		}
		n, err := r.readShards(ctx, ready, handle)
		got = got || n > 0
		if err != nil {
			return got, err
		}
	}
}

// readShards reads each of the shards ids once, concurrently, and returns
// how many records they had and the first error, in the order of ids.
func (r *StreamReader) readShards(ctx context.Context, ids []string, handle func(context.Context, []Change) error) (int, error) {
	workers := r.concurrency
	if workers < 1 {
		workers = DefaultReaderConcurrency
	}
	workers = min(workers, len(ids))
	if workers == 1 {
		total := 0
		for _, id := range ids {
			n, err := r.readShard(ctx, id, r.shards[id], handle)
			total += n
			if err != nil {
				return total, err
			}
		}
		return total, nil
	}
	counts := make([]int, len(ids))
	errs := make([]error, len(ids))
	next := make(chan int)
	var wg stdsync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				counts[i], errs[i] = r.readShard(ctx, ids[i], r.shards[ids[i]], handle)
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	return total, firstError(errs)
}

func (r *StreamReader) readShard(ctx context.Context, id string, s *shardState, handle func(context.Context, []Change) error) (int, error) {
	if s.iter == nil {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.arn), ShardId: aws.String(id), ShardIteratorType: s.from}
		switch {
		case s.oldest:
			in.ShardIteratorType = streamtypes.ShardIteratorTypeTrimHorizon
		case s.last != "":
			in.ShardIteratorType = streamtypes.ShardIteratorTypeAfterSequenceNumber
			in.SequenceNumber = aws.String(s.last)
		case s.failed != "":
			// The first batch failed: start again at its first record.
			in.ShardIteratorType = streamtypes.ShardIteratorTypeAtSequenceNumber
			in.SequenceNumber = aws.String(s.failed)
		case s.started:
			// An iterator expired or its records aged out before any
			// was handed over: read what the shard still holds.
			in.ShardIteratorType = streamtypes.ShardIteratorTypeTrimHorizon
		}
		out, err := r.client.GetShardIterator(ctx, in)
		if err != nil {
			var gone *streamtypes.ResourceNotFoundException
			if errors.As(err, &gone) {
				s.done = true // the shard has aged out of the stream
				return 0, nil
			}
			var trimmed *streamtypes.TrimmedDataAccessException
			if errors.As(err, &trimmed) && in.SequenceNumber != nil {
				// The position (a checkpoint older than 24 hours) has aged
				// out: read what the shard still holds.
				r.rewind(ctx, id, s)
				return 0, nil
			}
			return 0, fmt.Errorf("sync: shard iterator for %s: %w", id, err)
		}
		s.iter, s.started = out.ShardIterator, true
		if s.iter == nil {
			s.done = true
			return 0, nil
		}
	}
	out, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iter, Limit: aws.Int32(r.limit)})
	if err != nil {
		var expired *streamtypes.ExpiredIteratorException
		var trimmed *streamtypes.TrimmedDataAccessException
		switch {
		case errors.As(err, &expired):
			s.iter = nil // ask again from the last position
			return 0, nil
		case errors.As(err, &trimmed):
			s.iter = nil
			r.rewind(ctx, id, s)
			return 0, nil
		}
		return 0, fmt.Errorf("sync: get records of %s: %w", id, err)
	}
	if len(out.Records) > 0 && s.oldest {
		out.Records = r.reread(ctx, id, s, out.Records)
	}
	if len(out.Records) > 0 {
		fail := func(err error) (int, error) {
			s.iter = nil // resume after the last batch handled
			if d := out.Records[0].Dynamodb; s.last == "" && d != nil {
				s.failed = aws.ToString(d.SequenceNumber)
			}
			return 0, err
		}
		changes := make([]Change, 0, len(out.Records))
		for _, rec := range out.Records {
			c, err := FromStreamRecord(r.table, rec)
			if err != nil {
				return fail(err)
			}
			changes = append(changes, c)
		}
		bctx, end := startSpan(ctx, r.tracer, spanStreamBatch, trace.SpanKindConsumer,
			attribute.String("aws.dynamodb.stream_arn", r.arn),
			attribute.String("tablestakes.shard_id", id),
			attribute.Int("tablestakes.records", len(changes)))
		err := handle(bctx, changes)
		end(err)
		if err != nil {
			return fail(err)
		}
		s.last = changes[len(changes)-1].Sequence
		if r.saved != nil {
			// A batch handled is saved even when ctx ends meanwhile: a
			// shutdown then resumes after it.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := r.saved.Save(sctx, r.arn, id, s.last)
			cancel()
			if err != nil {
				r.logger.WarnContext(ctx, "sync: checkpoint not saved; the next batch saves it", "shard", id, "error", err)
			}
		}
	}
	s.iter = out.NextShardIterator
	if s.iter == nil {
		if s.suspect != "" {
			r.logger.WarnContext(ctx, "sync: stream records aged out before they were read", "shard", id, "after", s.suspect)
			s.suspect = ""
		}
		s.done = true
		r.logger.InfoContext(ctx, "sync: shard read to its end", "shard", id)
	}
	return len(out.Records), nil
}

// rewind makes the shard be read again from its oldest record, its
// position having aged out (TrimmedDataAccessException). Records were lost
// only if some came after the position handed over and aged out before
// they were read: the first record read again tells (see reread). With
// nothing handed over yet there is nothing to lose: DynamoDB Local answers
// so when an iterator taken on a table's empty shard is first used after
// other tables were written, its shard's first sequence number being
// drawn from a counter all tables share.
func (r *StreamReader) rewind(ctx context.Context, id string, s *shardState) {
	pos := s.last
	if pos == "" {
		pos = s.failed
	}
	if pos == "" {
		r.logger.DebugContext(ctx, "sync: shard iterator behind the shard's oldest record before anything was read; reading from the oldest", "shard", id)
	}
	s.oldest, s.suspect, s.started = true, pos, true
}

// reread drops the records handed over already from the first page read
// after rewind, and warns when the records after the aged-out position are
// gone: the oldest record is past it.
func (r *StreamReader) reread(ctx context.Context, id string, s *shardState, recs []streamtypes.Record) []streamtypes.Record {
	first := ""
	if d := recs[0].Dynamodb; d != nil {
		first = aws.ToString(d.SequenceNumber)
	}
	if s.suspect != "" && padSequence(first) > padSequence(s.suspect) {
		r.logger.WarnContext(ctx, "sync: stream records aged out before they were read", "shard", id, "after", s.suspect, "oldest", first)
	}
	s.oldest, s.suspect = false, ""
	if s.last == "" {
		s.failed = ""
		return recs
	}
	last := padSequence(s.last)
	keep := recs[:0:0]
	for _, rec := range recs {
		if d := rec.Dynamodb; d == nil || padSequence(aws.ToString(d.SequenceNumber)) > last {
			keep = append(keep, rec)
		}
	}
	return keep
}

// PublishStream reads r and publishes every change it hands over, until ctx
// is done or publishing fails (a change that could not be published is
// handed over again by the next call).
func (p *Publisher) PublishStream(ctx context.Context, r *StreamReader) error {
	return r.Read(ctx, func(ctx context.Context, changes []Change) error {
		return p.Publish(ctx, changes...)
	})
}
