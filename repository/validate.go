package repository

import (
	"errors"
	"fmt"
)

// ErrInvalidValue reports a value DynamoDB would refuse or store altered,
// refused before any request. See [*ValueError].
var ErrInvalidValue = errors.New("repository: invalid value")

// MaxPageSize is the largest [Limit] [Repository.Page] accepts: a page is
// one response of an HTTP handler, not a bulk read (use [Repository.Query]).
const MaxPageSize = 1000

// ValueError reports a value the repository refuses before any request,
// because DynamoDB would refuse it or store something else: invalid UTF-8,
// a number over 38 significant digits or out of range, NaN or an infinity,
// an empty set or one with duplicates, an attribute name over 64 KB, nesting
// over 32 levels, a key over DynamoDB's byte limits (2048 bytes for a
// partition key, 1024 for a sort key), a time outside years 0000-9999.
type ValueError struct {
	// Attribute is the document path of the value, such as "name",
	// "address.city" or "tags[2]"; empty when unknown.
	Attribute string
	Reason    string
}

// Error describes the failure.
func (e *ValueError) Error() string {
	if e.Attribute == "" {
		return "repository: invalid value: " + e.Reason
	}
	return fmt.Sprintf("repository: invalid value of %q: %s", e.Attribute, e.Reason)
}

// Is makes a ValueError match [ErrInvalidValue].
func (e *ValueError) Is(target error) bool { return target == ErrInvalidValue }

// WithAttributes declares attributes that items hold besides the model's
// fields, such as a TTL attribute that only an Update sets. [Repository.Update]
// refuses a change to a top-level attribute that is neither a field of the
// model, a key or index attribute, nor declared here: a misspelt name would
// otherwise be written as a stray attribute. Nested paths ([Changes.SetPath])
// inside a declared map attribute are free-form.
func WithAttributes(attrs ...string) Option {
	return func(s *settings) { s.attrs = append(s.attrs, attrs...) }
}
