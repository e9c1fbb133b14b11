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
