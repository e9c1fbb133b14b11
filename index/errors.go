package index

import (
	"errors"
	"strings"
)

// Sentinel errors; match them with [errors.Is].
var (
	// ErrInvalidDeclaration reports a table declaration that DynamoDB would
	// refuse or that contradicts itself. [*DeclarationError] matches it.
	ErrInvalidDeclaration = errors.New("index: invalid table declaration")
	// ErrUndeclaredIndex reports a reference to an index the table does not declare.
	ErrUndeclaredIndex = errors.New("index: undeclared index")
	// ErrTableMismatch reports a live table that differs from its
	// declaration. [*MismatchError] matches it.
	ErrTableMismatch = errors.New("index: live table does not match its declaration")
	// ErrNoTTLClient reports a table that declares a TTL attribute given
	// to [Create] or [Verify] with a client that lacks the time-to-live
	// operations ([TTLClient]).
	ErrNoTTLClient = errors.New("index: the client cannot manage time to live (it is no TTLClient)")
	// ErrNoBackupClient reports a table that declares point-in-time
	// recovery given to [Create] or [Verify] with a client that lacks the
	// backup operations ([BackupClient]).
	ErrNoBackupClient = errors.New("index: the client cannot manage backups (it is no BackupClient)")
	// ErrInvalidPattern reports an access pattern that cannot run on its table.
	ErrInvalidPattern = errors.New("index: invalid access pattern")
)

// DeclarationError reports what is wrong with a [Table] declaration.
type DeclarationError struct {
	Table  string // the declared table name
	Reason string // what is wrong
	Err    error  // the underlying error, if any
}

// Error describes the failure.
func (e *DeclarationError) Error() string {
	return "index: table " + quote(e.Table) + ": " + e.Reason
}

// Is makes a DeclarationError match [ErrInvalidDeclaration].
func (e *DeclarationError) Is(target error) bool { return target == ErrInvalidDeclaration }

// Unwrap returns the underlying error, if any.
func (e *DeclarationError) Unwrap() error { return e.Err }

// MismatchError lists every difference [Verify] found between a live table
// and its declaration.
type MismatchError struct {
	Table    string   // the table name
	Problems []string // one line per difference
}

// Error describes the failure.
func (e *MismatchError) Error() string {
	return "index: table " + quote(e.Table) + " does not match its declaration: " + strings.Join(e.Problems, "; ")
}

// Is makes a MismatchError match [ErrTableMismatch].
func (e *MismatchError) Is(target error) bool { return target == ErrTableMismatch }

func quote(s string) string { return `"` + s + `"` }
