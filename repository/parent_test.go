package repository_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// itReport is a child of itCompany: its items live in the company's partition.
type itReport struct {
	ID        string `dynamodbav:"id"`
	CompanyID string `dynamodbav:"companyId"`
	Title     string `dynamodbav:"title"`
	Unique    string `dynamodbav:"isbn,omitempty"`
}

// itReportsOf reads a company's reports, newest first (ids are UUIDv7).
var itReportsOf = index.AccessPattern{
	Name: "a company's reports, newest first", PartitionPrefix: "COMPANY#", SortPrefix: "REPORT#", Descending: true,
}

// TestParentChildrenShareAPartition keeps a growing collection as items of
// their own in the parent's partition (principle 11).
func TestParentChildrenShareAPartition(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	companies, cc := itRepo(t)
	decl := companies.Table()
	decl.Patterns = append(decl.Patterns, itReportsOf)
	reports, err := repository.New[itReport](cc, decl,
		repository.WithParent("companyId"), repository.WithKeys("COMPANY#{companyId}", "REPORT#{id}"),
		repository.WithUnique("isbn"), repository.WithScan())
	require.NoError(t, err)

	acme, bolt := itCompany{Name: "Acme", Industry: "x", Founded: "2001"}, itCompany{Name: "Bolt", Industry: "x", Founded: "2002"}
	require.NoError(t, companies.Create(ctx, &acme))
	require.NoError(t, companies.Create(ctx, &bolt))

	// Create takes the parent from the item, or from In.
	first := itReport{CompanyID: acme.ID, Title: "2026 Q1", Unique: "978-0"}
	require.NoError(t, reports.Create(ctx, &first))
	second := itReport{Title: "2026 Q2"}
	require.NoError(t, reports.In(acme.ID).Create(ctx, &second))
	require.Equal(t, acme.ID, second.CompanyID, "In sets the parent")
	require.NoError(t, reports.In(bolt.ID).Create(ctx, &itReport{Title: "Bolt 2026"}))
	key, err := reports.In(acme.ID).Key(first.ID)
	require.NoError(t, err)
	require.Equal(t, &types.AttributeValueMemberS{Value: "COMPANY#" + acme.ID}, key["pk"])
	require.Equal(t, &types.AttributeValueMemberS{Value: "REPORT#" + first.ID}, key["sk"])

	// One query of the parent's partition reads its children, and only them.
	var titles []string
	for r, err := range reports.Query(ctx, itReportsOf.Partition(acme.ID)) {
		require.NoError(t, err)
		titles = append(titles, r.Title)
	}
	require.Equal(t, []string{"2026 Q2", "2026 Q1"}, titles)
	got, err := companies.Get(ctx, acme.ID, repository.ConsistentRead())
	require.NoError(t, err)
	require.Equal(t, "Acme", got.Name, "the parent is untouched by its children")

	// Calls by id need the parent, and refuse before any request without it.
	before := cc.total()
	for name, err := range map[string]error{
		"Get":          func() error { _, err := reports.Get(ctx, first.ID); return err }(),
		"Delete":       reports.Delete(ctx, first.ID),
		"Update":       func() error { _, err := reports.Update(ctx, first.ID, repository.Set("title", "x")); return err }(),
		"In(\"\")":     func() error { _, err := reports.In("").Get(ctx, first.ID); return err }(),
		"other parent": reports.In(bolt.ID).Put(ctx, &itReport{ID: first.ID, CompanyID: acme.ID}),
		"no parent":    reports.Put(ctx, &itReport{ID: first.ID}),
	} {
		if !errors.Is(err, repository.ErrParentRequired) {
			t.Errorf("%s = %v; want ErrParentRequired", name, err)
		}
	}
	require.Equal(t, before, cc.total(), "refused calls sent nothing")
	_, err = companies.In(acme.ID).Get(ctx, acme.ID)
	require.ErrorIs(t, err, repository.ErrInvalidModel, "In on a model without a parent")

	// The parent is part of the key: Update cannot move a child.
	_, err = reports.In(acme.ID).Update(ctx, first.ID, repository.Set("companyId", bolt.ID))
	require.ErrorIs(t, err, repository.ErrInvalidUpdate)
	upd, err := reports.In(acme.ID).Update(ctx, first.ID, repository.Set("title", "2026 Q1 (revised)"))
	require.NoError(t, err)
	require.Equal(t, "2026 Q1 (revised)", upd.Title)
	_, err = reports.In(bolt.ID).Get(ctx, first.ID)
	require.ErrorIs(t, err, repository.ErrNotFound, "a child is found under its own parent only")

	// Unique values of children do not collide with the parent entity's.
	require.ErrorIs(t, reports.In(bolt.ID).Create(ctx, &itReport{Title: "copy", Unique: "978-0"}), repository.ErrDuplicate)

	// A scan of the children skips their parents.
	n := 0
	for r, err := range reports.Scan(ctx) {
		require.NoError(t, err)
		require.NotEmpty(t, r.CompanyID)
		n++
	}
	require.Equal(t, 3, n)

	require.NoError(t, reports.In(acme.ID).Delete(ctx, first.ID))
	_, err = reports.In(acme.ID).Get(ctx, first.ID, repository.ConsistentRead())
	require.ErrorIs(t, err, repository.ErrNotFound)
}

func TestParentDeclarationRefused(t *testing.T) {
	t.Parallel()
	table := index.Table{Name: "t", PartitionKey: index.S("pk"), SortKey: index.S("sk")}
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1"})
	for name, opts := range map[string][]repository.Option{
		"no field":       {repository.WithParent("nope"), repository.WithKeys("P#{nope}", "R#{id}")},
		"parent is id":   {repository.WithParent("id"), repository.WithKeys("P#{id}", "R#{id}")},
		"unused parent":  {repository.WithParent("companyId"), repository.WithKeys("P#{id}", "R")},
		"other field":    {repository.WithParent("companyId"), repository.WithKeys("P#{title}", "R#{id}")},
		"no parent decl": {repository.WithKeys("P#{companyId}", "R#{id}")},
	} {
		if _, err := repository.New[itReport](client, table, opts...); !errors.Is(err, repository.ErrInvalidModel) {
			t.Errorf("%s: New = %v; want ErrInvalidModel", name, err)
		}
	}
}

// revNote is a child of itCompany whose Path is computed from its parent
// by a precompute hook.
type revNote struct {
	ID        string `dynamodbav:"id"`
	CompanyID string `dynamodbav:"companyId"`
	Title     string `dynamodbav:"title"`
	Path      string `dynamodbav:"path"`
}

// TestParentPrecomputeSeesIn: a precompute hook sees the parent that In
// sets on the item.
func TestParentPrecomputeSeesIn(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	companies, cc := itRepo(t)
	notes, err := repository.New[revNote](cc, companies.Table(),
		repository.WithParent("companyId"), repository.WithKeys("COMPANY#{companyId}", "NOTE#{id}"),
		repository.WithPrecompute(func(n *revNote) error { n.Path = n.CompanyID + "/" + n.Title; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	acme := itCompany{Name: "Acme", Industry: "x", Founded: "2001"}
	if err := companies.Create(ctx, &acme); err != nil {
		t.Fatal(err)
	}
	n := revNote{Title: "hello"}
	if err := notes.In(acme.ID).Create(ctx, &n); err != nil {
		t.Fatal(err)
	}
	got, err := notes.In(acme.ID).Get(ctx, n.ID, repository.ConsistentRead())
	if err != nil {
		t.Fatal(err)
	}
	if want := acme.ID + "/hello"; got.Path != want {
		t.Errorf("stored Path = %q; want %q", got.Path, want)
	}
}

// revMember is a child of itCompany whose sort key is its bare id.
type revMember struct {
	ID        string `dynamodbav:"id"`
	CompanyID string `dynamodbav:"companyId"`
	Name      string `dynamodbav:"name"`
}

// TestParentChildWithBareIDSortKey: a child whose sort key template has no
// literal prefix keeps unique guards and scans of its own, apart from its
// parent's.
func TestParentChildWithBareIDSortKey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	companies, cc := itRepo(t, repository.WithUnique("name"))
	members, err := repository.New[revMember](cc, companies.Table(),
		repository.WithParent("companyId"), repository.WithKeys("COMPANY#{companyId}", "{id}"),
		repository.WithUnique("name"), repository.WithScan())
	if err != nil {
		t.Fatal(err)
	}
	acme := itCompany{Name: "Acme", Industry: "x", Founded: "2001"}
	if err := companies.Create(ctx, &acme); err != nil {
		t.Fatal(err)
	}
	err = members.In(acme.ID).Create(ctx, &revMember{Name: "Acme"})
	if errors.Is(err, repository.ErrDuplicate) {
		t.Errorf("member Create(name Acme) = %v; want nil: a member's name is not a company's", err)
	} else if err != nil {
		t.Fatal(err)
	}
	for m, err := range members.Scan(ctx, repository.ConsistentRead()) {
		if err != nil {
			t.Fatal(err)
		}
		if m.CompanyID == "" {
			t.Errorf("members.Scan yielded %+v, which is no member (its parent company?)", m)
		}
	}
}

// revStock is a child keyed by a natural key that is unique within its
// parent only.
type revStock struct {
	SKU       string `dynamodbav:"sku"`
	CompanyID string `dynamodbav:"companyId"`
	Count     int    `dynamodbav:"count"`
}

// TestParentBatchPutSameIDOtherParents: two items with one natural id under
// two parents are two items, and BatchPut writes both.
func TestParentBatchPutSameIDOtherParents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	companies, cc := itRepo(t)
	stock, err := repository.New[revStock](cc, companies.Table(), repository.WithNaturalKey("sku"),
		repository.WithParent("companyId"), repository.WithKeys("COMPANY#{companyId}", "STOCK#{sku}"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := "01a212d4-0000-7000-8000-00000000000a", "01a212d4-0000-7000-8000-00000000000b"
	if err := stock.BatchPut(ctx, []*revStock{{SKU: "X1", CompanyID: a, Count: 1}, {SKU: "X1", CompanyID: b, Count: 2}}); err != nil {
		t.Fatalf("BatchPut(X1 of a, X1 of b) = %v; want nil", err)
	}
	for parent, want := range map[string]int{a: 1, b: 2} {
		got, err := stock.In(parent).Get(ctx, "X1", repository.ConsistentRead())
		if err != nil || got.Count != want {
			t.Errorf("In(%s).Get(X1) = %+v, %v; want count %d", parent, got, err, want)
		}
	}
}
