// Package profile is the company profile service of the examples: Service 1
// of the data synchronization pattern. It owns the companies table, serves
// it over a REST API (direct access, pattern 1) and publishes changes to a
// company's name to SNS from the table's stream, for the services that keep
// a copy of it (pattern 3). It knows nothing of those services.
package profile

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/problem"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// Company is a company's profile. It carries what its reads need
// (principle 2); its id is a generated UUID and its registration number is
// unique across the table (principle 1); nameLower is kept for
// case-insensitive lookups on every write (principle 4).
type Company struct {
	ID           string `dynamodbav:"id" json:"id"`
	Name         string `dynamodbav:"name" json:"name"`
	NameLower    string `dynamodbav:"nameLower,omitempty" json:"-"`
	Industry     string `dynamodbav:"industry" json:"industry"`
	Registration string `dynamodbav:"registrationNo,omitempty" json:"registrationNo,omitempty"`
	Employees    int    `dynamodbav:"employees" json:"employees"`
	CreatedAt    string `dynamodbav:"createdAt" json:"createdAt"`
	Version      int64  `dynamodbav:"version" json:"version"`
}

// createdAtLayout formats createdAt, ByIndustry's sort key, at a fixed
// width: RFC3339Nano drops trailing zeros, and "…00.5Z" sorts after
// "…00.55Z".
const createdAtLayout = "2006-01-02T15:04:05.000000000Z07:00"

// ByIndustry lists an industry's companies, newest first, from a narrow
// index projection (principles 8 and 10).
var ByIndustry = index.AccessPattern{
	Name:       "companies by industry, newest first",
	Index:      "by-industry",
	Descending: true,
	Reads:      []string{"id", "name", "industry", "createdAt"},
}

// Table declares the companies table: one entity type in a single-table
// layout, an index for ByIndustry, and a stream with both images for the
// sync publisher.
func Table(name string) index.Table {
	return index.Table{
		Name:         name,
		PartitionKey: index.S("pk"),
		SortKey:      index.S("sk"),
		Indexes: []index.Index{{
			Name:         "by-industry",
			PartitionKey: index.S("industry"),
			SortKey:      index.S("createdAt"),
			Projection:   index.Include("id", "name"),
		}},
		Stream:   types.StreamViewTypeNewAndOldImages,
		Patterns: []index.AccessPattern{ByIndustry},
	}
}

// Service is the profile service.
type Service struct {
	companies *repository.Repository[Company]
	now       func() time.Time
}

// New returns the service over table, which must exist (see [index.Create]).
// Every instance behind one API must share cursorSecret (16 bytes or more).
func New(db repository.Client, table index.Table, cursorSecret []byte) (*Service, error) {
	companies, err := repository.New[Company](db, table,
		repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.WithVersion("version"),
		repository.WithUnique("registrationNo"),
		repository.Derive("nameLower", func(c *Company) any { return strings.ToLower(c.Name) }, "name"),
		repository.WithCursorSecret(cursorSecret),
	)
	if err != nil {
		return nil, err
	}
	return &Service{companies: companies, now: time.Now}, nil
}

// NewPublisher returns the publisher of the service's changes: only changes
// to a company's name are published, with the id subscribers find their copy
// by and the version that orders the changes. It reads the table's stream,
// not the table, so it needs no Service.
func NewPublisher(client tssync.SNSClient, topicARN string, opts ...tssync.PublisherOption) *tssync.Publisher {
	return tssync.NewPublisher(client, topicARN, append([]tssync.PublisherOption{
		tssync.WithAttributes("name"),
		tssync.WithCarried("id"),
		tssync.WithVersionAttribute("version"),
	}, opts...)...)
}

// Handler returns the REST API:
//
//	POST   /companies                     create; 201 with the company and its ETag
//	GET    /companies/{id}                read (?consistent=true for a strong read)
//	PATCH  /companies/{id}                change name, industry or employees; needs If-Match
//	DELETE /companies/{id}                delete; needs If-Match
//	GET    /industries/{industry}/companies?limit=&cursor=   newest first, a page
//
// The ETag is the company's version: a write with a stale If-Match gets 412
// with the current company, so the client can merge and retry.
func (s *Service) Handler(logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &api{s: s, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /companies", h.create)
	mux.HandleFunc("GET /companies/{id}", h.get)
	mux.HandleFunc("PATCH /companies/{id}", h.patch)
	mux.HandleFunc("DELETE /companies/{id}", h.delete)
	mux.HandleFunc("GET /industries/{industry}/companies", h.list)
	return mux
}

type api struct {
	s   *Service
	log *slog.Logger
}

func (h *api) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name         string `json:"name"`
		Industry     string `json:"industry"`
		Registration string `json:"registrationNo"`
		Employees    int    `json:"employees"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" || in.Industry == "" {
		writeError(w, http.StatusBadRequest, "want JSON with name and industry")
		return
	}
	c := Company{
		Name: in.Name, Industry: in.Industry, Registration: in.Registration, Employees: in.Employees,
		CreatedAt: h.s.now().UTC().Format(createdAtLayout),
	}
	if err := h.s.companies.Create(r.Context(), &c); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/companies/"+c.ID)
	writeCompany(w, http.StatusCreated, c)
}

func (h *api) get(w http.ResponseWriter, r *http.Request) {
	var opts []repository.CallOption
	if r.URL.Query().Get("consistent") == "true" {
		opts = append(opts, repository.ConsistentRead())
	}
	c, err := h.s.companies.Get(r.Context(), r.PathValue("id"), opts...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeCompany(w, http.StatusOK, c)
}

func (h *api) patch(w http.ResponseWriter, r *http.Request) {
	version, ok := ifMatch(w, r)
	if !ok {
		return
	}
	var in struct {
		Name      *string `json:"name"`
		Industry  *string `json:"industry"`
		Employees *int    `json:"employees"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "want a JSON object")
		return
	}
	var ch repository.Changes
	if in.Name != nil {
		if *in.Name == "" {
			writeError(w, http.StatusBadRequest, "name must not be empty")
			return
		}
		ch = ch.Set("name", *in.Name)
	}
	if in.Industry != nil {
		ch = ch.Set("industry", *in.Industry)
	}
	if in.Employees != nil {
		ch = ch.Set("employees", *in.Employees)
	}
	c, err := h.s.companies.Update(r.Context(), r.PathValue("id"), ch, repository.IfVersion(version))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeCompany(w, http.StatusOK, c)
}

func (h *api) delete(w http.ResponseWriter, r *http.Request) {
	version, ok := ifMatch(w, r)
	if !ok {
		return
	}
	if err := h.s.companies.Delete(r.Context(), r.PathValue("id"), repository.IfVersion(version)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *api) list(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "limit must be 1 to 100")
			return
		}
		limit = n
	}
	page, next, err := h.s.companies.Page(r.Context(), ByIndustry.Partition(r.PathValue("industry")),
		repository.Cursor(r.URL.Query().Get("cursor")), repository.Limit(limit))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if page == nil {
		page = []Company{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"companies": page, "next": next})
}

// ifMatch reads the version a write expects from If-Match.
func ifMatch(w http.ResponseWriter, r *http.Request) (int64, bool) {
	v, err := strconv.ParseInt(strings.Trim(r.Header.Get("If-Match"), `"`), 10, 64)
	if err != nil || v < 1 {
		writeError(w, http.StatusPreconditionRequired, "If-Match with the company's ETag is required")
		return 0, false
	}
	return v, true
}

// fail answers with the problem the library's error stands for
// (problem.From); a version conflict also carries the current company and
// its ETag, so that the client can merge and retry.
func (h *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.From(err)
	var ce *repository.ConditionError
	if errors.Is(err, repository.ErrVersionConflict) && errors.As(err, &ce) {
		if cur, derr := h.s.companies.Decode(ce.Item); derr == nil {
			w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(cur.Version, 10)))
			p = p.With("current", cur)
		}
	}
	if p.Status >= http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "profile: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	_ = problem.Write(w, p)
}

func writeCompany(w http.ResponseWriter, status int, c Company) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(c.Version, 10)))
	writeJSON(w, status, c)
}

// writeError answers with a problem of the service's own: a request it
// cannot take.
func writeError(w http.ResponseWriter, status int, msg string) {
	code := "bad_request"
	if status == http.StatusPreconditionRequired {
		code = "version_required"
	}
	_ = problem.Write(w, problem.New(status, code, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Companies returns the service's repository, for the service's own jobs.
func (s *Service) Companies() *repository.Repository[Company] { return s.companies }
