package profile

import (
	"encoding/json"
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
