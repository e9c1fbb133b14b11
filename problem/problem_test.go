package problem_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/problem"
	"github.com/tablestakes/tablestakes/repository"
)

func TestFrom(t *testing.T) {
	secret := "table \"prod-accounts\" request id 4f1c"
	wrap := func(err error) error { return fmt.Errorf("handler: %s: %w", secret, err) }
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		detail string // a part of Detail
	}{
		{"not found", wrap(repository.ErrNotFound), 404, "not_found", "no such item"},
		{"invalid id", wrap(&repository.IDError{ID: "42", Reason: "not a UUID"}), 400, "invalid_id", `"42"`},
		{"parent required", repository.ErrParentRequired, 400, "invalid_id", ""},
		{"cursor", &repository.CursorError{Reason: "bad signature"}, 400, "invalid_cursor", "first page"},
		{"pattern", wrap(index.ErrInvalidPattern), 400, "invalid_query", ""},
		{"value", wrap(&repository.ValueError{Attribute: "name", Reason: "invalid UTF-8"}), 422, "invalid_value", `"name": invalid UTF-8`},
		{"update", &repository.UpdateError{Attribute: "nmae", Reason: "not an attribute of the model"}, 422, "invalid_value", "nmae"},
		{"growth", &repository.GrowthError{Attribute: "tags", Len: 11, Bound: 10}, 422, "collection_too_large", "at most 10"},
		{"token", wrap(repository.ErrIdempotentParameterMismatch), 422, "idempotency_key_reused", ""},
		{"too large", wrap(&repository.ItemTooLargeError{Table: "prod-accounts", Size: 500000, Limit: 409600}), 413, "item_too_large", "500000 bytes"},
		{"duplicate", wrap(&repository.UniqueError{Table: "prod-accounts", Attribute: "email", Value: "a@x", Owner: "id-1"}), 409, "duplicate", `email "a@x"`},
		{"exists", &repository.ConditionError{Table: "prod-accounts", Sentinel: repository.ErrAlreadyExists}, 409, "already_exists", ""},
		{"version conflict", &repository.ConditionError{Table: "prod-accounts", Sentinel: repository.ErrVersionConflict}, 412, "version_conflict", "changed"},
		{"version required", wrap(repository.ErrVersionRequired), 428, "version_required", "If-Match"},
		{"condition", &repository.ConditionError{Table: "prod-accounts", Sentinel: repository.ErrConditionFailed}, 409, "condition_failed", ""},
		{"throttled", &repository.TxError{Err: repository.ErrThrottled}, 503, "throttled", ""},
		{"sdk throttling", wrap(&types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}), 503, "throttled", ""},
		{"timeout", wrap(context.DeadlineExceeded), 504, "timeout", ""},
		{"other", errors.New(secret), 500, "internal", "internal error"},
		{"nil", nil, 500, "internal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := problem.From(tt.err)
			if d.Status != tt.status || d.Code != tt.code || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("From(%v) = %d %s %q; want %d %s and a detail with %q", tt.err, d.Status, d.Code, d.Detail, tt.status, tt.code, tt.detail)
			}
			if d.Title != http.StatusText(tt.status) || d.Type != "about:blank" {
				t.Errorf("From(%v) title %q type %q; want %q about:blank", tt.err, d.Title, d.Type, http.StatusText(tt.status))
			}
			if strings.Contains(d.Detail, "prod-accounts") || strings.Contains(d.Detail, "4f1c") {
				t.Errorf("From(%v).Detail = %q leaks what is for logs", tt.err, d.Detail)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	d := problem.From(repository.ErrThrottled).With("current", map[string]int{"version": 3})
	d.Instance = "/accounts/1"
	if err := problem.Write(rec, d); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || rec.Header().Get("Content-Type") != problem.ContentType || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Write: %d %q Retry-After %q; want 503 problem+json 1", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Retry-After"))
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"type": "about:blank", "status": 503.0, "code": "throttled", "instance": "/accounts/1",
		"title": "Service Unavailable", "current": map[string]any{"version": 3.0}} {
		if fmt.Sprint(body[k]) != fmt.Sprint(want) {
			t.Errorf("body[%q] = %v; want %v", k, body[k], want)
		}
	}
	// Extension members cannot override standard ones.
	d = problem.From(repository.ErrNotFound).With("status", 200)
	rec = httptest.NewRecorder()
	_ = problem.Write(rec, d)
	if !strings.Contains(rec.Body.String(), `"status":404`) {
		t.Errorf("body %s; want status 404", rec.Body.String())
	}
}

func ExampleFrom() {
	err := fmt.Errorf("rename company: %w", &repository.ConditionError{Table: "prod-companies", Sentinel: repository.ErrVersionConflict})
	p := problem.From(err)
	body, _ := json.Marshal(p)
	fmt.Println(p.Status)
	fmt.Println(string(body))
	// Output:
	// 412
	// {"code":"version_conflict","detail":"the item has changed since it was read","status":412,"title":"Precondition Failed","type":"about:blank"}
}
