package repository

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type opKind int

const (
	opPut opKind = iota
	opUpdate
	opDelete
	opCheck
)

// Write is one planned write — a put, update, delete or condition check —
// with every condition and derived attribute already applied. Every write a
// repository makes goes through a Write, whether sent alone or as one item
// of a transaction; the conditional package builds transactions from them.
type Write struct {
	op     opKind
	table  string
	key    map[string]types.AttributeValue
	item   map[string]types.AttributeValue
	update *expression.UpdateBuilder
	cond   *expression.ConditionBuilder
	// built, when set, is cond already built (for a condition every write
	// of a kind shares); And clears it.
	built    *expression.Expression
	onFail   error // the sentinel a failed condition means
	notFound error // when the item was absent: ErrNotFound for updates
	bounds   map[string]appendBound

	// retryUnsafe marks a write that a resend after a lost response would
	// misreport (a conditional write fails on its own result) or apply
	// twice (a counter): such writes are sent as idempotent transactions.
	retryUnsafe bool

	expect      *int64 // the version a versioned write expects
	versionAttr string
	absentOK    bool // a failed condition on an absent item is success (idempotent delete)
	// foreign, when set, reports a current item of another entity type:
	// the write's entity condition ([Repository.sameEntity]) failed on it,
	// and the failure reads as if no item of the write's type were there.
	foreign func(map[string]types.AttributeValue) bool
	// fail, when set, replaces the standard condition failure mapping.
	fail func(current map[string]types.AttributeValue, cause error) error
	// companions are written in the same transaction (unique guards).
	companions []*Write
	// after runs once the write has succeeded.
	after func()
}

// appendBound is a bounded collection that an update appends to.
type appendBound struct{ added, bound int }

// Table returns the table the write goes to.
func (w *Write) Table() string { return w.table }

// Key returns the key of the item written.
func (w *Write) Key() map[string]types.AttributeValue { return w.key }

// Item returns the full item of a put, or nil.
func (w *Write) Item() map[string]types.AttributeValue { return w.item }

// Parts returns the write followed by the writes that must go in the same
// transaction with it, such as unique attribute guards.
func (w *Write) Parts() []*Write { return append([]*Write{w}, w.companions...) }

// Committed tells the write that it has been applied, as part of a
// transaction sent by other code; it updates the caller's item (such as its
// version number) the way a write sent by the repository does.
func (w *Write) Committed() {
	if w.after != nil {
		w.after()
	}
}

// And adds cond to the write's condition.
func (w *Write) And(cond expression.ConditionBuilder) {
	w.built = nil
	if w.cond == nil {
		w.cond = &cond
		return
	}
	c := w.cond.And(cond)
	w.cond = &c
}

func (w *Write) expr() (expression.Expression, bool, error) {
	if w.built != nil && w.update == nil {
		return *w.built, true, nil
	}
	b := expression.NewBuilder()
	used := false
	if w.update != nil {
		b, used = b.WithUpdate(*w.update), true
	}
	if w.cond != nil {
		b, used = b.WithCondition(*w.cond), true
	}
	if !used {
		return expression.Expression{}, false, nil
	}
	e, err := b.Build()
	if err != nil {
		return e, false, fmt.Errorf("repository: build expression: %w", err)
	}
	return e, true, nil
}

func condPtr(e expression.Expression, w *Write) *string {
	if w.cond == nil {
		return nil
	}
	return e.Condition()
}

// TransactItem returns the write as one item of a TransactWriteItems call,
// asking for the current item when its condition fails. Its maps (the item,
// the key, the expression attribute names and values) may be shared with
// the repository's other writes: send them, do not modify them.
func (w *Write) TransactItem() (types.TransactWriteItem, error) {
	e, has, err := w.expr()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	var names map[string]string
	var values map[string]types.AttributeValue
	if has {
		names, values = e.Names(), e.Values()
	}
	old := types.ReturnValuesOnConditionCheckFailureAllOld
	switch w.op {
	case opPut:
		return types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(w.table), Item: w.item, ConditionExpression: condPtr(e, w),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValuesOnConditionCheckFailure: old,
		}}, nil
	case opUpdate:
		return types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(w.table), Key: w.key, UpdateExpression: e.Update(),
			ConditionExpression: condPtr(e, w), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValuesOnConditionCheckFailure: old,
		}}, nil
	case opDelete:
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(w.table), Key: w.key, ConditionExpression: condPtr(e, w),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValuesOnConditionCheckFailure: old,
		}}, nil
	default:
		if w.cond == nil {
			return types.TransactWriteItem{}, errors.New("repository: condition check without a condition")
		}
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(w.table), Key: w.key, ConditionExpression: e.Condition(),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValuesOnConditionCheckFailure: old,
		}}, nil
	}
}

// ConditionFailure turns a failed condition of this write, with the item as
// it was (nil if absent), into the typed error a caller should see.
func (w *Write) ConditionFailure(current map[string]types.AttributeValue, cause error) error {
	if w.fail != nil {
		return w.fail(current, cause)
	}
	if len(current) == 0 {
		current = nil
	}
	if current != nil && w.foreign != nil && w.foreign(current) {
		// Another entity type's item has the key: there is no item of
		// this one, and the other's is not handed over to be decoded.
		if w.op == opPut && w.notFound == nil {
			// A put would replace it: the key is taken.
			return &ConditionError{Table: w.table, Key: w.key, Sentinel: ErrAlreadyExists,
				Err: fmt.Errorf("the item there is of another entity type: %w", cause)}
		}
		current = nil
	}
	if current == nil && w.absentOK {
		return nil
	}
	for attr, b := range w.bounds {
		if current != nil && collectionLen(current[attr])+b.added > b.bound {
			return &GrowthError{Attribute: attr, Len: collectionLen(current[attr]) + b.added, Bound: b.bound}
		}
	}
	sentinel := w.onFail
	switch {
	case current == nil && w.notFound != nil:
		sentinel = w.notFound
	case current != nil && w.expect != nil && !versionIs(current[w.versionAttr], *w.expect):
		sentinel = ErrVersionConflict
	}
	if sentinel == nil {
		sentinel = ErrConditionFailed
	}
	return &ConditionError{Table: w.table, Key: w.key, Item: current, Sentinel: sentinel, Err: cause}
}

// send performs a single write and returns the attributes DynamoDB returned
// (ALL_NEW for updates), or nil when it was sent as a transaction, which
// returns none.
func (r *Repository[T]) send(ctx context.Context, w *Write, c call) (map[string]types.AttributeValue, error) {
	if len(w.companions) > 0 || c.token != "" || w.retryUnsafe && !r.s.retryUnsafe && !c.retryUnsafe {
		// One TransactWriteItems under an idempotency token: the SDK's
		// retries after a lost response are answered with success, not
		// applied again. transact runs w.Committed on success.
		return nil, r.transactOne(ctx, w, c)
	}
	e, has, err := w.expr()
	if err != nil {
		return nil, err
	}
	var names map[string]string
	var values map[string]types.AttributeValue
	if has {
		names, values = e.Names(), e.Values()
	}
	rcc := r.wantCapacity(c)
	old := types.ReturnValuesOnConditionCheckFailureAllOld
	var (
		attrs map[string]types.AttributeValue
		cc    *types.ConsumedCapacity
		op    string
	)
	switch w.op {
	case opPut:
		op = "PutItem"
		var out *dynamodb.PutItemOutput
		out, err = r.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(w.table), Item: w.item, ConditionExpression: condPtr(e, w),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnConsumedCapacity: rcc, ReturnValuesOnConditionCheckFailure: old,
		}, c.sdk...)
		if out != nil {
			cc = out.ConsumedCapacity
		}
	case opUpdate:
		op = "UpdateItem"
		var out *dynamodb.UpdateItemOutput
		out, err = r.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(w.table), Key: w.key, UpdateExpression: e.Update(),
			ConditionExpression: condPtr(e, w), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValues: types.ReturnValueAllNew, ReturnConsumedCapacity: rcc, ReturnValuesOnConditionCheckFailure: old,
		}, c.sdk...)
		if out != nil {
			attrs, cc = out.Attributes, out.ConsumedCapacity
		}
	case opDelete:
		op = "DeleteItem"
		var out *dynamodb.DeleteItemOutput
		out, err = r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(w.table), Key: w.key, ConditionExpression: condPtr(e, w),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnConsumedCapacity: rcc, ReturnValuesOnConditionCheckFailure: old,
		}, c.sdk...)
		if out != nil {
			cc = out.ConsumedCapacity
		}
	default:
		return nil, errors.New("repository: a condition check is sent only inside a transaction")
	}
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			if err := w.ConditionFailure(ccf.Item, err); err != nil {
				return nil, err
			}
			w.Committed()
			return nil, nil
		}
		return nil, fmt.Errorf("repository: %s %q: %w", op, w.table, err)
	}
	r.report(ctx, c, op, cc)
	w.Committed()
	return attrs, nil
}

func (r *Repository[T]) wantCapacity(c call) types.ReturnConsumedCapacity {
	if r.s.capacity != nil || c.capacity != nil {
		return types.ReturnConsumedCapacityIndexes
	}
	return ""
}

// report passes consumed capacity to the hook and the call's destination.
func (r *Repository[T]) report(ctx context.Context, c call, op string, ccs ...*types.ConsumedCapacity) {
	if r.s.capacity == nil && c.capacity == nil {
		return
	}
	capy := Capacity{Operation: op, Table: r.table.Name}
	for _, cc := range ccs {
		if cc != nil {
			capy.add(*cc)
		}
	}
	if c.capacity != nil {
		c.capacity.Operation, c.capacity.Table = op, r.table.Name
		c.capacity.merge(capy)
	}
	if r.s.capacity != nil {
		r.s.capacity(ctx, capy)
	}
}

// add adds one table's or index's consumed capacity.
func (c *Capacity) add(cc types.ConsumedCapacity) {
	c.Units += aws.ToFloat64(cc.CapacityUnits)
	c.Read += aws.ToFloat64(cc.ReadCapacityUnits)
	c.Write += aws.ToFloat64(cc.WriteCapacityUnits)
	c.Detail = append(c.Detail, cc)
}

// merge adds the units and detail of o.
func (c *Capacity) merge(o Capacity) {
	c.Units += o.Units
	c.Read += o.Read
	c.Write += o.Write
	c.Detail = append(c.Detail, o.Detail...)
}

// addCapacity adds what one call consumed to *dst, naming the operation
// and, when one table was written, the table.
func addCapacity(dst *Capacity, op, table string, ccs []types.ConsumedCapacity) {
	dst.Operation, dst.Table = op, table
	for _, cc := range ccs {
		dst.add(cc)
	}
}
