package repository_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// labels names ids in failure messages by the position of their item, so
// that a message reads "[#3 #1 absent]" rather than a list of UUIDs.
type labels map[string]string

func (l labels) of(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = l[id]
		if out[i] == "" {
			out[i] = "absent"
		}
	}
	return out
}

func reversed(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func idsOf[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// TestBatchGetProjectionKeepsTheID: a projected BatchGet reads the id (and
// the parent of a child model) with the attributes asked, each once, so
// that the items can be told apart.
func TestBatchGetProjectionKeepsTheID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	companies, cc := itRepo(t)
	decl := companies.Table()
	reports, err := repository.New[itReport](cc, decl,
		repository.WithParent("companyId"), repository.WithKeys("COMPANY#{companyId}", "REPORT#{id}"))
	if err != nil {
		t.Fatal(err)
	}
	client := ddbtest.DynamoDB(t)
	plains, err := repository.New[plain](client, ddbtest.Table(t, client, index.Table{Name: "plain", PartitionKey: index.S("id")}))
	if err != nil {
		t.Fatal(err)
	}

	acme := itCompany{Name: "Acme", Industry: "fintech", Founded: "2001", Employees: 12}
	if err := companies.Create(ctx, &acme); err != nil {
		t.Fatalf("Create: %v", err)
	}
	q1 := itReport{CompanyID: acme.ID, Title: "2026 Q1"}
	if err := reports.Create(ctx, &q1); err != nil {
		t.Fatalf("Create: %v", err)
	}
	p := plain{Email: "a@example.com", Label: "x", Version: 3}
	if err := plains.Create(ctx, &p); err != nil {
		t.Fatalf("Create: %v", err)
	}

	tests := []struct {
		name    string
		project []string
		get     func(opts ...repository.CallOption) (any, error)
		want    any
	}{
		{
			name: "company, name only", project: []string{"name"},
			get:  func(o ...repository.CallOption) (any, error) { return companies.BatchGet(ctx, []string{acme.ID}, o...) },
			want: []itCompany{{ID: acme.ID, Name: "Acme"}},
		},
		{
			name: "company, id named too", project: []string{"id", "name", "employees"},
			get:  func(o ...repository.CallOption) (any, error) { return companies.BatchGet(ctx, []string{acme.ID}, o...) },
			want: []itCompany{{ID: acme.ID, Name: "Acme", Employees: 12}},
		},
		{
			name: "company, key attributes named", project: []string{"sk", "pk", "industry"},
			get:  func(o ...repository.CallOption) (any, error) { return companies.BatchGet(ctx, []string{acme.ID}, o...) },
			want: []itCompany{{ID: acme.ID, Industry: "fintech"}},
		},
		{
			name: "child, title only", project: []string{"title"},
			get: func(o ...repository.CallOption) (any, error) {
				return reports.In(acme.ID).BatchGet(ctx, []string{q1.ID}, o...)
			},
			want: []itReport{{ID: q1.ID, CompanyID: acme.ID, Title: "2026 Q1"}},
		},
		{
			name: "child, parent named", project: []string{"companyId", "title", "id"},
			get: func(o ...repository.CallOption) (any, error) {
				return reports.In(acme.ID).BatchGet(ctx, []string{q1.ID}, o...)
			},
			want: []itReport{{ID: q1.ID, CompanyID: acme.ID, Title: "2026 Q1"}},
		},
		{
			name: "table keyed by the id", project: []string{"label"},
			get:  func(o ...repository.CallOption) (any, error) { return plains.BatchGet(ctx, []string{p.ID}, o...) },
			want: []plain{{ID: p.ID, Label: "x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get(repository.Project(tt.project...))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BatchGet(Project(%q)) = %+v, %v; want %+v", tt.project, got, err, tt.want)
			}
		})
	}
}

// TestBatchGetOrder: items come back in the order of the ids asked, absent
// ones left out, duplicates once at their first position, across requests
// of 100 keys and retries of unprocessed keys.
func TestBatchGetOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	recovering := &flaky{Client: cc.Client, failFor: 3, dropped: map[string]bool{}}
	throttled, err := repository.New[itCompany](recovering, repo.Table(), repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.WithBatchRetry(8, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}

	items := make([]*itCompany, 150)
	ids := make([]string, len(items))
	name := labels{}
	for i := range items {
		items[i] = &itCompany{Name: fmt.Sprint(i)}
	}
	if err := repo.BatchPut(ctx, items); err != nil {
		t.Fatalf("BatchPut: %v", err)
	}
	for i, it := range items {
		ids[i] = it.ID
		name[it.ID] = fmt.Sprint("#", i)
	}
	absent := func() string { return uuid.Must(uuid.NewV7()).String() }
	rng := rand.New(rand.NewPCG(9, 9))
	shuffled := slices.Clone(ids)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })

	tests := []struct {
		name string
		repo *repository.Repository[itCompany]
		ids  []string
		want []string
	}{
		{"as written", repo, ids[:40], ids[:40]},
		{"reversed, two requests", repo, reversed(ids), reversed(ids)},
		{"shuffled, two requests", repo, shuffled, shuffled},
		{
			"duplicates at their first position", repo,
			[]string{ids[5], ids[2], ids[5], ids[9], ids[2], ids[2], ids[0]},
			[]string{ids[5], ids[2], ids[9], ids[0]},
		},
		{
			"absent left out", repo,
			[]string{absent(), ids[7], absent(), ids[3], ids[8], absent()},
			[]string{ids[7], ids[3], ids[8]},
		},
		{"none present", repo, []string{absent(), absent()}, []string{}},
		{"no ids", repo, nil, []string{}},
		{"unprocessed keys retried", throttled, shuffled[:90], shuffled[:90]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.repo.BatchGet(ctx, tt.ids)
			gotIDs := idsOf(got, func(c itCompany) string { return c.ID })
			if err != nil || !slices.Equal(gotIDs, tt.want) {
				t.Errorf("BatchGet(%v) = %v, %v; want %v", name.of(tt.ids), name.of(gotIDs), err, name.of(tt.want))
			}
			for _, c := range got {
				if want := strings.TrimPrefix(name[c.ID], "#"); c.Name != want {
					t.Errorf("BatchGet: item %s has name %q; want %q", name[c.ID], c.Name, want)
				}
			}
		})
	}
}

// corrupt rewrites the stored item of id with its "employees" attribute as a
// string, which itCompany cannot decode into its int field.
func corrupt(t *testing.T, client repository.Client, repo *repository.Repository[itCompany], id string) {
	t.Helper()
	ctx := context.Background()
	key, err := repo.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(repo.Table().Name), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem(%s) = %v, %v", id, out, err)
	}
	out.Item["employees"] = &types.AttributeValueMemberS{Value: "many"}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(repo.Table().Name), Item: out.Item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

// TestBatchGetDecodeFailure: an item that cannot be decoded as T costs only
// itself: every other item comes back, in order, and a *DecodeError names it.
func TestBatchGetDecodeFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	always := &flaky{Client: cc.Client, failFor: -1, dropped: map[string]bool{}}
	throttled, err := repository.New[itCompany](always, repo.Table(), repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.WithBatchRetry(2, time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}

	items := make([]*itCompany, 50)
	ids := make([]string, len(items))
	name := labels{}
	for i := range items {
		items[i] = &itCompany{Name: fmt.Sprint(i), Employees: i}
	}
	if err := repo.BatchPut(ctx, items); err != nil {
		t.Fatalf("BatchPut: %v", err)
	}
	for i, it := range items {
		ids[i] = it.ID
		name[it.ID] = fmt.Sprint("#", i)
	}
	bad := []string{ids[17], ids[3], ids[40]}
	for _, id := range bad {
		corrupt(t, cc.Client, repo, id)
	}
	without := func(ids []string, drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(drop, id) })
	}

	tests := []struct {
		name        string
		repo        *repository.Repository[itCompany]
		ids         []string
		opts        []repository.CallOption
		want        []string // ids of the items returned; nil to check only that no bad item is among them
		undecoded   []string // ids named by the errors, in order
		unprocessed bool
	}{
		{"two bad items of 20", repo, ids[:20], nil, without(ids[:20], bad...), []string{ids[3], ids[17]}, false},
		{"three bad items of 50", repo, ids, nil, without(ids, bad...), []string{ids[3], ids[17], ids[40]}, false},
		{"reversed", repo, reversed(ids), nil, without(reversed(ids), bad...), []string{ids[40], ids[17], ids[3]}, false},
		{"projection without the bad attribute", repo, ids, []repository.CallOption{repository.Project("name")}, ids, nil, false},
		{"only good items", repo, without(ids, bad...), nil, without(ids, bad...), nil, false},
		// The throttling client forwards the first key of each request, so
		// the bad item asked first is read, and others are left unprocessed.
		{"with unprocessed keys", throttled, append([]string{ids[17]}, without(ids, bad...)...), nil, nil, []string{ids[17]}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.repo.BatchGet(ctx, tt.ids, tt.opts...)
			gotIDs := idsOf(got, func(c itCompany) string { return c.ID })
			if tt.want != nil && !slices.Equal(gotIDs, tt.want) {
				t.Errorf("BatchGet(%v) = %v; want %v", name.of(tt.ids), name.of(gotIDs), name.of(tt.want))
			}
			if tt.want == nil {
				// Some read, the rest unprocessed: what was read is in order.
				if !slices.Equal(gotIDs, without(tt.ids, without(tt.ids, gotIDs...)...)) || len(got) == 0 {
					t.Errorf("BatchGet(%v) = %v; want a non-empty subsequence of the ids asked", name.of(tt.ids), name.of(gotIDs))
				}
			}
			for _, c := range got {
				if slices.Contains(bad, c.ID) && len(tt.opts) == 0 {
					t.Errorf("BatchGet(%v) returned undecodable item %s", name.of(tt.ids), name[c.ID])
				}
				if want := strings.TrimPrefix(name[c.ID], "#"); c.Name != want {
					t.Errorf("BatchGet: item %s has name %q; want %q", name[c.ID], c.Name, want)
				}
			}

			if tt.undecoded == nil && !tt.unprocessed {
				if err != nil {
					t.Errorf("BatchGet(%v) = %v; want no error", name.of(tt.ids), err)
				}
				return
			}
			if got, want := errors.Is(err, repository.ErrUnprocessed), tt.unprocessed; got != want {
				t.Errorf("BatchGet(%v) = %v; errors.Is(ErrUnprocessed) = %v, want %v", name.of(tt.ids), err, got, want)
			}
			if !errors.Is(err, repository.ErrDecode) {
				t.Errorf("BatchGet(%v) = %v; want an error matching ErrDecode", name.of(tt.ids), err)
			}
			var be *repository.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("BatchGet(%v) = %v; want a *BatchError", name.of(tt.ids), err)
			}
			if tt.unprocessed != (len(be.UnprocessedKeys) > 0) {
				t.Errorf("BatchGet(%v): %d keys unprocessed; want some: %v", name.of(tt.ids), len(be.UnprocessedKeys), tt.unprocessed)
			}
			named := idsOf(be.Undecoded, func(d *repository.DecodeError) string { return d.ID })
			if !slices.Equal(named, tt.undecoded) {
				t.Errorf("BatchGet(%v): undecoded %v; want %v", name.of(tt.ids), name.of(named), name.of(tt.undecoded))
			}
			var first *repository.DecodeError
			if !errors.As(err, &first) || first != be.Undecoded[0] {
				t.Errorf("errors.As(%v, *DecodeError) = %v; want the first undecoded item", err, first)
			}
			for _, d := range be.Undecoded {
				key, _ := repo.Key(d.ID)
				var ute *attributevalue.UnmarshalTypeError
				if d.Table != repo.Table().Name || d.Model != "repository_test.itCompany" || !reflect.DeepEqual(d.Key, key) ||
					!errors.As(d, &ute) || !errors.Is(d, repository.ErrDecode) || !strings.Contains(d.Error(), d.ID) {
					t.Errorf("DecodeError = %+v (%v); want table %q, model itCompany, key %v, an UnmarshalTypeError, its id in the message",
						*d, d, repo.Table().Name, key)
				}
			}
			if !strings.Contains(err.Error(), tt.undecoded[0]) {
				t.Errorf("BatchGet(%v) = %q; want the first undecoded id in the message", name.of(tt.ids), err)
			}
		})
	}
}

// TestBatchErrorMatches: a BatchError matches ErrUnprocessed only when it
// holds unprocessed items, and ErrDecode, the *DecodeError of the first
// undecoded item and its attributevalue error when it holds undecoded ones.
func TestBatchErrorMatches(t *testing.T) {
	t.Parallel()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "COMPANY#1"}}
	ute := &attributevalue.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[int]()}
	first := &repository.DecodeError{Table: "t", Model: "M", Key: key, ID: "1", Err: ute}
	second := &repository.DecodeError{Table: "t", Model: "M", Key: key, ID: "2", Err: errors.New("other")}
	tests := []struct {
		name        string
		err         *repository.BatchError
		unprocessed bool
		decode      bool
		deadline    bool
		message     string
	}{
		{"keys", &repository.BatchError{Table: "t", UnprocessedKeys: []map[string]types.AttributeValue{key}},
			true, false, false, `repository: table "t": 1 keys and 0 writes unprocessed`},
		{"writes and a request error", &repository.BatchError{Table: "t", UnprocessedWrites: make([]types.WriteRequest, 2), Err: context.DeadlineExceeded},
			true, false, true, `repository: table "t": 0 keys and 2 writes unprocessed: context deadline exceeded`},
		{"undecoded", &repository.BatchError{Table: "t", Undecoded: []*repository.DecodeError{first, second}},
			false, true, false, `repository: table "t": 0 keys and 0 writes unprocessed, 2 items not decoded as M (the first, id "1": ` + ute.Error() + ")"},
		{"keys and undecoded", &repository.BatchError{Table: "t", UnprocessedKeys: []map[string]types.AttributeValue{key}, Undecoded: []*repository.DecodeError{first}},
			true, true, false, `repository: table "t": 1 keys and 0 writes unprocessed, 1 items not decoded as M (the first, id "1": ` + ute.Error() + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = tt.err
			for target, want := range map[error]bool{
				repository.ErrUnprocessed: tt.unprocessed, repository.ErrDecode: tt.decode, context.DeadlineExceeded: tt.deadline,
			} {
				if got := errors.Is(err, target); got != want {
					t.Errorf("errors.Is(%v, %v) = %v; want %v", err, target, got, want)
				}
			}
			var de *repository.DecodeError
			if got := errors.As(err, &de); got != tt.decode || (got && de != first) {
				t.Errorf("errors.As(%v, *DecodeError) = %v, %v; want %v, %v", err, got, de, tt.decode, first)
			}
			var u *attributevalue.UnmarshalTypeError
			if got := errors.As(err, &u); got != tt.decode {
				t.Errorf("errors.As(%v, *UnmarshalTypeError) = %v; want %v", err, got, tt.decode)
			}
			if got := err.Error(); got != tt.message {
				t.Errorf("Error() = %q; want %q", got, tt.message)
			}
		})
	}
	if got, want := first.Error(), `repository: decode M id "1" of table "t": `+ute.Error(); got != want {
		t.Errorf("DecodeError.Error() = %q; want %q", got, want)
	}
}

// itSupplier shares itCompany's key layout: the two types' items are told
// apart by their entity type only.
type itSupplier struct {
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Employees string `dynamodbav:"employees"` // a number in itCompany
}

// TestBatchGetSkipsOtherEntityTypes: ids whose items are of another entity
// type are left out, as absent ones, and counted by Skipped; they are not
// decoded, so never fail as undecoded.
func TestBatchGetSkipsOtherEntityTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	companies, cc := itRepo(t)
	suppliers, err := repository.New[itSupplier](cc, companies.Table(), repository.WithKeys("COMPANY#{id}", "PROFILE"))
	if err != nil {
		t.Fatal(err)
	}
	name := labels{}
	var ids []string // company, supplier, company, ...
	for i := range 6 {
		var id string
		if i%2 == 0 {
			c := itCompany{Name: fmt.Sprint(i), Employees: i}
			err, id = companies.Create(ctx, &c), c.ID
		} else {
			s := itSupplier{Name: fmt.Sprint(i), Employees: "many"}
			err, id = suppliers.Create(ctx, &s), s.ID
		}
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		ids = append(ids, id)
		name[id] = fmt.Sprint("#", i)
	}

	tests := []struct {
		name    string
		ids     []string
		project []string
		want    []string
		skipped int
	}{
		{"suppliers among companies", reversed(ids), nil, []string{ids[5], ids[3], ids[1]}, 3},
		{"projected", ids, []string{"name"}, []string{ids[1], ids[3], ids[5]}, 3},
		{"companies only", []string{ids[0], ids[2], ids[0]}, nil, []string{}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var skipped int
			opts := []repository.CallOption{repository.Skipped(&skipped)}
			if tt.project != nil {
				opts = append(opts, repository.Project(tt.project...))
			}
			got, err := suppliers.BatchGet(ctx, tt.ids, opts...)
			gotIDs := idsOf(got, func(s itSupplier) string { return s.ID })
			if err != nil || !slices.Equal(gotIDs, tt.want) || skipped != tt.skipped {
				t.Errorf("BatchGet(%v) = %v, %v, %d skipped; want %v, nil, %d skipped",
					name.of(tt.ids), name.of(gotIDs), err, skipped, name.of(tt.want), tt.skipped)
			}
			for _, s := range got {
				if want := strings.TrimPrefix(name[s.ID], "#"); s.Name != want {
					t.Errorf("BatchGet: item %s has name %q; want %q", name[s.ID], s.Name, want)
				}
			}
		})
	}
}

// TestBatchGetRefusedBeforeAnyRequest: every error BatchGet documents as
// coming before any request sends nothing.
func TestBatchGetRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	companies, cc := itRepo(t)
	reports, err := repository.New[itReport](cc, companies.Table(),
		repository.WithParent("companyId"), repository.WithKeys("COMPANY#{companyId}", "REPORT#{id}"))
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7()).String()
	tests := []struct {
		name string
		get  func() error
		want error // nil: any error
	}{
		{"invalid id", func() error { _, err := companies.BatchGet(ctx, []string{id, "42"}); return err }, repository.ErrInvalidID},
		{"child without In", func() error { _, err := reports.BatchGet(ctx, []string{id}); return err }, repository.ErrParentRequired},
		{"invalid parent id", func() error { _, err := reports.In("42").BatchGet(ctx, []string{id}); return err }, repository.ErrInvalidID},
		{"In without a parent", func() error { _, err := companies.In(id).BatchGet(ctx, []string{id}); return err }, repository.ErrInvalidModel},
		{"empty projected name", func() error {
			_, err := companies.BatchGet(ctx, []string{id}, repository.Project(""))
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.get()
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("BatchGet(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
	if n := cc.n("BatchGetItem"); n != 0 {
		t.Errorf("refused BatchGets made %d requests; want 0", n)
	}
}
