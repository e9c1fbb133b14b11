// Package problem turns the library's errors into HTTP responses: a status
// code and a short problem details body (RFC 9457,
// application/problem+json) that says what a client may act on, without the
// table names, keys and request ids the error carries for logs.
//
// Every service built on the library writes the same mapping from its
// sentinels to statuses; this package is that mapping, in one place:
//
//	c, err := companies.Get(ctx, id)
//	if err != nil {
//		p := problem.From(err)
//		if p.Status >= 500 {
//			logger.ErrorContext(ctx, "get company", "error", err) // the whole chain, for logs
//		}
//		problem.Write(w, p)
//		return
//	}
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// ContentType is the media type of a problem details body.
const ContentType = "application/problem+json"

// Details is a problem details object (RFC 9457). Its JSON form holds the
// standard members and, beside them, Code and the members of Extra.
type Details struct {
	// Type is a URI naming the problem type; "about:blank" when the
	// status says it all.
	Type string
	// Title is a short summary of the problem type: the status text.
	Title string
	// Status is the HTTP status code.
	Status int
	// Detail explains this occurrence for a client: never table names,
	// keys or request ids.
	Detail string
	// Code names the condition for programs: "not_found",
	// "version_conflict", "duplicate", and so on (see [From]).
	Code string
	// Instance is a URI of this occurrence, if the caller sets one.
	Instance string
	// RetryAfter, when positive, is sent as the Retry-After header, in
	// seconds (throttling, transaction conflicts).
	RetryAfter int
	// Extra holds extension members the caller adds, such as the current
	// item of a version conflict. Standard members take precedence.
	Extra map[string]any
}

// MarshalJSON writes the standard members, Code, and Extra.
func (d Details) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 6+len(d.Extra))
	maps.Copy(m, d.Extra)
	m["type"] = d.Type
	m["title"] = d.Title
	m["status"] = d.Status
	if d.Detail != "" {
		m["detail"] = d.Detail
	}
	if d.Code != "" {
		m["code"] = d.Code
	}
	if d.Instance != "" {
		m["instance"] = d.Instance
	}
	return json.Marshal(m)
}

// With returns d with the extension member name set to v.
func (d Details) With(name string, v any) Details {
	d.Extra = maps.Clone(d.Extra)
	if d.Extra == nil {
		d.Extra = map[string]any{}
	}
	d.Extra[name] = v
	return d
}

// From maps err to the problem a client should see:
//
//	repository.ErrNotFound                        404 not_found
//	repository.ErrInvalidID, ErrParentRequired    400 invalid_id
//	repository.ErrInvalidCursor                   400 invalid_cursor
//	index.ErrInvalidPattern                       400 invalid_query
//	repository.ErrInvalidValue, ErrInvalidUpdate  422 invalid_value
//	repository.ErrCollectionTooLarge              422 collection_too_large
//	repository.ErrIdempotentParameterMismatch     422 idempotency_key_reused
//	repository.ErrItemTooLarge                    413 item_too_large
//	repository.ErrDuplicate                       409 duplicate
//	repository.ErrAlreadyExists                   409 already_exists
//	repository.ErrVersionConflict                 412 version_conflict
//	repository.ErrVersionRequired                 428 version_required
//	repository.ErrConditionFailed                 409 condition_failed
//	repository.ErrThrottled, ErrTransactionConflict,
//	  DynamoDB's throttling exceptions            503 throttled (Retry-After: 1)
//	context.DeadlineExceeded                      504 timeout
//	anything else, nil included                   500 internal
//
// A version conflict is 412 because versions travel as ETags: a write
// carries the version it read in If-Match, and a stale one fails its
// precondition; a write without one is 428. Details of the client's own
// input (which unique value is taken, which attribute is refused, how large
// the item is) are in Detail; nothing else of the error is.
func From(err error) Details {
	var (
		ue *repository.UniqueError
		ve *repository.ValueError
		ie *repository.IDError
		te *repository.ItemTooLargeError
		ge *repository.GrowthError
		up *repository.UpdateError
	)
	switch {
	case err == nil:
		return problem(http.StatusInternalServerError, "internal", "no error was given")
	case errors.Is(err, repository.ErrNotFound):
		return problem(http.StatusNotFound, "not_found", "no such item")
	case errors.As(err, &ie):
		return problem(http.StatusBadRequest, "invalid_id", fmt.Sprintf("invalid id %q: %s", ie.ID, ie.Reason))
	case errors.Is(err, repository.ErrInvalidID), errors.Is(err, repository.ErrParentRequired):
		return problem(http.StatusBadRequest, "invalid_id", "invalid id")
	case errors.Is(err, repository.ErrInvalidCursor):
		return problem(http.StatusBadRequest, "invalid_cursor", "invalid cursor: start again from the first page")
	case errors.Is(err, index.ErrInvalidPattern):
		return problem(http.StatusBadRequest, "invalid_query", "this query cannot be served")
	case errors.As(err, &ve):
		return problem(http.StatusUnprocessableEntity, "invalid_value", valueDetail(ve.Attribute, ve.Reason))
	case errors.As(err, &up):
		return problem(http.StatusUnprocessableEntity, "invalid_value", valueDetail(up.Attribute, up.Reason))
	case errors.Is(err, repository.ErrInvalidValue), errors.Is(err, repository.ErrInvalidUpdate):
		return problem(http.StatusUnprocessableEntity, "invalid_value", "invalid value")
	case errors.As(err, &ge):
		return problem(http.StatusUnprocessableEntity, "collection_too_large",
			fmt.Sprintf("%q may hold at most %d elements", ge.Attribute, ge.Bound))
	case errors.Is(err, repository.ErrIdempotentParameterMismatch):
		return problem(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this idempotency key was used for another request")
	case errors.As(err, &te):
		d := problem(http.StatusRequestEntityTooLarge, "item_too_large", fmt.Sprintf("the item may be at most %d bytes", te.Limit))
		if te.Size > 0 {
			d.Detail = fmt.Sprintf("the item is %d bytes; it may be at most %d", te.Size, te.Limit)
		}
		return d
	case errors.Is(err, repository.ErrItemTooLarge):
		return problem(http.StatusRequestEntityTooLarge, "item_too_large", "the item is too large")
	case errors.As(err, &ue):
		return problem(http.StatusConflict, "duplicate", fmt.Sprintf("%s %q is already taken", ue.Attribute, ue.Value))
	case errors.Is(err, repository.ErrDuplicate):
		return problem(http.StatusConflict, "duplicate", "a unique value is already taken")
	case errors.Is(err, repository.ErrAlreadyExists):
		return problem(http.StatusConflict, "already_exists", "the item exists already")
	case errors.Is(err, repository.ErrVersionConflict):
		return problem(http.StatusPreconditionFailed, "version_conflict", "the item has changed since it was read")
	case errors.Is(err, repository.ErrVersionRequired):
		return problem(http.StatusPreconditionRequired, "version_required", "say which version was read (If-Match)")
	case errors.Is(err, repository.ErrConditionFailed):
		return problem(http.StatusConflict, "condition_failed", "the item is not in the state the request needs")
	case throttled(err):
		d := problem(http.StatusServiceUnavailable, "throttled", "too many requests at once; try again shortly")
		d.RetryAfter = 1
		return d
	case errors.Is(err, context.DeadlineExceeded):
		return problem(http.StatusGatewayTimeout, "timeout", "the request took too long")
	}
	return problem(http.StatusInternalServerError, "internal", "internal error")
}

// Write writes d as the response: its status, the problem+json content
// type, Retry-After when set, and the JSON body. It returns the error of
// writing the body, for callers that log it.
func Write(w http.ResponseWriter, d Details) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("problem: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	if d.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
	w.WriteHeader(d.Status)
	_, err = w.Write(append(body, '\n'))
	return err
}

// New returns the problem of status, with code and detail, for a service's
// own conditions (a malformed request body, a missing header).
func New(status int, code, detail string) Details { return problem(status, code, detail) }

func problem(status int, code, detail string) Details {
	return Details{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

func valueDetail(attr, reason string) string {
	if attr == "" {
		return reason
	}
	return fmt.Sprintf("%q: %s", attr, reason)
}

// throttled reports the library's and DynamoDB's throttling and
// contention errors, which a retry later may get past.
func throttled(err error) bool {
	var (
		pte *types.ProvisionedThroughputExceededException
		rle *types.RequestLimitExceeded
		te  *types.ThrottlingException
	)
	return errors.Is(err, repository.ErrThrottled) || errors.Is(err, repository.ErrTransactionConflict) ||
		errors.As(err, &pte) || errors.As(err, &rle) || errors.As(err, &te)
}
