package policy

import (
	"errors"
	"fmt"
)

// Sentinel errors; match them with [errors.Is].
var (
	// ErrInvalidAccess reports an [Access] that cannot be a least-privilege
	// grant. [*AccessError] matches it.
	ErrInvalidAccess = errors.New("policy: invalid access")
	// ErrEmpty reports a policy with no access: IAM refuses a policy
	// document without statements.
	ErrEmpty = errors.New("policy: no access to grant")
)

// AccessError says what is wrong with one [Access].
type AccessError struct {
	Resource Resource // the resource of the access
	Reason   string   // what is wrong
}

// Error describes the failure.
func (e *AccessError) Error() string {
	return fmt.Sprintf("policy: access to %s %q: %s", e.Resource.Kind, e.Resource.Name, e.Reason)
}

// Is makes an AccessError match [ErrInvalidAccess].
func (e *AccessError) Is(target error) bool { return target == ErrInvalidAccess }
