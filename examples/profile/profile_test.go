package profile

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tablestakes/tablestakes/ddbtest"
)

// TestNewestFirstAcrossTrailingZeros: companies are listed by createdAt,
// a string; times with trailing zeros must still sort by time.
func TestNewestFirstAcrossTrailingZeros(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	svc, err := New(db, ddbtest.Table(t, db, Table("companies")), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	times := []time.Time{t0.Add(500 * time.Millisecond), t0.Add(550 * time.Millisecond)}
	var n atomic.Int32
	svc.now = func() time.Time { return times[n.Add(1)-1] }
	srv := httptest.NewServer(svc.Handler(nil))
	defer srv.Close()
	for _, name := range []string{"Older", "Newer"} {
		resp, err := http.Post(srv.URL+"/companies", "application/json",
			strings.NewReader(`{"name":"`+name+`","industry":"fintech"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s = %d", name, resp.StatusCode)
		}
	}
	resp, err := http.Get(srv.URL + "/industries/fintech/companies")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Companies []Company }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range page.Companies {
		names = append(names, c.Name+" "+c.CreatedAt)
	}
	if len(names) != 2 || !strings.HasPrefix(names[0], "Newer") {
		t.Errorf("companies newest first = %q; want Newer first", names)
	}
}

// TestProblems: the service answers the library's errors through
// problem.From — status, problem+json and a short detail — for not found,
// version conflict, duplicate, invalid id and item too large.
func TestProblems(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	svc, err := New(db, ddbtest.Table(t, db, Table("companies")), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler(nil))
	defer srv.Close()
	do := func(method, path, body, ifMatch string) (*http.Response, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	resp, acme := do("POST", "/companies", `{"name":"Acme","industry":"fintech","registrationNo":"NO-1"}`, "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d %v", resp.StatusCode, acme)
	}
	id := acme["id"].(string)
	if resp, _ := do("PATCH", "/companies/"+id, `{"name":"Acme Ltd"}`, `"1"`); resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH = %d", resp.StatusCode)
	}
	tests := []struct {
		name, method, path, body, ifMatch string
		status                            int
		code, detail                      string
	}{
		{"not found", "GET", "/companies/0193a8c2-7a4e-7d3c-9f00-0123456789ab", "", "", 404, "not_found", "no such item"},
		{"version conflict", "PATCH", "/companies/" + id, `{"name":"Stale"}`, `"1"`, 412, "version_conflict", "changed since it was read"},
		{"duplicate", "POST", "/companies", `{"name":"Copy","industry":"x","registrationNo":"NO-1"}`, "", 409, "duplicate", `registrationNo "NO-1" is already taken`},
		{"invalid id", "GET", "/companies/42", "", "", 400, "invalid_id", `invalid id "42"`},
		{"item too large", "POST", "/companies", `{"name":"` + strings.Repeat("x", 410*1024) + `","industry":"x"}`, "", 413, "item_too_large", "may be at most 409600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(tt.method, tt.path, tt.body, tt.ifMatch)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s = %d %s; want %d application/problem+json", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.status)
			}
			if body["code"] != tt.code || !strings.Contains(fmt.Sprint(body["detail"]), tt.detail) || body["status"] != float64(tt.status) {
				t.Errorf("%s %s body = %v; want code %s, a detail with %q", tt.method, tt.path, body, tt.code, tt.detail)
			}
			if strings.Contains(fmt.Sprint(body), "companies-") {
				t.Errorf("body %v names the table", body)
			}
		})
	}
	// The conflict carries the current company and its ETag.
	resp, body := do("PATCH", "/companies/"+id, `{"name":"Stale"}`, `"1"`)
	if cur, _ := body["current"].(map[string]any); cur["name"] != "Acme Ltd" || resp.Header.Get("ETag") != `"2"` {
		t.Errorf("412 current = %v, ETag %s; want Acme Ltd at \"2\"", body["current"], resp.Header.Get("ETag"))
	}
}
