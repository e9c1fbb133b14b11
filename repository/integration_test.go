package repository_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// itCompany is the model of the integration tests.
type itCompany struct {
	ID        string   `dynamodbav:"id"`
	Name      string   `dynamodbav:"name"`
	Industry  string   `dynamodbav:"industry"`
	Founded   string   `dynamodbav:"founded"`
	Tags      []string `dynamodbav:"tags,omitempty"`
	Employees int      `dynamodbav:"employees"`
	NameLower string   `dynamodbav:"nameLower,omitempty"`
	Status    string   `dynamodbav:"status,omitempty"`
	Dotted    string   `dynamodbav:"data.with.dots,omitempty"`
	Spaced    string   `dynamodbav:"a-b c,omitempty"`
	Summary   string   `dynamodbav:"summary,omitempty"`
	Address   struct {
		City string `dynamodbav:"city"`
	} `dynamodbav:"address"`
}

var (
	itByIndustry = index.AccessPattern{
		Name: "companies by industry, newest first", Index: "by-industry", Descending: true,
		Reads: []string{"id", "name", "industry", "founded"},
	}
	itByRegion = index.AccessPattern{
		Name: "companies by region key", Index: "by-region", PartitionPrefix: "REGION#",
	}
	itProfiles = index.Table{
		Name: "companies", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes: []index.Index{
			{Name: "by-industry", PartitionKey: index.S("industry"), SortKey: index.S("founded"), Projection: index.Include("id", "name")},
			{Name: "by-region", PartitionKey: index.S("gsi1pk"), SortKey: index.S("gsi1sk")},
		},
		Patterns: []index.AccessPattern{itByIndustry, itByRegion},
	}
)

// counting wraps a client and counts calls per operation, to prove that a
// refused call sent nothing.
type counting struct {
	repository.Client
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
}

func (c *counting) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

func (c *counting) n(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem")
	return c.Client.GetItem(ctx, in, o...)
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem")
	return c.Client.PutItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem")
	return c.Client.UpdateItem(ctx, in, o...)
}

func (c *counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.count("DeleteItem")
	return c.Client.DeleteItem(ctx, in, o...)
}

func (c *counting) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.count("Query")
	return c.Client.Query(ctx, in, o...)
}

func (c *counting) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.count("Scan")
	return c.Client.Scan(ctx, in, o...)
}

func (c *counting) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.count("BatchGetItem")
	return c.Client.BatchGetItem(ctx, in, o...)
}

func (c *counting) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.count("BatchWriteItem")
	return c.Client.BatchWriteItem(ctx, in, o...)
}

// itRepo creates a fresh table and a repository of itCompany on it, through
// a counting client.
func itRepo(t *testing.T, opts ...repository.Option) (*repository.Repository[itCompany], *counting) {
	t.Helper()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, itProfiles)
	cc := &counting{Client: client}
	opts = append([]repository.Option{repository.WithKeys("COMPANY#{id}", "PROFILE")}, opts...)
	repo, err := repository.New[itCompany](cc, table, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return repo, cc
}

func TestCreateGeneratesUUIDv7(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, _ := itRepo(t)
	c := itCompany{Name: "Acme", Industry: "fintech", Founded: "2019"}
	if err := repo.Create(ctx, &c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	u, err := uuid.Parse(c.ID)
	if err != nil || u.Version() != 7 || u.String() != c.ID {
		t.Fatalf("Create set id %q (%v); want a canonical UUIDv7", c.ID, err)
	}
	got, err := repo.Get(ctx, c.ID)
	if err != nil || got.Name != "Acme" || got.ID != c.ID {
		t.Fatalf("Get(%q) = %+v, %v; want Acme", c.ID, got, err)
	}
	dup := itCompany{ID: c.ID, Name: "Impostor"}
	err = repo.Create(ctx, &dup)
	var ce *repository.ConditionError
	if !errors.Is(err, repository.ErrAlreadyExists) || !errors.As(err, &ce) || ce.Item == nil {
		t.Fatalf("Create(existing id) = %v; want ErrAlreadyExists with the existing item", err)
	}
	if existing, _ := repo.Decode(ce.Item); existing.Name != "Acme" {
		t.Errorf("ConditionError.Item name = %q; want Acme", existing.Name)
	}

	v4, _ := itRepo(t, repository.WithUUIDv4())
	c4 := itCompany{Name: "Four"}
	if err := v4.Create(ctx, &c4); err != nil || uuid.MustParse(c4.ID).Version() != 4 {
		t.Errorf("WithUUIDv4 Create id %q, %v; want a UUIDv4", c4.ID, err)
	}
}

func TestInvalidIDsRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	valid := uuid.Must(uuid.NewV7()).String()
	for _, id := range []string{"42", "", strings.ToUpper(valid), "{" + valid + "}", "urn:uuid:" + valid, valid[:35]} {
		t.Run(id, func(t *testing.T) {
			checks := map[string]error{}
			_, checks["Get"] = repo.Get(ctx, id)
			_, checks["Update"] = repo.Update(ctx, id, repository.Set("name", "x"))
			checks["Delete"] = repo.Delete(ctx, id)
			if id != "" { // Create generates an empty id
				checks["Create"] = repo.Create(ctx, &itCompany{ID: id, Name: "x"})
			}
			checks["Put"] = repo.Put(ctx, &itCompany{ID: id})
			_, checks["BatchGet"] = repo.BatchGet(ctx, []string{id})
			for op, err := range checks {
				var ie *repository.IDError
				if !errors.Is(err, repository.ErrInvalidID) || !errors.As(err, &ie) {
					t.Errorf("%s(%q) = %v; want ErrInvalidID", op, id, err)
				}
			}
		})
	}
	if n := cc.total(); n != 0 {
		t.Errorf("refused calls sent %d requests (%v); want 0", n, cc.calls)
	}

	// A model with a natural unique key takes non-UUID ids.
	type member struct {
		Email string `dynamodbav:"email"`
		Name  string `dynamodbav:"name"`
	}
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "members", PartitionKey: index.S("pk")})
	members, err := repository.New[member](client, table, repository.WithNaturalKey("email"), repository.WithKeys("MEMBER#{email}", ""))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := members.Create(ctx, &member{Email: "ada@example.com", Name: "Ada"}); err != nil {
		t.Fatalf("Create natural key: %v", err)
	}
	if got, err := members.Get(ctx, "ada@example.com"); err != nil || got.Name != "Ada" {
		t.Errorf("Get(natural key) = %+v, %v; want Ada", got, err)
	}
	if err := members.Create(ctx, &member{Name: "nobody"}); !errors.Is(err, repository.ErrInvalidID) {
		t.Errorf("Create without natural key = %v; want ErrInvalidID", err)
	}
}

func TestGetPutDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, _ := itRepo(t)
	absent := uuid.Must(uuid.NewV7()).String()
	if _, err := repo.Get(ctx, absent); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("Get(absent) = %v; want ErrNotFound", err)
	}
	c := itCompany{Name: "Acme", Industry: "fintech", Founded: "2019", Employees: 10}
	if err := repo.Create(ctx, &c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := repo.Get(ctx, c.ID, repository.ConsistentRead(), repository.Project("name"))
	if err != nil || got.Name != "Acme" || got.Industry != "" || got.Employees != 0 {
		t.Fatalf("Get projected = %+v, %v; want only the name", got, err)
	}
	c.Name = "Acme Ltd"
	if err := repo.Put(ctx, &c); err != nil {
		t.Fatalf("Put: %v", err)
	}
	err = repo.Put(ctx, &itCompany{ID: c.ID, Name: "x"}, repository.If(expression.Name("employees").GreaterThan(expression.Value(100))))
	var ce *repository.ConditionError
	if !errors.Is(err, repository.ErrConditionFailed) || !errors.As(err, &ce) || ce.Item == nil {
		t.Fatalf("Put with a false condition = %v; want ErrConditionFailed with the current item", err)
	}
	if cur, _ := repo.Decode(ce.Item); cur.Name != "Acme Ltd" {
		t.Errorf("current item name = %q; want Acme Ltd", cur.Name)
	}
	if err := repo.Delete(ctx, c.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := repo.Get(ctx, c.ID, repository.ConsistentRead()); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after Delete = %v; want ErrNotFound", err)
	}
	if err := repo.Delete(ctx, c.ID); err != nil {
		t.Errorf("Delete of an absent item = %v; want nil", err)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t, repository.Derive("nameLower", func(c *itCompany) any { return strings.ToLower(c.Name) }, "name"))
	c := itCompany{Name: "Acme", Industry: "fintech", Founded: "2019", Employees: 10}
	c.Address.City = "Paris"
	if err := repo.Create(ctx, &c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := repo.Update(ctx, c.ID, repository.Set("name", "ACME Ltd").
		Set("status", "active").           // a reserved word
		Set("data.with.dots", "dots").     // dots in a name
		Set("a-b c", "odd").               // odd characters
		SetPath("address.city", "Lyon").   // a document path
		Add("employees", 5).               // a counter
		Append("tags", "b2b", "payments")) // a list
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want := itCompany{ID: c.ID, Name: "ACME Ltd", NameLower: "acme ltd", Industry: "fintech", Founded: "2019",
		Employees: 15, Status: "active", Dotted: "dots", Spaced: "odd", Tags: []string{"b2b", "payments"}}
	want.Address.City = "Lyon"
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Update returned %+v; want %+v", got, want)
	}
	if got, err = repo.Update(ctx, c.ID, repository.Remove("status").Append("tags", "eu")); err != nil || got.Status != "" || !slices.Equal(got.Tags, []string{"b2b", "payments", "eu"}) {
		t.Errorf("Update remove/append = %+v, %v", got, err)
	}

	before := cc.total()
	for name, ch := range map[string]repository.Changes{
		"key":           repository.Set("pk", "x"),
		"id":            repository.Set("id", "x"),
		"derived":       repository.Set("nameLower", "x"),
		"nothing":       {},
		"set twice":     repository.Set("name", "a").Set("name", "b"),
		"empty name":    repository.Set("", "x"),
		"empty apppend": repository.Append("tags"),
	} {
		if _, err := repo.Update(ctx, c.ID, ch); !errors.Is(err, repository.ErrInvalidUpdate) {
			t.Errorf("Update(%s) = %v; want ErrInvalidUpdate", name, err)
		}
	}
	if cc.total() != before {
		t.Errorf("refused updates sent %d requests; want 0", cc.total()-before)
	}

	absent := uuid.Must(uuid.NewV7()).String()
	if _, err := repo.Update(ctx, absent, repository.Set("name", "ghost")); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("Update(absent) = %v; want ErrNotFound", err)
	}
	if _, err := repo.Get(ctx, absent, repository.ConsistentRead()); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Update of an absent id created an item: Get = %v", err)
	}
}

func TestDerivedAttributesOnEveryWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t,
		repository.Derive("nameLower", func(c *itCompany) any { return strings.ToLower(c.Name) }, "name"),
		repository.Derive("summary", func(c *itCompany) any { return c.Name + " (" + c.Industry + ")" }, "name", "industry"),
		repository.WithIndexKey("gsi1pk", "REGION#{industry}"),
		repository.WithIndexKey("gsi1sk", "{founded}#{id}"),
		repository.WithPrecompute(func(c *itCompany) error { c.Employees = max(c.Employees, 1); return nil }),
	)
	byRegion := func(v string) []string {
		var names []string
		for c, err := range repo.Query(ctx, itByRegion.Partition(v)) {
			if err != nil {
				t.Fatalf("Query by region: %v", err)
			}
			names = append(names, c.Name)
		}
		return names
	}

	c := itCompany{Name: "Acme", Industry: "fintech", Founded: "2019"}
	if err := repo.Create(ctx, &c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, _ := repo.Get(ctx, c.ID, repository.ConsistentRead())
	if got.NameLower != "acme" || got.Summary != "Acme (fintech)" || got.Employees != 1 {
		t.Errorf("after Create: %+v; want derived nameLower, summary and precomputed employees", got)
	}
	if names := byRegion("fintech"); !slices.Equal(names, []string{"Acme"}) {
		t.Errorf("index key after Create: query = %v; want [Acme]", names)
	}

	c.Name, c.Industry = "Bolt", "retail"
	if err := repo.Put(ctx, &c); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, _ = repo.Get(ctx, c.ID, repository.ConsistentRead())
	if got.NameLower != "bolt" || got.Summary != "Bolt (retail)" {
		t.Errorf("after Put: %+v; want derived attributes of Bolt", got)
	}
	if names := byRegion("retail"); !slices.Equal(names, []string{"Bolt"}) {
		t.Errorf("index key after Put: query = %v; want [Bolt]", names)
	}

	got, err := repo.Update(ctx, c.ID, repository.Set("name", "Cobalt").Set("industry", "energy"))
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.NameLower != "cobalt" || got.Summary != "Cobalt (energy)" {
		t.Errorf("after Update: %+v; want derived attributes of Cobalt", got)
	}
	if names := byRegion("energy"); !slices.Equal(names, []string{"Cobalt"}) {
		t.Errorf("index key after Update: query = %v; want [Cobalt]", names)
	}
	if names := byRegion("retail"); len(names) != 0 {
		t.Errorf("old index key still matches after Update: %v", names)
	}

	// An update of only some inputs of a derived attribute is refused.
	before := cc.total()
	if _, err := repo.Update(ctx, c.ID, repository.Set("industry", "mining")); !errors.Is(err, repository.ErrInvalidUpdate) {
		t.Errorf("Update of one of two inputs = %v; want ErrInvalidUpdate", err)
	}
	if cc.total() != before {
		t.Errorf("refused update sent a request")
	}
	// Removing an input of a sparse index key takes the item out of the index.
	if _, err := repo.Update(ctx, c.ID, repository.Set("name", "Delta").Remove("industry")); err != nil {
		t.Fatalf("Update removing industry: %v", err)
	}
	if names := byRegion("energy"); len(names) != 0 {
		t.Errorf("item still in the sparse index after its input was removed: %v", names)
	}
}

// TestEmptyComputedIndexKeyOnUpdate: an Update that makes a derived or
// composed index key empty leaves the item out of the sparse index, as
// Create and Put do, instead of sending an empty key DynamoDB refuses.
func TestEmptyComputedIndexKeyOnUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		opt  repository.Option
	}{
		{"derived", repository.Derive("gsi1pk", func(c *itCompany) any { return strings.ToLower(c.Status) }, "status")},
		{"single-field template", repository.WithIndexKey("gsi1pk", "{status}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo, _ := itRepo(t, tt.opt, repository.WithIndexKey("gsi1sk", "{id}"))
			c := itCompany{Name: "Acme", Industry: "fintech", Founded: "2019", Status: "active"}
			if err := repo.Create(ctx, &c); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if _, err := repo.Update(ctx, c.ID, repository.Set("status", "")); err != nil {
				t.Fatalf("Update(status = \"\") = %v; want nil", err)
			}
			key, _ := repo.Key(c.ID)
			out, err := repo.Client().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(repo.Table().Name), Key: key, ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatalf("GetItem: %v", err)
			}
			if v, ok := out.Item["gsi1pk"]; ok {
				t.Errorf("gsi1pk after Update = %v; want it removed", v)
			}
		})
	}
}

type itPrecomputed struct {
	ID    string `dynamodbav:"id"`
	Items []int  `dynamodbav:"items"`
	Total int    `dynamodbav:"total"`
}

func (p *itPrecomputed) Precompute() error {
	p.Total = 0
	for _, n := range p.Items {
		p.Total += n
	}
	return nil
}

func TestPrecomputerModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "orders", PartitionKey: index.S("id")})
	repo, err := repository.New[itPrecomputed](client, table)
	if err != nil {
		t.Fatal(err)
	}
	o := itPrecomputed{Items: []int{1, 2, 3}}
	if err := repo.Create(ctx, &o); err != nil {
		t.Fatal(err)
	}
	o.Items = append(o.Items, 10)
	if err := repo.Put(ctx, &o); err != nil {
		t.Fatal(err)
	}
	if got, err := repo.Get(ctx, o.ID, repository.ConsistentRead()); err != nil || got.Total != 16 {
		t.Errorf("Get = %+v, %v; want total 16", got, err)
	}
}

func TestItemSizeLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	big := itCompany{Name: strings.Repeat("x", 401*1024)}
	err := repo.Create(ctx, &big)
	var tl *repository.ItemTooLargeError
	if !errors.Is(err, repository.ErrItemTooLarge) || !errors.As(err, &tl) || tl.Size <= 409600 || tl.Limit != 409600 {
		t.Fatalf("Create(401 KB) = %v; want *ItemTooLargeError over 409600", err)
	}
	if err := repo.Put(ctx, &itCompany{ID: uuid.Must(uuid.NewV7()).String(), Name: big.Name}); !errors.Is(err, repository.ErrItemTooLarge) {
		t.Fatalf("Put(401 KB) = %v; want ErrItemTooLarge", err)
	}
	if n := cc.n("PutItem"); n != 0 {
		t.Fatalf("oversize items sent %d PutItem requests; want 0", n)
	}
	fits := itCompany{Name: strings.Repeat("x", 399*1024)}
	if err := repo.Create(ctx, &fits); err != nil {
		t.Fatalf("Create(399 KB) = %v; want nil", err)
	}
}

func TestGrowthBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t, repository.WithBound("tags", 3))
	err := repo.Create(ctx, &itCompany{Name: "a", Tags: []string{"1", "2", "3", "4"}})
	var ge *repository.GrowthError
	if !errors.Is(err, repository.ErrCollectionTooLarge) || !errors.As(err, &ge) || ge.Len != 4 || ge.Bound != 3 {
		t.Fatalf("Create with 4 tags = %v; want *GrowthError 4 > 3", err)
	}
	if cc.total() != 0 {
		t.Fatalf("refused Create sent %d requests", cc.total())
	}
	c := itCompany{Name: "a", Tags: []string{"1", "2"}}
	if err := repo.Create(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Update(ctx, c.ID, repository.Append("tags", "3")); err != nil {
		t.Fatalf("Append within bound: %v", err)
	}
	_, err = repo.Update(ctx, c.ID, repository.Append("tags", "4"))
	if !errors.As(err, &ge) || ge.Len != 4 || ge.Bound != 3 {
		t.Fatalf("Append over bound = %v; want *GrowthError 4 > 3", err)
	}
	if _, err := repo.Update(ctx, c.ID, repository.Set("tags", []string{"1", "2", "3", "4"})); !errors.Is(err, repository.ErrCollectionTooLarge) {
		t.Fatalf("Set over bound = %v; want ErrCollectionTooLarge", err)
	}
	if got, _ := repo.Get(ctx, c.ID, repository.ConsistentRead()); len(got.Tags) != 3 {
		t.Errorf("tags = %v; want 3", got.Tags)
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	for i, name := range []string{"a", "b", "c", "d", "e"} {
		c := itCompany{Name: name, Industry: "fintech", Founded: fmt.Sprint(2020 + i), Employees: i}
		if err := repo.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	if err := repo.Create(ctx, &itCompany{Name: "z", Industry: "retail", Founded: "2020"}); err != nil {
		t.Fatal(err)
	}
	names := func(q index.Query, opts ...repository.CallOption) []string {
		t.Helper()
		var out []string
		for c, err := range repo.Query(ctx, q, opts...) {
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			out = append(out, c.Name)
		}
		return out
	}
	fintech := itByIndustry.Partition("fintech")
	tests := []struct {
		name string
		q    index.Query
		opts []repository.CallOption
		want []string
	}{
		{"all, newest first", fintech, nil, []string{"e", "d", "c", "b", "a"}},
		{"=", fintech.Where(index.Eq("2022")), nil, []string{"c"}},
		{"<", fintech.Where(index.Lt("2022")), nil, []string{"b", "a"}},
		{"<=", fintech.Where(index.Le("2022")), nil, []string{"c", "b", "a"}},
		{">", fintech.Where(index.Gt("2022")), nil, []string{"e", "d"}},
		{">=", fintech.Where(index.Ge("2022")), nil, []string{"e", "d", "c"}},
		{"between", fintech.Where(index.Between("2021", "2023")), nil, []string{"d", "c", "b"}},
		{"begins_with", fintech.Where(index.BeginsWith("202")), []repository.CallOption{repository.Limit(2)}, []string{"e", "d"}},
		{"filter", fintech, []repository.CallOption{repository.Filter(expression.Name("name").In(expression.Value("a"), expression.Value("c")))}, []string{"c", "a"}},
		{"other partition", itByIndustry.Partition("retail"), nil, []string{"z"}},
		{"empty partition", itByIndustry.Partition("mining"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.q, tt.opts...); !slices.Equal(got, tt.want) {
				t.Errorf("Query(%s) = %v; want %v", tt.name, got, tt.want)
			}
		})
	}

	// Projection reads only some attributes.
	for c, err := range repo.Query(ctx, fintech, repository.Project("name")) {
		if err != nil || c.Name == "" || c.Industry != "" {
			t.Errorf("projected query item = %+v, %v; want only the name", c, err)
		}
		break
	}

	// Breaking out of the loop reads no further page.
	before := cc.n("Query")
	for range repo.Query(ctx, fintech, repository.Limit(1)) {
		break
	}
	if n := cc.n("Query") - before; n != 1 {
		t.Errorf("a loop that stops after the first item made %d requests; want 1", n)
	}

	// Undeclared patterns and indexes are refused before any request.
	before = cc.total()
	for name, q := range map[string]index.Query{
		"undeclared pattern": index.AccessPattern{Name: "ad hoc", Index: "by-industry"}.Partition("fintech"),
		"undeclared index":   index.AccessPattern{Name: "companies by industry, newest first", Index: "nope"}.Partition("x"),
		"changed pattern":    index.AccessPattern{Name: itByIndustry.Name, Index: "by-industry"}.Partition("fintech"),
	} {
		for _, err := range repo.Query(ctx, q) {
			if !errors.Is(err, index.ErrInvalidPattern) && !errors.Is(err, index.ErrUndeclaredIndex) {
				t.Errorf("Query(%s) = %v; want ErrInvalidPattern or ErrUndeclaredIndex", name, err)
			}
		}
	}
	for _, err := range repo.Query(ctx, fintech, repository.ConsistentRead()) {
		if !errors.Is(err, index.ErrInvalidPattern) {
			t.Errorf("consistent query of a GSI = %v; want ErrInvalidPattern", err)
		}
	}
	if cc.total() != before {
		t.Errorf("refused queries sent %d requests; want 0", cc.total()-before)
	}
}

// TestSortPrefixBoundsRangeConditions: a pattern with a SortPrefix reads
// only its kind of item, with a range condition on the sort key too, not
// the other kinds of the partition that sort below or above the prefix.
func TestSortPrefixBoundsRangeConditions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	reports := index.AccessPattern{Name: "the board's reports", SortPrefix: "REPORT#"}
	decl := itProfiles
	decl.Patterns = append(slices.Clone(decl.Patterns), reports)
	table := ddbtest.Table(t, client, decl)
	for _, kind := range []string{"NOTE#", "REPORT#", "TASK#"} {
		repo, err := repository.New[itCompany](client, table, repository.WithKeys("BOARD", index.Template(kind+"{id}")))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := repo.Create(ctx, &itCompany{Name: kind + fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	repo, err := repository.New[itCompany](client, table, repository.WithKeys("BOARD", "REPORT#{id}"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []index.SortCondition{index.Gt(""), index.Ge("0"), index.Lt("g"), index.Le("g"), {}} {
		var names []string
		for r, err := range repo.Query(ctx, reports.Partition("BOARD").Where(c), repository.ConsistentRead()) {
			if err != nil {
				t.Fatalf("Query(%v): %v", c, err)
			}
			names = append(names, r.Name)
		}
		if want := []string{"REPORT#0", "REPORT#1"}; !slices.Equal(names, want) {
			t.Errorf("Query(%v) = %v; want %v", c, names, want)
		}
		items, next, err := repo.Page(ctx, reports.Partition("BOARD").Where(c), "", repository.Limit(1), repository.Project("name"))
		for err == nil && next != "" {
			var more []itCompany
			more, next, err = repo.Page(ctx, reports.Partition("BOARD").Where(c), next, repository.Limit(1), repository.Project("name"))
			items = append(items, more...)
		}
		names = names[:0]
		for _, r := range items {
			names = append(names, r.Name)
		}
		if want := []string{"REPORT#0", "REPORT#1"}; err != nil || !slices.Equal(names, want) {
			t.Errorf("Page(%v, Project(name)) = %v, %v; want %v", c, names, err, want)
		}
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret := repository.WithCursorSecret([]byte("a shared secret of 32 bytes!!!!!"))
	repo, cc := itRepo(t, secret)
	for i := range 7 {
		if err := repo.Create(ctx, &itCompany{Name: fmt.Sprint(i), Industry: "fintech", Founded: fmt.Sprint(2000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	fintech := itByIndustry.Partition("fintech")
	var sizes []int
	var cursor, second repository.Cursor
	for {
		items, next, err := repo.Page(ctx, fintech, cursor, repository.Limit(3))
		if err != nil {
			t.Fatalf("Page: %v", err)
		}
		sizes = append(sizes, len(items))
		if next == "" {
			break
		}
		if second == "" {
			second = next
		}
		cursor = next
	}
	if !slices.Equal(sizes, []int{3, 3, 1}) {
		t.Fatalf("page sizes = %v; want [3 3 1]", sizes)
	}

	before := cc.n("Query")
	flip := func(s repository.Cursor, i int) repository.Cursor {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return repository.Cursor(b)
	}
	bad := map[string]func() error{
		"edited first char": func() error { _, _, err := repo.Page(ctx, fintech, flip(second, 0)); return err },
		"edited last char":  func() error { _, _, err := repo.Page(ctx, fintech, flip(second, len(second)-1)); return err },
		"edited middle": func() error {
			_, _, err := repo.Page(ctx, fintech, flip(second, len(second)/2))
			return err
		},
		"other partition": func() error { _, _, err := repo.Page(ctx, itByIndustry.Partition("retail"), second); return err },
		"other pattern":   func() error { _, _, err := repo.Page(ctx, itByRegion.Partition("fintech"), second); return err },
		"garbage":         func() error { _, _, err := repo.Page(ctx, fintech, "not a cursor"); return err },
	}
	for name, call := range bad {
		var ce *repository.CursorError
		if err := call(); !errors.Is(err, repository.ErrInvalidCursor) || !errors.As(err, &ce) {
			t.Errorf("Page with %s cursor = %v; want ErrInvalidCursor", name, err)
		}
	}
	if n := cc.n("Query") - before; n != 0 {
		t.Errorf("refused cursors sent %d queries; want 0", n)
	}

	// Another repository with another secret refuses the cursor; one with
	// the same secret continues the pages.
	client := ddbtest.DynamoDB(t)
	other, err := repository.New[itCompany](client, repo.Table(), repository.WithKeys("COMPANY#{id}", "PROFILE"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Page(ctx, fintech, second); !errors.Is(err, repository.ErrInvalidCursor) {
		t.Errorf("cursor from another secret = %v; want ErrInvalidCursor", err)
	}
	same, err := repository.New[itCompany](client, repo.Table(), repository.WithKeys("COMPANY#{id}", "PROFILE"), secret)
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := same.Page(ctx, fintech, second, repository.Limit(3))
	if err != nil || len(items) != 3 || items[0].Name != "3" {
		t.Errorf("cursor shared by secret: page = %v, %v; want items 3, 2, 1", items, err)
	}
}

func TestScanIsOptIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	for _, err := range repo.Scan(ctx) {
		if !errors.Is(err, repository.ErrScanDisabled) {
			t.Errorf("Scan = %v; want ErrScanDisabled", err)
		}
	}
	if cc.total() != 0 {
		t.Fatalf("a refused Scan sent %d requests", cc.total())
	}

	scanning, err := repository.New[itCompany](ddbtest.DynamoDB(t), repo.Table(), repository.WithKeys("COMPANY#{id}", "PROFILE"), repository.WithScan())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := scanning.Create(ctx, &itCompany{Name: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Another entity type in the same table is not this repository's.
	type note struct {
		ID   string `dynamodbav:"id"`
		Text string `dynamodbav:"name"`
	}
	notes, err := repository.New[note](ddbtest.DynamoDB(t), repo.Table(), repository.WithKeys("NOTE#{id}", "NOTE"))
	if err != nil {
		t.Fatal(err)
	}
	if err := notes.Create(ctx, &note{Text: "not a company"}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for c, err := range scanning.Scan(ctx) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if c.Name == "not a company" {
			t.Errorf("Scan returned another entity's item")
		}
		n++
	}
	if n != 4 {
		t.Errorf("Scan returned %d items; want 4", n)
	}
	n = 0
	for _, err := range scanning.Scan(ctx, repository.Limit(2)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("Scan with Limit(2) returned %d items; want 2", n)
	}
}

// flaky forwards only part of each batch request to the real client and
// reports the rest as unprocessed, as DynamoDB does under throttling.
type flaky struct {
	repository.Client
	mu sync.Mutex
	// failFor is how many requests leave items unprocessed; -1 for always.
	failFor  int
	requests int
	dropped  map[string]bool // pk of items never forwarded
}

func (f *flaky) fail() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	return f.failFor < 0 || f.requests <= f.failFor
}

func pkOf(m map[string]types.AttributeValue) string {
	return m["pk"].(*types.AttributeValueMemberS).Value
}

func (f *flaky) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if !f.fail() {
		return f.Client.BatchWriteItem(ctx, in, o...)
	}
	for table, ws := range in.RequestItems {
		// Forward the first half; every odd item is "throttled".
		var send, keep []types.WriteRequest
		for i, w := range ws {
			if i%2 == 1 {
				keep = append(keep, w)
				f.mu.Lock()
				f.dropped[pkOf(w.PutRequest.Item)] = true
				f.mu.Unlock()
			} else {
				send = append(send, w)
			}
		}
		if len(send) > 0 {
			out, err := f.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: send}}, o...)
			if err != nil {
				return out, err
			}
		}
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{table: keep}}, nil
	}
	return &dynamodb.BatchWriteItemOutput{}, nil
}

func (f *flaky) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if !f.fail() {
		return f.Client.BatchGetItem(ctx, in, o...)
	}
	for table, ka := range in.RequestItems {
		send, keep := ka, ka
		send.Keys, keep.Keys = nil, nil
		for i, k := range ka.Keys {
			if i%2 == 1 {
				keep.Keys = append(keep.Keys, k)
			} else {
				send.Keys = append(send.Keys, k)
			}
		}
		out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
		if len(send.Keys) > 0 {
			var err error
			if out, err = f.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: send}}, o...); err != nil {
				return out, err
			}
		}
		out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: keep}
		return out, nil
	}
	return &dynamodb.BatchGetItemOutput{}, nil
}

func TestBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc := itRepo(t)
	items := make([]*itCompany, 60)
	ids := make([]string, 0, 130)
	for i := range items {
		items[i] = &itCompany{Name: fmt.Sprint(i)}
	}
	if err := repo.BatchPut(ctx, items); err != nil {
		t.Fatalf("BatchPut: %v", err)
	}
	if n := cc.n("BatchWriteItem"); n != 3 {
		t.Errorf("BatchPut of 60 made %d requests; want 3", n)
	}
	for _, it := range items {
		ids = append(ids, it.ID, it.ID) // duplicates are read once
	}
	for range 10 {
		ids = append(ids, uuid.Must(uuid.NewV7()).String()) // absent
	}
	got, err := repo.BatchGet(ctx, ids)
	if err != nil || len(got) != 60 {
		t.Fatalf("BatchGet = %d items, %v; want 60", len(got), err)
	}
	if n := cc.n("BatchGetItem"); n != 1 {
		t.Errorf("BatchGet of 70 distinct ids made %d requests; want 1", n)
	}
	del := make([]string, 0, 30)
	for _, it := range items[:30] {
		del = append(del, it.ID)
	}
	if err := repo.BatchDelete(ctx, del); err != nil {
		t.Fatalf("BatchDelete: %v", err)
	}
	if got, _ := repo.BatchGet(ctx, ids); len(got) != 30 {
		t.Errorf("after BatchDelete of 30: %d items; want 30", len(got))
	}
}

// TestBatchGetProjectingTheKey: a projection that names a key attribute,
// such as the id of a table keyed by it, is sent with each attribute once.
func TestBatchGetProjectingTheKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "plain", PartitionKey: index.S("id")})
	repo, err := repository.New[plain](client, table)
	if err != nil {
		t.Fatal(err)
	}
	p := plain{Email: "a@example.com", Label: "x"}
	if err := repo.Create(ctx, &p); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := repo.BatchGet(ctx, []string{p.ID}, repository.Project("id", "label"))
	if want := (plain{ID: p.ID, Label: "x"}); err != nil || len(got) != 1 || got[0] != want {
		t.Errorf("BatchGet(Project(id, label)) = %+v, %v; want [%+v]", got, err, want)
	}
}

func TestBatchLeftoversAreReturned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, itProfiles)
	always := &flaky{Client: client, failFor: -1, dropped: map[string]bool{}}
	repo, err := repository.New[itCompany](always, table, repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.WithBatchRetry(3, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	items := make([]*itCompany, 30)
	for i := range items {
		items[i] = &itCompany{Name: fmt.Sprint(i)}
	}
	err = repo.BatchPut(ctx, items)
	var be *repository.BatchError
	if !errors.Is(err, repository.ErrUnprocessed) || !errors.As(err, &be) {
		t.Fatalf("BatchPut through a throttling client = %v; want *BatchError", err)
	}
	left := map[string]bool{}
	for _, w := range be.UnprocessedWrites {
		left[pkOf(w.PutRequest.Item)] = true
	}
	// What is reported unprocessed is what was never written, and the rest
	// was written: nothing is lost between the two.
	reader, _ := repository.New[itCompany](client, table, repository.WithKeys("COMPANY#{id}", "PROFILE"))
	for _, it := range items {
		_, err := reader.Get(ctx, it.ID, repository.ConsistentRead())
		written := err == nil
		key := "COMPANY#" + it.ID
		if written == left[key] {
			t.Errorf("item %s: written=%v, reported unprocessed=%v; want exactly one", it.Name, written, left[key])
		}
	}
	if len(left) == 0 {
		t.Error("no leftovers reported")
	}

	// Reads: the items read come back along with the keys left unread.
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	got, err := repo.BatchGet(ctx, ids)
	if !errors.As(err, &be) || len(be.UnprocessedKeys) == 0 {
		t.Fatalf("BatchGet through a throttling client = %v; want *BatchError with keys", err)
	}
	if len(got)+len(be.UnprocessedKeys) < len(items)-len(left) {
		t.Errorf("BatchGet: %d read + %d unprocessed < %d written", len(got), len(be.UnprocessedKeys), len(items)-len(left))
	}

	// A client that recovers after two throttled requests loses nothing.
	recovering := &flaky{Client: client, failFor: 2, dropped: map[string]bool{}}
	repo2, _ := repository.New[itCompany](recovering, table, repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.WithBatchRetry(5, time.Millisecond, 5*time.Millisecond))
	more := make([]*itCompany, 20)
	for i := range more {
		more[i] = &itCompany{Name: fmt.Sprint("more ", i)}
	}
	if err := repo2.BatchPut(ctx, more); err != nil {
		t.Fatalf("BatchPut recovering = %v; want nil", err)
	}
	for _, it := range more {
		if _, err := reader.Get(ctx, it.ID, repository.ConsistentRead()); err != nil {
			t.Errorf("item %s lost: %v", it.Name, err)
		}
	}
}

func TestConsumedCapacity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	var hooked []repository.Capacity
	repo, _ := itRepo(t, repository.WithCapacityHook(func(_ context.Context, c repository.Capacity) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, c)
	}))
	var put, get, query repository.Capacity
	c := itCompany{Name: "Acme", Industry: "fintech", Founded: "2019"}
	if err := repo.Create(ctx, &c, repository.ReportCapacity(&put)); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Get(ctx, c.ID, repository.ReportCapacity(&get)); err != nil {
		t.Fatal(err)
	}
	for _, err := range repo.Query(ctx, itByIndustry.Partition("fintech"), repository.ReportCapacity(&query)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]repository.Capacity{"TransactWriteItems": put, "GetItem": get, "Query": query} {
		if c.Units <= 0 || c.Operation != name {
			t.Errorf("%s capacity = %+v; want units > 0", name, c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hooked) != 3 {
		t.Errorf("capacity hook called %d times; want 3", len(hooked))
	}
}

// itLabelled has a string set and a map, both bounded.
type itLabelled struct {
	ID     string            `dynamodbav:"id"`
	Labels []string          `dynamodbav:"labels,stringset,omitempty"`
	Attrs  map[string]string `dynamodbav:"attrs,omitempty"`
}

// TestSetsAndBoundedMaps adds to and deletes from a string set without a
// read, and bounds sets and maps as it bounds lists.
func TestSetsAndBoundedMaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	companies, cc := itRepo(t)
	repo, err := repository.New[itLabelled](cc, companies.Table(), repository.WithKeys("LABELLED#{id}", "L"),
		repository.WithBound("labels", 3), repository.WithBound("attrs", 2))
	if err != nil {
		t.Fatal(err)
	}
	item := itLabelled{Labels: []string{"a"}, Attrs: map[string]string{"k": "v"}}
	if err := repo.Create(ctx, &item); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Update(ctx, item.ID, repository.Add("labels", &types.AttributeValueMemberSS{Value: []string{"b", "c"}}))
	if err != nil {
		t.Fatalf("Add to set: %v", err)
	}
	if slices.Sort(got.Labels); !slices.Equal(got.Labels, []string{"a", "b", "c"}) {
		t.Errorf("labels after Add = %v; want a b c", got.Labels)
	}
	got, err = repo.Update(ctx, item.ID, repository.Changes{}.DeleteFromSet("labels", &types.AttributeValueMemberSS{Value: []string{"a", "c"}}))
	if err != nil {
		t.Fatalf("DeleteFromSet: %v", err)
	}
	if !slices.Equal(got.Labels, []string{"b"}) {
		t.Errorf("labels after DeleteFromSet = %v; want b", got.Labels)
	}
	// Adding to a bounded set is conditional on the bound (labels is [b]).
	var ge *repository.GrowthError
	_, err = repo.Update(ctx, item.ID, repository.Add("labels", &types.AttributeValueMemberSS{Value: []string{"x", "y", "z"}}))
	if !errors.As(err, &ge) || ge.Bound != 3 {
		t.Errorf("Add past the bound = %v; want *GrowthError", err)
	}
	if got, err = repo.Update(ctx, item.ID, repository.Add("labels", &types.AttributeValueMemberSS{Value: []string{"x"}})); err != nil || len(got.Labels) != 2 {
		t.Errorf("Add within the bound = %v, %v; want b x", got.Labels, err)
	}
	_, err = repo.Update(ctx, item.ID, repository.Add("labels", &types.AttributeValueMemberSS{Value: []string{"1", "2", "3", "4"}}))
	if !errors.As(err, &ge) || ge.Len != 4 {
		t.Errorf("Add of more than the bound = %v; want *GrowthError before any request", err)
	}
	for name, ch := range map[string]repository.Changes{
		"set": repository.Set("labels", &types.AttributeValueMemberSS{Value: []string{"1", "2", "3", "4"}}),
		"map": repository.Set("attrs", map[string]string{"a": "1", "b": "2", "c": "3"}),
	} {
		var ge *repository.GrowthError
		if _, err := repo.Update(ctx, item.ID, ch); !errors.As(err, &ge) {
			t.Errorf("%s over its bound = %v; want *GrowthError", name, err)
		}
	}
	if err := repo.Create(ctx, &itLabelled{Attrs: map[string]string{"a": "1", "b": "2", "c": "3"}}); !errors.Is(err, repository.ErrCollectionTooLarge) {
		t.Errorf("Create with a map over its bound = %v; want ErrCollectionTooLarge", err)
	}
}
