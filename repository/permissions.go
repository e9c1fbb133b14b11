package repository

import (
	"slices"

	"github.com/tablestakes/tablestakes/policy"
)

// Method names a [Repository] method, or methods that send the same
// requests, for [Repository.Permissions].
type Method int

// The methods, with the IAM actions each needs on the repository's table.
// A transaction is authorised item by item, so Create sent as a
// TransactWriteItems needs PutItem, not an action of its own.
const (
	// MethodGet is Get: GetItem.
	MethodGet Method = iota + 1
	// MethodQuery is Query, Page and a [Collection]'s reads: Query, on the
	// base table when one of the table's access patterns reads it, and on
	// each index a pattern names.
	MethodQuery
	// MethodCreate is Create and PlanCreate: PutItem (the item and its
	// unique guards).
	MethodCreate
	// MethodPut is Put and PlanPut: PutItem; with unique attributes also
	// GetItem (the current item) and DeleteItem (guards released).
	MethodPut
	// MethodUpdate is Update: UpdateItem, and GetItem to read the item back
	// after an update sent as a transaction (unless built
	// [WithRetryUnsafeWrites] without unique attributes); with unique
	// attributes also PutItem and DeleteItem (guards moved).
	MethodUpdate
	// MethodPlanUpdate is PlanUpdate, for a transaction sent by other
	// code: UpdateItem; with unique attributes also GetItem, PutItem and
	// DeleteItem.
	MethodPlanUpdate
	// MethodDelete is Delete and PlanDelete: DeleteItem; with unique
	// attributes also GetItem.
	MethodDelete
	// MethodCheck is PlanCheck: ConditionCheckItem.
	MethodCheck
	// MethodBatchGet is BatchGet: BatchGetItem.
	MethodBatchGet
	// MethodBatchWrite is BatchPut and BatchDelete: BatchWriteItem.
	MethodBatchWrite
	// MethodScan is Scan: Scan, granted only to a repository built
	// [WithScan] — without it Scan sends nothing.
	MethodScan
	// MethodBackfill is BackfillEntityType: Scan and UpdateItem, for a
	// maintenance task's own role.
	MethodBackfill
)

// Permissions returns the IAM access the given methods of r need, as
// [policy.Access] values for [policy.New]: the actions on r's table, and
// Query on the indexes the table's access patterns read. With no methods it
// returns what every method but BackfillEntityType needs (Scan only when
// built [WithScan]). Methods a repository cannot send, such as Scan
// without [WithScan], add nothing.
func (r *Repository[T]) Permissions(methods ...Method) []policy.Access {
	if len(methods) == 0 {
		methods = []Method{MethodGet, MethodQuery, MethodCreate, MethodPut, MethodUpdate, MethodPlanUpdate,
			MethodDelete, MethodCheck, MethodBatchGet, MethodBatchWrite, MethodScan}
	}
	unique := len(r.s.uniques) > 0
	var actions []string
	add := func(a ...string) {
		for _, x := range a {
			actions = append(actions, "dynamodb:"+x)
		}
	}
	var query bool
	for _, m := range methods {
		switch m {
		case MethodGet:
			add("GetItem")
		case MethodQuery:
			query = true
		case MethodCreate:
			add("PutItem")
		case MethodPut:
			add("PutItem")
			if unique {
				add("GetItem", "DeleteItem")
			}
		case MethodUpdate:
			add("UpdateItem")
			if !r.s.retryUnsafe || unique {
				add("GetItem")
			}
			if unique {
				add("PutItem", "DeleteItem")
			}
		case MethodPlanUpdate:
			add("UpdateItem")
			if unique {
				add("GetItem", "PutItem", "DeleteItem")
			}
		case MethodDelete:
			add("DeleteItem")
			if unique {
				add("GetItem")
			}
		case MethodCheck:
			add("ConditionCheckItem")
		case MethodBatchGet:
			add("BatchGetItem")
		case MethodBatchWrite:
			add("BatchWriteItem")
		case MethodScan:
			if r.s.scan {
				add("Scan")
			}
		case MethodBackfill:
			add("Scan", "UpdateItem")
		}
	}
	var out []policy.Access
	name := r.table.Name
	var indexes []string
	if query {
		for _, p := range r.table.Patterns {
			if p.Index == "" {
				add("Query")
			} else if !slices.Contains(indexes, p.Index) {
				indexes = append(indexes, p.Index)
			}
		}
	}
	if len(actions) > 0 {
		slices.Sort(actions)
		out = append(out, policy.TableAccess(name, slices.Compact(actions)...))
	}
	for _, ix := range indexes {
		out = append(out, policy.IndexAccess(name, ix, "dynamodb:Query"))
	}
	return out
}
