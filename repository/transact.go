package repository

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tablestakes/tablestakes/internal/backoff"
)

// MaxTransactItems is DynamoDB's limit on the items of one transaction.
const MaxTransactItems = 100

// Token sets the idempotency token (DynamoDB's ClientRequestToken, 1 to 36
// characters) of a transaction ([Tx]) or of a single write sent as
// one (see [WithRetryUnsafeWrites] for which writes are). DynamoDB applies
// a request carrying a token it applied in the last ten minutes once, and
// answers the repeat with success: the SDK's own retries after a lost
// response reuse the token, and a caller that retries a whole operation —
// an HTTP handler given an Idempotency-Key, a queue consumer redelivered a
// message — can pass the same token to the retry. The same token with
// different writes within those ten minutes fails with
// [ErrIdempotentParameterMismatch]. A write given a token is always sent as a
// transaction. Default: a new random UUID per call.
func Token(token string) CallOption { return func(c *call) { c.token = token } }

// Attempts sets how many times a transaction canceled only by transaction
// conflicts (another request writing one of its items at the same moment)
// is sent, with the same token and jittered exponential backoff. Default 4
// for [Tx.Commit]; for a single write sent as a transaction, the
// repository's [WithTransactRetry]. A transaction with a failed condition is
// never retried.
func Attempts(n int) CallOption { return func(c *call) { c.attempts = n } }

// TxError reports a transaction that was refused before sending or that
// DynamoDB canceled. Nothing was written. Err is the failure of the write
// responsible, as a single write would report it: a [*ConditionError] (with
// the current item, matching [ErrVersionConflict], [ErrAlreadyExists],
// [ErrNotFound] or [ErrConditionFailed]), a [*UniqueError], or a sentinel
// such as [ErrTransactionConflict] or [ErrThrottled].
type TxError struct {
	// Index is the position of the failed write among those passed to
	// [Tx.Include] (its unique guards count as part of it); -1 when no single
	// write is responsible.
	Index int
	// Table and Key identify the item whose operation failed.
	Table string
	Key   map[string]types.AttributeValue
	// Reason is DynamoDB's cancellation code (ConditionalCheckFailed,
	// TransactionConflict, ThrottlingError, ValidationError, ...) or, for a
	// transaction refused before sending, what is wrong with it.
	Reason string
	// Message is DynamoDB's message for the item, if any.
	Message string
	// Item is the item as it was when its condition failed, if returned.
	Item map[string]types.AttributeValue
	// Err is the typed failure; errors.Is and errors.As see through to it.
	Err error
	// Refused is true when the transaction was never sent: it was invalid
	// or one of its writes could not be planned.
	Refused bool
	// part is the position of the failed item among all the items sent
	// (writes and their guards); -1 when unknown.
	part int
}

// Error describes the failure.
func (e *TxError) Error() string {
	var b strings.Builder
	b.WriteString("repository: transaction ")
	switch {
	case e.Refused:
		b.WriteString("refused: ")
	case e.Index < 0:
		b.WriteString("canceled: ")
	default:
		fmt.Fprintf(&b, "canceled by write %d (table %q): ", e.Index, e.Table)
	}
	if e.Refused && errors.Is(e.Err, ErrInvalidTransaction) {
		// The error says it all: "repository: transaction refused: writes
		// 1 and 2 operate on the same item".
		b.WriteString(strings.TrimPrefix(e.Err.Error(), ErrInvalidTransaction.Error()+": "))
		return b.String()
	}
	b.WriteString(e.Reason)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Is makes a TxError match [ErrTransactionCanceled], or
// [ErrInvalidTransaction] when it was refused before sending.
func (e *TxError) Is(target error) bool {
	if e.Refused {
		return target == ErrInvalidTransaction
	}
	return target == ErrTransactionCanceled
}

// Unwrap returns the failure of the write responsible.
func (e *TxError) Unwrap() error { return e.Err }

const reasonInvalid = "invalid transaction"

// transact writes all of writes, and the unique guards that go with them,
// atomically in one TransactWriteItems call, or none of them: what
// [Tx.Commit] and single writes sent as transactions do.
//
// Before sending it refuses, with a [*TxError] matching
// [ErrInvalidTransaction], more than [MaxTransactItems] items, two
// operations on one item, and a nil client. When DynamoDB cancels the transaction it returns
// a [*TxError] naming the write that failed and why, with the item as it
// was. Cancellations caused only by transaction conflicts are retried
// ([Attempts]) with the same idempotency token ([Token]); condition
// failures are not. On success each write's [Write.Committed] runs.
//
// Of the call options it takes [Token], [Attempts], [SDKOptions] and
// [ReportCapacity]; a token DynamoDB saw in the last ten minutes with other
// writes fails with [ErrIdempotentParameterMismatch].
func transact(ctx context.Context, client TransactWriteItemsAPI, writes []*Write, opts ...CallOption) error {
	s := applyCall(opts)
	if s.attempts <= 0 {
		s.attempts = 4
	}
	if s.token == "" {
		s.token = uuid.NewString()
	}
	if client == nil {
		return &TxError{Index: -1, Reason: reasonInvalid, Refused: true, Err: fmt.Errorf("%w: nil client", ErrInvalidTransaction)}
	}
	if n := len(s.token); n > 36 {
		return &TxError{Index: -1, Reason: reasonInvalid, Refused: true, Err: fmt.Errorf("%w: token is %d characters; the limit is 36", ErrInvalidTransaction, n)}
	}
	var (
		parts []*Write
		owner []int
		items []types.TransactWriteItem
	)
	seen := map[string]int{}
	for i, w := range writes {
		if w == nil {
			return &TxError{Index: i, Reason: reasonInvalid, Refused: true, Err: fmt.Errorf("%w: write %d is nil", ErrInvalidTransaction, i)}
		}
		for _, p := range w.Parts() {
			id := itemID(p.table, p.key)
			if j, dup := seen[id]; dup {
				return &TxError{Index: i, Table: p.table, Key: p.key, Reason: reasonInvalid, Refused: true,
					Err: fmt.Errorf("%w: writes %d and %d operate on the same item", ErrInvalidTransaction, j, i)}
			}
			seen[id] = i
			item, err := p.TransactItem()
			if err != nil {
				return &TxError{Index: i, Table: p.table, Key: p.key, Reason: reasonInvalid, Refused: true, Err: err}
			}
			parts, owner, items = append(parts, p), append(owner, i), append(items, item)
		}
	}
	if len(items) == 0 {
		return &TxError{Index: -1, Reason: reasonInvalid, Refused: true, Err: fmt.Errorf("%w: no writes", ErrInvalidTransaction)}
	}
	if len(items) > MaxTransactItems {
		return &TxError{Index: -1, Reason: reasonInvalid, Refused: true, Err: fmt.Errorf(
			"%w: %d items (with unique guards); the limit is %d", ErrInvalidTransaction, len(items), MaxTransactItems)}
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: items, ClientRequestToken: aws.String(s.token)}
	if s.capacity != nil || s.txCapacity != nil {
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityIndexes
	}
	for attempt := 1; ; attempt++ {
		event(ctx, "TransactWriteItems", attribute.Int("attempt", attempt), attribute.Int("items", len(items)))
		out, err := client.TransactWriteItems(ctx, in, s.sdk...)
		if err == nil {
			if s.txCapacity != nil {
				s.txCapacity(out.ConsumedCapacity)
			} else if s.capacity != nil {
				addCapacity(s.capacity, "TransactWriteItems", "", out.ConsumedCapacity)
			}
			for _, w := range writes {
				w.Committed()
			}
			return nil
		}
		var mismatch *types.IdempotentParameterMismatchException
		if errors.As(err, &mismatch) {
			return fmt.Errorf("%w: token %q: %w", ErrIdempotentParameterMismatch, s.token, err)
		}
		retry, txErr := cancellation(err, parts, owner)
		if txErr == nil {
			return fmt.Errorf("repository: TransactWriteItems: %w", err)
		}
		if !retry || attempt >= s.attempts {
			return txErr
		}
		event(ctx, "transaction conflict: retry", attribute.Int("attempt", attempt), attribute.String("reason", txErr.Reason))
		if err := backoff.Sleep(ctx, attempt, 20*time.Millisecond, time.Second); err != nil {
			return txErr
		}
	}
}

// cancellation maps a TransactWriteItems error to a TxError and says
// whether the transaction may be retried; nil when it is no cancellation.
func cancellation(err error, parts []*Write, owner []int) (bool, *TxError) {
	var inProgress *types.TransactionInProgressException
	if errors.As(err, &inProgress) {
		return true, &TxError{Index: -1, Reason: "TransactionInProgress", Err: fmt.Errorf("%w: %v", ErrTransactionConflict, err)}
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false, nil
	}
	first, conflictOnly := -1, true
	for i, reason := range tce.CancellationReasons {
		code := aws.ToString(reason.Code)
		if code == "" || code == "None" {
			continue
		}
		if code != "TransactionConflict" {
			conflictOnly = false
		}
		// Report the most telling failure: a condition beats a conflict.
		if first < 0 || code == "ConditionalCheckFailed" && aws.ToString(tce.CancellationReasons[first].Code) != code {
			first = i
		}
	}
	if first < 0 || first >= len(parts) {
		return false, &TxError{Index: -1, Reason: "TransactionCanceled", Message: aws.ToString(tce.Message), Err: err}
	}
	reason := tce.CancellationReasons[first]
	p := parts[first]
	te := &TxError{
		Index: owner[first], Table: p.table, Key: p.key, part: first,
		Reason: aws.ToString(reason.Code), Message: aws.ToString(reason.Message), Item: reason.Item,
	}
	switch te.Reason {
	case "ConditionalCheckFailed":
		te.Err = p.ConditionFailure(reason.Item, err)
		if te.Err == nil { // an idempotent delete of an absent item cannot cancel alone
			te.Err = &ConditionError{Table: p.table, Key: p.key, Sentinel: ErrConditionFailed, Err: err}
		}
	case "TransactionConflict":
		te.Err = fmt.Errorf("%w: %v", ErrTransactionConflict, err)
	case "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
		te.Err = fmt.Errorf("%w: %v", ErrThrottled, err)
	default:
		te.Err = err
	}
	return conflictOnly, te
}

// itemID identifies an item within a transaction.
func itemID(table string, key map[string]types.AttributeValue) string {
	names := make([]string, 0, len(key))
	for k := range key {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(table)
	for _, k := range names {
		v, _ := uniqueText(k, key[k])
		fmt.Fprintf(&b, "\x00%s=%T:%s", k, key[k], v)
	}
	return b.String()
}

// transact sends a write as a transaction of its own, with its companions
// (unique guards), under the call's idempotency token.
func (r *Repository[T]) transactOne(ctx context.Context, w *Write, c call) error {
	tc := c
	if tc.attempts <= 0 {
		tc.attempts = r.s.txTries
	}
	if r.s.capacity != nil || c.capacity != nil {
		tc.capacity = nil
		tc.txCapacity = func(ccs []types.ConsumedCapacity) {
			ptrs := make([]*types.ConsumedCapacity, len(ccs))
			for i := range ccs {
				ptrs[i] = &ccs[i]
			}
			r.report(ctx, c, "TransactWriteItems", ptrs...)
		}
	}
	err := transact(ctx, r.client, []*Write{w}, func(dst *call) { *dst = tc })
	var te *TxError
	if errors.As(err, &te) && te.part == 0 && te.Reason == "ConditionalCheckFailed" &&
		w.ConditionFailure(te.Item, err) == nil {
		// The write's own condition failed in a way that means success (a
		// Delete finding no item): nothing else in it was written, and
		// nothing else needed to be.
		w.Committed()
		return nil
	}
	if errors.As(err, &te) && te.Index == 0 && te.Err != nil &&
		(errors.Is(te.Err, ErrConditionFailed) || errors.Is(te.Err, ErrDuplicate)) {
		// A single write reports its own failure, as if sent alone.
		return te.Err
	}
	return err
}
