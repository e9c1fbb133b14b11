package conditional

import (
	"context"
	"errors"

	"github.com/tablestakes/tablestakes/repository"
)

// Tx collects writes planned by repositories — of several types, in several
// tables — and commits them atomically. The zero Tx is empty and ready to
// use. Each write carries its own conditions: versions, existence, unique
// attribute guards, [If] conditions; Commit adds nothing and loses nothing.
//
//	var tx conditional.Tx
//	tx.Add(companies.PlanUpdate(ctx, id, repository.Set("name", n), repository.IfVersion(v)))
//	tx.Add(stats.PlanCheck(statsID, conditional.If(conditional.Exists("companies"))))
//	err := tx.Commit(ctx, client, repository.Token(requestID))
//
// A Tx is not safe for concurrent use.
type Tx struct {
	writes []*repository.Write
	err    error
}

// Add appends a planned write. It takes a Plan method's results as they
// are, so that tx.Add(repo.PlanPut(ctx, &item)) reads well; the first
// planning error is kept and returned by Commit, which then sends nothing.
// Add returns tx for chaining.
func (tx *Tx) Add(w *repository.Write, err error) *Tx {
	if tx.err != nil {
		return tx
	}
	if err == nil && w == nil {
		err = errors.New("conditional: nil write")
	}
	if err != nil {
		tx.err = &repository.TxError{Index: len(tx.writes), Reason: "planning failed", Err: err, Refused: true}
		return tx
	}
	tx.writes = append(tx.writes, w)
	return tx
}

// Len returns the number of writes added, not counting unique guards.
func (tx *Tx) Len() int { return len(tx.writes) }

// Writes returns the writes added so far.
func (tx *Tx) Writes() []*repository.Write { return tx.writes }

// Commit sends the writes as one TransactWriteItems call through client;
// see [repository.Transact] for the limits checked before sending, the
// idempotency token ([repository.Token]) and the retry policy for
// transaction conflicts ([repository.Attempts]).
//
// It returns the first planning error from [Tx.Add], wrapped in a
// [*repository.TxError] whose Refused is set (it matches
// [ErrInvalidTransaction]), or a [*repository.TxError] naming the write that
// failed (its Index is the order of Add calls) and why, with the current
// item; errors.Is sees through it to [ErrVersionConflict], [ErrDuplicate],
// [ErrConditionFailed], [repository.ErrAlreadyExists],
// [repository.ErrNotFound] or [ErrTransactionConflict].
func (tx *Tx) Commit(ctx context.Context, client repository.TransactWriteItemsAPI, opts ...repository.CallOption) error {
	if tx.err != nil {
		return tx.err
	}
	return repository.Transact(ctx, client, tx.writes, opts...)
}
