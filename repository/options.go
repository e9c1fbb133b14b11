package repository

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.opentelemetry.io/otel/trace"

	"github.com/tablestakes/tablestakes/index"
)

// Option configures a [Repository] at [New].
type Option func(*settings)

// settings holds what the options set; New validates it against T.
type settings struct {
	idAttr      string
	natural     bool
	uuidV4      bool
	pk, sk      index.Template
	indexKeys   []indexKey
	derived     []any // derivation[T], checked at New
	precompute  []any // func(*T) error, checked at New
	bounds      map[string]int
	scan        bool
	cursorKey   []byte
	capacity    func(context.Context, Capacity)
	logger      *slog.Logger
	batchTries  int
	batchConc   int
	batchBase   time.Duration
	batchCap    time.Duration
	versionAttr string
	uniques     []string
	txTries     int
	parentAttr  string
	// naturalParent: parent ids are natural keys, not UUIDs.
	naturalParent bool
	retryUnsafe   bool
	entityType    string
	// tracerProvider records spans ([WithTracerProvider]).
	tracerProvider trace.TracerProvider
	attrs          []string
}

type indexKey struct {
	attr string
	tmpl index.Template
}

// WithID names the attribute that holds an item's id. Default "id".
// Ids are UUIDs that [Repository.Create] generates (principle 1).
func WithID(attr string) Option { return func(s *settings) { s.idAttr = attr } }

// WithNaturalKey makes attr, a natural unique attribute such as an email
// or a registration number, the item's id instead of a generated UUID.
// Create then requires it to be set and does not validate it as a UUID.
func WithNaturalKey(attr string) Option {
	return func(s *settings) { s.idAttr, s.natural = attr, true }
}

// WithParent declares that each item belongs to a parent named by the
// string attribute attr (e.g. "companyId"), which key templates may then
// use besides the id, to keep a parent's children in its partition:
//
//	repository.WithParent("companyId"),
//	repository.WithKeys("COMPANY#{companyId}", "REPORT#{id}"),
//
// A collection that grows without bound becomes items of its own next to
// its parent (principle 11), read with one Query of the parent's partition
// (an [index.AccessPattern] on the base table with a SortPrefix such as
// "REPORT#"). Create and Put read the parent from the item; the methods that
// take an id need it too: call them on [Repository.In]. The parent cannot
// be changed by Update: it is part of the key.
//
// Parent ids are validated like ids, before any request: canonical UUIDs,
// unless declared [WithNaturalParent].
func WithParent(attr string) Option { return func(s *settings) { s.parentAttr = attr } }

// WithNaturalParent is [WithParent] for a parent keyed by a natural key (an
// email, a registration number) rather than a generated UUID: a parent id
// must then be non-empty, and its key must stay out of the library's
// reserved key space, as a natural id must.
func WithNaturalParent(attr string) Option {
	return func(s *settings) { s.parentAttr, s.naturalParent = attr, true }
}

// WithEntityType names the model's entity type, stored in every item the
// repository writes under [EntityTypeAttribute] so that the items of
// several types can share a table, a partition and an index: reads return
// only items of their repository's type. Default: the Go type's name
// ("Company"). Changing it makes the items already written foreign to the
// repository; see [Repository.BackfillEntityType].
func WithEntityType(name string) Option { return func(s *settings) { s.entityType = name } }

// WithUUIDv4 makes Create generate random version 4 UUIDs instead of the
// default version 7. Version 7 ids sort by creation time, which makes them
// useful as sort keys ("newest first"), and DynamoDB hashes partition keys,
// so their shared time prefix does not concentrate load on one partition.
// Choose v4 when an id must not reveal its creation time.
func WithUUIDv4() Option { return func(s *settings) { s.uuidV4 = true } }

// WithKeys sets how the table's key attributes are composed from the id, for
// tables that hold several entity types, e.g. WithKeys("COMPANY#{id}",
// "PROFILE"). Templates may refer only to the id attribute (and the parent,
// see [WithParent]), so an item's key follows from its id. Default: the
// partition key is "{id}" and the table must have no sort key.
func WithKeys(partition, sort index.Template) Option {
	return func(s *settings) { s.pk, s.sk = partition, sort }
}

// WithIndexKey declares attr, a key attribute of a secondary index, as
// composed from the item's attributes by tmpl, e.g.
// WithIndexKey("gsi1pk", "INDUSTRY#{industry}"). It is recomputed on every
// write, including an Update that changes one of its inputs (principle 4).
// When an input is absent the attribute is left out, which keeps the item
// out of a sparse index.
func WithIndexKey(attr string, tmpl index.Template) Option {
	return func(s *settings) { s.indexKeys = append(s.indexKeys, indexKey{attr, tmpl}) }
}

// WithBound declares that the list, map or set attribute attr holds at most
// n elements (principle 11). attr must be a list, map or set field of the
// model (or declared [WithAttributes]); New refuses it otherwise. A write that would exceed it fails with a
// [*GrowthError] before any request.
func WithBound(attr string, n int) Option {
	return func(s *settings) {
		if s.bounds == nil {
			s.bounds = map[string]int{}
		}
		s.bounds[attr] = n
	}
}

// WithVersion turns on optimistic locking (principle 7) with attr, an
// integer field of the model, as the version number. Create writes version
// 1; Put requires the version the caller read (the item's field) and writes
// the next one, setting it on the item; Update and Delete require
// [IfVersion]. A stale write fails with [ErrVersionConflict] in a
// [*ConditionError] carrying the current item; a write without a version is
// refused with [ErrVersionRequired]. Updates made only of [Add] changes
// (counters) need no version: they commute, and still bump it.
func WithVersion(attr string) Option { return func(s *settings) { s.versionAttr = attr } }

// WithUnique declares attributes whose values must be unique among the
// repository's items, such as an email or a registration number
// (principle 1). Each value is held by a guard item in the same table,
// written in the same transaction as the item: Create adds the guards,
// changing a value moves its guard, and Delete removes them. A taken value
// fails with [ErrDuplicate] in a [*UniqueError]. Writes to such a model read
// the current item first (strongly consistent) when a value may change, and
// condition the write on what they read. A unique attribute must be a
// field of the model, not a derived attribute ([Derive], [WithIndexKey]):
// New refuses it. A value whose guard key ("UNIQUE#entity#attr#value")
// would exceed 2048 bytes is refused with a [*ValueError].
func WithUnique(attrs ...string) Option {
	return func(s *settings) { s.uniques = append(s.uniques, attrs...) }
}

// WithTransactRetry sets how many times a write sent as a transaction (a
// model with unique attributes) is attempted when DynamoDB cancels it for a
// transaction conflict. Default 4. Condition failures are never retried.
func WithTransactRetry(attempts int) Option { return func(s *settings) { s.txTries = attempts } }

// WithRetryUnsafeWrites sends every single write as a plain PutItem,
// UpdateItem or DeleteItem, trading exactly-once for half the write
// capacity.
//
// By default a write that cannot be resent safely goes as a TransactWriteItems
// of one item under an idempotency token ([Token]): Create, a versioned or
// [If]-conditioned Put, Update or Delete, and an Update that adds to a
// number or appends to a list. When DynamoDB applies such a write but its
// response is lost (a reset connection, a timeout, a 500 after the write),
// the SDK resends the request; DynamoDB recognises the token and answers
// with success, applying nothing twice. DynamoDB charges a transactional
// write two write units per KB instead of one, and an [Repository.Update] so
// sent reads the item back (strongly consistent) since a transaction returns
// no values. Writes that land the same however often they are sent — a Put
// or Update without a version or condition, a Delete without a condition,
// and batch writes — are sent plainly either way.
//
// With this option, a resent conditional write fails on its own result —
// [ErrAlreadyExists] after a Create that landed, [ErrVersionConflict] after
// a versioned write that landed, and read-modify-write callers (conditional.Mutate)
// apply their change again — and a resent counter counts twice. Choose it
// only where responses are not lost in practice or such outcomes are
// acceptable. Writes that move a unique attribute's guard are transactions
// either way.
func WithRetryUnsafeWrites() Option { return func(s *settings) { s.retryUnsafe = true } }

// RetryUnsafe is [WithRetryUnsafeWrites] for one write: it goes as a plain
// PutItem, UpdateItem or DeleteItem. Give it where the caller takes a
// condition failure of a resend as its own success — a copy updated under
// an order marker that a resend finds already set, a checkpoint that never
// moves back — and so needs no transaction to be exactly-once.
func RetryUnsafe() CallOption { return func(c *call) { c.retryUnsafe = true } }

// WithScan opts the repository in to [Repository.Scan]. Without it Scan
// returns [ErrScanDisabled] (principle 12).
func WithScan() Option { return func(s *settings) { s.scan = true } }

// WithCursorSecret sets the key that signs pagination cursors. Every process
// serving the same cursors must use the same secret of at least 16 bytes.
// Default: a random key made at New, so cursors work within one process only.
func WithCursorSecret(secret []byte) Option {
	return func(s *settings) { s.cursorKey = append([]byte(nil), secret...) }
}

// WithCapacityHook asks DynamoDB for the capacity each call consumes and
// passes it to fn (principle 10). Default: capacity is not requested.
func WithCapacityHook(fn func(context.Context, Capacity)) Option {
	return func(s *settings) { s.capacity = fn }
}

// WithLogger sets the logger for batch retries. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithBatchConcurrency sets how many BatchWriteItem requests of one
// BatchPut, BatchPutSeq or BatchDelete are in flight at once. Default 8;
// 1 sends them one after another. Each request holds at most 25 items, so
// up to 25×n items are in flight; throttling is absorbed by the retries of
// [WithBatchRetry].
func WithBatchConcurrency(n int) Option { return func(s *settings) { s.batchConc = n } }

// WithBatchRetry sets how batch calls retry unprocessed items: at most
// attempts requests per chunk, with exponential backoff from base, capped at
// max, with full jitter. Default: 8 attempts, 50ms base, 5s cap.
func WithBatchRetry(attempts int, base, max time.Duration) Option {
	return func(s *settings) { s.batchTries, s.batchBase, s.batchCap = attempts, base, max }
}

// Capacity is the capacity one call consumed, as DynamoDB reported it.
type Capacity struct {
	Operation string                   // e.g. "PutItem"
	Table     string                   // the table
	Units     float64                  // total capacity units
	Read      float64                  // read units, when reported
	Write     float64                  // write units, when reported
	Detail    []types.ConsumedCapacity // per table and index
}

// CallOption adjusts one call. Options that do not apply to a call are ignored.
type CallOption func(*call)

type call struct {
	consistent bool
	project    []string
	limit      int
	filter     *expression.ConditionBuilder
	cond       *expression.ConditionBuilder
	sdk        []func(*dynamodb.Options)
	capacity   *Capacity
	version    *int64
	anyVersion bool
	// token is the idempotency token ([Token]); attempts bounds
	// transaction conflict retries ([Attempts]).
	token    string
	attempts int
	// txCapacity, set by a repository sending a write as a transaction,
	// takes the transaction's consumed capacity instead of capacity.
	txCapacity func([]types.ConsumedCapacity)
	// skipped counts the items of other entity types a read skipped.
	skipped *int
	// retryUnsafe sends this write plainly ([RetryUnsafe]).
	retryUnsafe bool
}

func newCall(opts []CallOption) call {
	if len(opts) == 0 {
		return call{}
	}
	return applyCall(opts)
}

func applyCall(opts []CallOption) call {
	var c call
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// ConsistentRead makes Get, BatchGet, Scan and queries of the base table or
// of a local index strongly consistent. A query of a global index, which has
// no consistent reads, fails with [index.ErrInvalidPattern]. Reads are
// eventually consistent by default (principle 6): half the cost, and right
// for almost every read.
func ConsistentRead() CallOption { return func(c *call) { c.consistent = true } }

// Project reads only the named attributes (Get, BatchGet, Query, Scan).
func Project(attrs ...string) CallOption {
	return func(c *call) { c.project = append(c.project, attrs...) }
}

// Limit bounds Query and Scan: the iterators stop after n items, and a
// page holds at most n, up to [MaxPageSize]. Default: no bound for
// iterators, 100 per page. A negative n, or a page over MaxPageSize, is
// refused with [ErrInvalidValue] before any request.
func Limit(n int) CallOption { return func(c *call) { c.limit = n } }

// Filter drops items that do not satisfy cond after DynamoDB reads them
// (Query, Scan). Filtered items still consume read capacity.
func Filter(cond expression.ConditionBuilder) CallOption {
	return func(c *call) { c.filter = &cond }
}

// If adds cond to a write's condition (Put, Update, Delete). When it does
// not hold the write fails with a [*ConditionError] carrying the current item.
func If(cond expression.ConditionBuilder) CallOption {
	return func(c *call) { c.cond = &cond }
}

// IfVersion makes an Update or Delete of a versioned model ([WithVersion])
// conditional on the item's version being v, the version the caller read.
// Version 0 is an item stored without a version attribute (written before
// the model was versioned): the condition is then that the item exists and
// has no version, or version 0.
func IfVersion(v int64) CallOption { return func(c *call) { c.version = &v } }

// AnyVersion lets an Update or Delete of a versioned model go without
// [IfVersion], for a write that does not depend on what the caller read: a
// copy of another service's attribute applied under its own [If] condition,
// a flag, a removal. Such an Update still increments the version, so
// read-modify-write callers holding the old version notice. Without
// AnyVersion or IfVersion, a versioned write is refused with
// [ErrVersionRequired], never sent unconditionally by accident.
func AnyVersion() CallOption { return func(c *call) { c.anyVersion = true } }

// Skipped adds to *n the number of items a read (Query, Page, Scan,
// BatchGet, Get) read but did not return because they are not of its
// entity type: other models' items sharing the partition or the index, the
// library's own items (see [EntityTypeAttribute]). They still consumed
// read capacity.
func Skipped(n *int) CallOption { return func(c *call) { c.skipped = n } }

// SDKOptions passes per-call options through to the SDK client.
func SDKOptions(fns ...func(*dynamodb.Options)) CallOption {
	return func(c *call) { c.sdk = append(c.sdk, fns...) }
}

// ReportCapacity asks DynamoDB for the capacity the call consumes and adds
// it to *dst.
func ReportCapacity(dst *Capacity) CallOption { return func(c *call) { c.capacity = dst } }
