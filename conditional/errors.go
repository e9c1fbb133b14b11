package conditional

import "github.com/tablestakes/tablestakes/repository"

// The conditions callers branch on. They are the repository's sentinels,
// re-exported so that code using this package reads naturally; errors.Is
// matches either name.
var (
	// ErrVersionConflict: the item was written by someone else since it was read.
	ErrVersionConflict = repository.ErrVersionConflict
	// ErrVersionRequired: a write to a versioned model did not say which version it expects.
	ErrVersionRequired = repository.ErrVersionRequired
	// ErrConditionFailed: a write's condition did not hold.
	ErrConditionFailed = repository.ErrConditionFailed
	// ErrDuplicate: a unique attribute's value is held by another item.
	ErrDuplicate = repository.ErrDuplicate
	// ErrTransactionCanceled: DynamoDB canceled a transaction; nothing was written.
	ErrTransactionCanceled = repository.ErrTransactionCanceled
	// ErrTransactionConflict: a transaction kept colliding with concurrent writes.
	ErrTransactionConflict = repository.ErrTransactionConflict
	// ErrInvalidTransaction: a transaction refused before sending.
	ErrInvalidTransaction = repository.ErrInvalidTransaction
)
