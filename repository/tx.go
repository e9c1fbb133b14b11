package repository

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Tx collects writes planned by repositories — of several types, in several
// tables — and commits them atomically in one TransactWriteItems call
// (principle 7). The zero Tx is empty and ready to use. Each write carries
// its own conditions: versions, existence, unique attribute guards, [If]
// conditions; Commit adds nothing and loses nothing.
//
//	var tx repository.Tx
//	tx.Include(companies.PlanUpdate(ctx, id, repository.Set("name", n), repository.IfVersion(v)))
//	tx.Include(stats.PlanCheck(statsID, repository.If(conditional.Exists("companies"))))
//	err := tx.Commit(ctx, client, repository.Token(requestID))
//
// A Tx is not safe for concurrent use.
type Tx struct {
	writes []*Write
	err    error
}

// Include adds a planned write. It takes a Plan method's results as they
// are, so that tx.Include(repo.PlanPut(ctx, &item)) reads well; the first
// planning error is kept and returned by Commit, which then sends nothing.
// Include returns tx for chaining.
func (tx *Tx) Include(w *Write, err error) *Tx {
	if tx.err != nil {
		return tx
	}
	if err == nil && w == nil {
		err = fmt.Errorf("%w: write %d is nil", ErrInvalidTransaction, len(tx.writes))
	}
	if err != nil {
		tx.err = &TxError{Index: len(tx.writes), Reason: "planning failed", Err: err, Refused: true}
		return tx
	}
	tx.writes = append(tx.writes, w)
	return tx
}

// Len returns the number of writes included, not counting unique guards.
func (tx *Tx) Len() int { return len(tx.writes) }

// Writes returns the writes included so far.
func (tx *Tx) Writes() []*Write { return tx.writes }

// Commit sends the writes, and the unique guards that go with them, as one
// TransactWriteItems call through client: all of them are applied, or none.
//
// Before sending it refuses, with a [*TxError] whose Refused is set
// (matching [ErrInvalidTransaction]), a planning error kept by
// [Tx.Include], no writes, more than [MaxTransactItems] items, two
// operations on one item, a token over 36 characters and a nil client.
// When DynamoDB cancels the transaction it returns a [*TxError] naming the
// write that failed (its Index is the order of Include calls) and why,
// with the item as it was; errors.Is sees through it to
// [ErrVersionConflict], [ErrDuplicate], [ErrConditionFailed],
// [ErrAlreadyExists], [ErrNotFound] or [ErrTransactionConflict].
// Cancellations caused only by transaction conflicts are retried
// ([Attempts], default 4) with the same idempotency token ([Token]);
// condition failures are not. A token DynamoDB saw in the last ten minutes
// with other writes fails with [ErrIdempotentParameterMismatch]. Of the
// call options it takes [Token], [Attempts], [SDKOptions] and
// [ReportCapacity]. On success each write's [Write.Committed] runs.
func (tx *Tx) Commit(ctx context.Context, client TransactWriteItemsAPI, opts ...CallOption) error {
	if tx.err != nil {
		return tx.err
	}
	// A span under the caller's, from its provider: nothing is recorded
	// when the caller records nothing.
	ctx, span := trace.SpanFromContext(ctx).TracerProvider().Tracer(tracerName).Start(ctx, "repository.Tx.Commit",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "aws.dynamodb"), attribute.Int("tablestakes.writes", len(tx.writes))))
	defer span.End()
	err := transact(ctx, client, tx.writes, opts...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, errorKind(err))
	}
	return err
}
