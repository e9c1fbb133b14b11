package repository_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// An account and, in its partition, its orders and notes: three entity
// types in one partition, plus the account's unique email guard.
type (
	ksAccount struct {
		ID    string `dynamodbav:"id"`
		Email string `dynamodbav:"email,omitempty"`
		Name  string `dynamodbav:"name"`
	}
	ksOrder struct {
		ID        string `dynamodbav:"id"`
		AccountID string `dynamodbav:"accountId"`
		Total     int    `dynamodbav:"total"`
	}
	ksNote struct {
		ID        string `dynamodbav:"id"`
		AccountID string `dynamodbav:"accountId"`
		Text      string `dynamodbav:"text"`
	}
)

const (
	ksAccountPK, ksAccountSK index.Template = "ACCOUNT#{id}", "PROFILE"
	ksChildPK                index.Template = "ACCOUNT#{accountId}"
	ksOrderSK, ksNoteSK      index.Template = "ORDER#{id}", "NOTE#{id}"
)

var (
	// ksPartition reads an account's whole partition.
	ksPartition = index.AccessPattern{Name: "an account and what it holds", PartitionPrefix: "ACCOUNT#"}
	ksOrdersOf  = index.Children("an account's orders", ksChildPK, ksOrderSK, false)
	// ksWrongPrefix is a child pattern typed by hand, wrongly.
	ksWrongPrefix = index.AccessPattern{Name: "orders, misspelt", PartitionPrefix: "ACOUNT#", SortPrefix: "ORDER#"}
	ksWrongSort   = index.AccessPattern{Name: "orders, wrong sort prefix", PartitionPrefix: "ACCOUNT#", SortPrefix: "ORDERS#"}
	ksTable       = index.Table{
		Name: "keyspace", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Patterns: []index.AccessPattern{ksPartition, ksOrdersOf, ksWrongPrefix, ksWrongSort},
	}
)

type ksRepos struct {
	client   *dynamodb.Client
	accounts *repository.Repository[ksAccount]
	orders   *repository.Repository[ksOrder]
	notes    *repository.Repository[ksNote]
}

func newKSRepos(t *testing.T) ksRepos {
	t.Helper()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, ksTable)
	accounts, err := repository.New[ksAccount](client, table, repository.WithKeys(ksAccountPK, ksAccountSK),
		repository.WithUnique("email"), repository.WithScan())
	require.NoError(t, err)
	orders, err := repository.New[ksOrder](client, table, repository.WithParent("accountId"),
		repository.WithKeys(ksChildPK, ksOrderSK), repository.WithScan())
	require.NoError(t, err)
	notes, err := repository.New[ksNote](client, table, repository.WithParent("accountId"),
		repository.WithKeys(ksChildPK, ksNoteSK), repository.WithScan())
	require.NoError(t, err)
	return ksRepos{client, accounts, orders, notes}
}

// collect ranges over seq and returns its items, failing t on an error.
func collect[T any](t *testing.T, seq func(yield func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// TestReadsReturnOnlyTheirEntityType: a partition holding an account, its
// orders and notes and the account's unique guard is read by each
// repository's Query, Page, Scan and BatchGet as exactly its own items.
func TestReadsReturnOnlyTheirEntityType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	acct := ksAccount{Name: "Acme", Email: "acme@example.com"}
	require.NoError(t, r.accounts.Create(ctx, &acct))
	var orderIDs, noteIDs []string
	for i := range 3 {
		o := ksOrder{AccountID: acct.ID, Total: i + 1}
		require.NoError(t, r.orders.Create(ctx, &o))
		orderIDs = append(orderIDs, o.ID)
		n := ksNote{AccountID: acct.ID, Text: fmt.Sprint("note ", i)}
		require.NoError(t, r.notes.Create(ctx, &n))
		noteIDs = append(noteIDs, n.ID)
	}
	q := ksPartition.Partition(acct.ID)

	var skipped int
	accounts := collect(t, r.accounts.Query(ctx, q, repository.Skipped(&skipped)))
	require.Equal(t, []ksAccount{acct}, accounts, "accounts.Query")
	require.Equal(t, 6, skipped, "the orders and notes were skipped")
	orders := collect(t, r.orders.Query(ctx, q))
	require.Len(t, orders, 3, "orders.Query")
	for _, o := range orders {
		require.Equal(t, acct.ID, o.AccountID)
		require.NotZero(t, o.Total, "an order decoded from another type's item")
	}
	require.Len(t, collect(t, r.notes.Query(ctx, q)), 3, "notes.Query")
	require.Len(t, collect(t, r.orders.Query(ctx, q, repository.Project("total"))), 3, "a projected Query still tells the types apart")

	page, next, err := r.orders.Page(ctx, q, "", repository.Limit(2))
	require.NoError(t, err)
	require.Len(t, page, 2)
	rest, next, err := r.orders.Page(ctx, q, next, repository.Limit(2))
	require.NoError(t, err)
	require.Len(t, rest, 1, "Page reads on past the other types")
	require.Empty(t, next)

	// Scan: the guard item is no account; the accounts are no orders.
	require.Equal(t, []ksAccount{acct}, collect(t, r.accounts.Scan(ctx)), "accounts.Scan")
	require.Len(t, collect(t, r.orders.Scan(ctx)), 3, "orders.Scan")

	got, err := r.orders.In(acct.ID).BatchGet(ctx, orderIDs)
	require.NoError(t, err)
	require.Len(t, got, 3, "orders.BatchGet")
	gotNotes, err := r.notes.In(acct.ID).BatchGet(ctx, orderIDs)
	require.NoError(t, err)
	require.Empty(t, gotNotes, "ids of orders, asked of the notes, are no notes")
	_ = noteIDs
}

// TestDefaultLayoutScanSkipsGuards: with the default {id} key layout, the
// unique guard of an item is not returned by Scan as a model.
func TestDefaultLayoutScanSkipsGuards(t *testing.T) {
	t.Parallel()
	type user struct {
		ID    string `dynamodbav:"id"`
		Email string `dynamodbav:"email"`
	}
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "users", PartitionKey: index.S("id")})
	users, err := repository.New[user](client, table, repository.WithUnique("email"), repository.WithScan(), repository.WithEntityType("user"))
	require.NoError(t, err)
	u := user{Email: "a@x.example"}
	require.NoError(t, users.Create(ctx, &u))
	var skipped int
	require.Equal(t, []user{u}, collect(t, users.Scan(ctx, repository.Skipped(&skipped))), "Scan")
	require.Equal(t, 1, skipped, "the guard was read and skipped")
}

// TestReservedKeySpace: no natural id, parent or template reaches the
// library's own items.
func TestReservedKeySpace(t *testing.T) {
	t.Parallel()
	type user struct {
		Username string `dynamodbav:"username"`
		Email    string `dynamodbav:"email"`
	}
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "users", PartitionKey: index.S("username")})
	users, err := repository.New[user](client, table, repository.WithNaturalKey("username"), repository.WithUnique("email"),
		repository.WithEntityType("User"))
	require.NoError(t, err)
	alice := user{Username: "alice", Email: "a@x.example"}
	require.NoError(t, users.Create(ctx, &alice))

	guard := "UNIQUE#User#email#a@x.example"
	for name, err := range map[string]error{
		"Put":    users.Put(ctx, &user{Username: guard, Email: "m@x.example"}),
		"Create": users.Create(ctx, &user{Username: guard}),
		"Delete": users.Delete(ctx, guard),
		"Get":    func() error { _, err := users.Get(ctx, guard); return err }(),
		"Update": func() error { _, err := users.Update(ctx, guard, repository.Set("email", "z")); return err }(),
	} {
		var ie *repository.IDError
		if !errors.Is(err, repository.ErrInvalidID) || !errors.As(err, &ie) {
			t.Errorf("%s(%q) = %v; want an IDError", name, guard, err)
		}
	}
	// Alice's email is still hers.
	require.ErrorIs(t, users.Create(ctx, &user{Username: "mallory", Email: "a@x.example"}), repository.ErrDuplicate)

	_, err = repository.New[user](client, table, repository.WithNaturalKey("username"), repository.WithKeys("UNIQUE#{username}", ""))
	require.ErrorIs(t, err, repository.ErrInvalidModel, "a template in the reserved key space")
}

// TestParentIDsValidated: parent ids are checked like ids, before any request.
func TestParentIDsValidated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	for name, err := range map[string]error{
		"Create": r.notes.Create(ctx, &ksNote{AccountID: "not-a-uuid"}),
		"In(x#NOTE#y).Get": func() error {
			_, err := r.notes.In("x#NOTE#y").Get(ctx, "0193a8c2-7a4e-7d3c-9f00-0123456789ab")
			return err
		}(),
		"In(not-a-uuid).Create": r.notes.In("not-a-uuid").Create(ctx, &ksNote{}),
		"In(not-a-uuid).Query": func() error {
			_, _, err := r.orders.In("not-a-uuid").Page(ctx, ksOrdersOf.Partition(nil), "")
			return err
		}(),
		"BatchPut, parent blank": r.notes.BatchPut(ctx, []*ksNote{{AccountID: "Not-A-UUID"}}),
	} {
		if !errors.Is(err, repository.ErrInvalidID) {
			t.Errorf("%s = %v; want ErrInvalidID", name, err)
		}
	}
}

// TestChildPatternsAndScope: a hand-typed prefix that cannot hold the
// repository's items is refused, not read as an empty partition; In scopes
// queries to its parent.
func TestChildPatternsAndScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	a, b := ksAccount{Name: "a"}, ksAccount{Name: "b"}
	require.NoError(t, r.accounts.Create(ctx, &a))
	require.NoError(t, r.accounts.Create(ctx, &b))
	for _, p := range []string{a.ID, a.ID, b.ID} {
		require.NoError(t, r.orders.Create(ctx, &ksOrder{AccountID: p, Total: 1}))
	}
	for _, p := range []index.AccessPattern{ksWrongPrefix, ksWrongSort} {
		_, _, err := r.orders.Page(ctx, p.Partition(a.ID), "")
		require.ErrorIs(t, err, index.ErrInvalidPattern, "pattern %q", p.Name)
		for _, err := range r.orders.Query(ctx, p.Partition(a.ID)) {
			require.ErrorIs(t, err, index.ErrInvalidPattern, "pattern %q", p.Name)
		}
	}
	require.Len(t, collect(t, r.orders.Query(ctx, ksOrdersOf.Partition(a.ID))), 2, "the derived pattern")
	require.Len(t, collect(t, r.orders.In(a.ID).Query(ctx, ksOrdersOf.Partition(nil))), 2, "In reads its parent's partition")
	page, _, err := r.orders.In(b.ID).Page(ctx, ksOrdersOf.Partition(nil), "")
	require.NoError(t, err)
	require.Len(t, page, 1)
	_, _, err = r.orders.In(b.ID).Page(ctx, ksOrdersOf.Partition(a.ID), "")
	require.ErrorIs(t, err, index.ErrInvalidPattern, "In(b) reading a's partition")
}

// TestItemsWithoutEntityType: items written before the entity type
// attribute read as before when their key has the model's shape; a guard
// written then is still no model.
func TestItemsWithoutEntityType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	const id, order = "0193a8c2-7a4e-7d3c-9f00-00000000000a", "0193a8c2-7a4e-7d3c-9f00-00000000000b"
	for _, item := range []map[string]types.AttributeValue{
		{"pk": s("ACCOUNT#" + id), "sk": s("PROFILE"), "id": s(id), "name": s("Legacy")},
		{"pk": s("ACCOUNT#" + id), "sk": s("ORDER#" + order), "id": s(order), "accountId": s(id), "total": &types.AttributeValueMemberN{Value: "9"}},
		{"pk": s("UNIQUE#ACCOUNT#email#old@x.example"), "sk": s("UNIQUE"), "owner": s(id)},
	} {
		_, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.accounts.Table().Name), Item: item})
		require.NoError(t, err)
	}
	got, err := r.accounts.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "Legacy", got.Name)
	require.Equal(t, []ksAccount{{ID: id, Name: "Legacy"}}, collect(t, r.accounts.Query(ctx, ksPartition.Partition(id))))
	require.Equal(t, []ksOrder{{ID: order, AccountID: id, Total: 9}}, collect(t, r.orders.Query(ctx, ksPartition.Partition(id))))
	require.Equal(t, []ksAccount{{ID: id, Name: "Legacy"}}, collect(t, r.accounts.Scan(ctx)), "the old guard is no account")
	_, err = r.notes.In(id).Get(ctx, order)
	require.ErrorIs(t, err, repository.ErrNotFound, "an order's id asked of the notes")
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// TestCollection reads an account, its orders and its notes — three entity
// types in one partition — page by page into typed slices.
func TestCollection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	acct := ksAccount{Name: "Acme", Email: "acme@example.com"}
	require.NoError(t, r.accounts.Create(ctx, &acct))
	for i := range 5 {
		require.NoError(t, r.orders.Create(ctx, &ksOrder{AccountID: acct.ID, Total: i + 1}))
		require.NoError(t, r.notes.Create(ctx, &ksNote{AccountID: acct.ID, Text: fmt.Sprint(i)}))
	}
	var (
		accounts []ksAccount
		orders   []ksOrder
		notes    []ksNote
	)
	col, err := repository.NewCollection(repository.Into(r.accounts, &accounts), repository.Into(r.orders, &orders), repository.Into(r.notes, &notes))
	require.NoError(t, err)
	q := ksPartition.Partition(acct.ID)
	pages := 0
	for next, err := range col.Pages(ctx, q, repository.Limit(4)) {
		require.NoError(t, err)
		pages++
		_ = next
	}
	require.Equal(t, 3, pages, "11 items, 4 a page")
	require.Equal(t, []ksAccount{acct}, accounts)
	require.Len(t, orders, 5)
	require.Len(t, notes, 5)
	for _, o := range orders {
		require.NotZero(t, o.Total)
	}

	// A member left out is skipped, and counted.
	orders = nil
	only, err := repository.NewCollection(repository.Into(r.orders, &orders))
	require.NoError(t, err)
	var skipped int
	next, err := only.Page(ctx, q, "", repository.Skipped(&skipped))
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, orders, 5)
	require.Equal(t, 6, skipped)

	// Cursors are bound to the partition; bad collections are refused.
	_, next, err = r.orders.Page(ctx, ksPartition.Partition(acct.ID), "", repository.Limit(1))
	require.NoError(t, err)
	_, err = col.Page(ctx, ksPartition.Partition("0193a8c2-7a4e-7d3c-9f00-0123456789ab"), next)
	require.ErrorIs(t, err, repository.ErrInvalidCursor, "another partition's cursor")
	_, err = repository.NewCollection()
	require.ErrorIs(t, err, repository.ErrInvalidModel)
	_, err = repository.NewCollection(repository.Into(r.orders, &orders), repository.Into(r.orders, &orders))
	require.ErrorIs(t, err, repository.ErrInvalidModel, "one type twice")
	_, err = col.Page(ctx, ksWrongPrefix.Partition(acct.ID), "")
	require.ErrorIs(t, err, index.ErrInvalidPattern, "a partition that cannot hold accounts")
}

// TestBackfillEntityType adds the entity type to items written before it,
// page by page, resuming from a cursor, and touches no other type's items.
func TestBackfillEntityType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	table := r.accounts.Table().Name
	const accounts = 25
	for i := range accounts {
		id := fmt.Sprintf("0193a8c2-7a4e-7d3c-9f00-%012x", i)
		for _, item := range []map[string]types.AttributeValue{
			{"pk": s("ACCOUNT#" + id), "sk": s("PROFILE"), "id": s(id), "name": s("Legacy")},
			{"pk": s("ACCOUNT#" + id), "sk": s("ORDER#" + id), "id": s(id), "accountId": s(id)},
		} {
			_, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
			require.NoError(t, err)
		}
	}
	fresh := ksAccount{Name: "new"}
	require.NoError(t, r.accounts.Create(ctx, &fresh))

	total, pages := 0, 0
	var cursor repository.Cursor
	for {
		n, next, err := r.accounts.BackfillEntityType(ctx, cursor, repository.Limit(10))
		require.NoError(t, err)
		total, pages = total+n, pages+1
		if next == "" {
			break
		}
		if pages == 2 {
			// A crash here: the next run resumes from the cursor it saved.
			n, again, err := r.accounts.BackfillEntityType(ctx, cursor, repository.Limit(10))
			require.NoError(t, err)
			require.Zero(t, n, "a page backfilled again sets nothing twice")
			require.Equal(t, next, again)
		}
		cursor = next
	}
	require.Equal(t, accounts, total, "every legacy account, once")
	require.Greater(t, pages, 2)

	out, err := r.client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	require.NoError(t, err)
	for _, item := range out.Items {
		sk := item["sk"].(*types.AttributeValueMemberS).Value
		et, has := item[repository.EntityTypeAttribute]
		switch {
		case sk == "PROFILE" && !has:
			t.Errorf("account %v has no entity type after the backfill", item["pk"])
		case sk == "PROFILE" && et.(*types.AttributeValueMemberS).Value != "ksAccount":
			t.Errorf("account %v has entity type %v", item["pk"], et)
		case sk != "PROFILE" && has && item["total"] == nil:
			t.Errorf("the backfill of accounts touched %v %v", item["pk"], sk)
		}
	}
	_, _, err = r.orders.BackfillEntityType(ctx, cursor)
	require.ErrorIs(t, err, repository.ErrInvalidCursor, "another type's cursor")
}

// TestQueryDecodeErrorNamesTheItem: an item that does not decode as T
// fails the read with a DecodeError naming it.
func TestQueryDecodeErrorNamesTheItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newKSRepos(t)
	const acct, order = "0193a8c2-7a4e-7d3c-9f00-00000000000a", "0193a8c2-7a4e-7d3c-9f00-00000000000b"
	_, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.orders.Table().Name), Item: map[string]types.AttributeValue{
		"pk": s("ACCOUNT#" + acct), "sk": s("ORDER#" + order), "id": s(order), "accountId": s(acct), "total": s("not a number"),
	}})
	require.NoError(t, err)
	var de *repository.DecodeError
	for _, err := range r.orders.Query(ctx, ksOrdersOf.Partition(acct)) {
		require.ErrorIs(t, err, repository.ErrDecode)
		require.ErrorAs(t, err, &de)
	}
	require.NotNil(t, de, "Query yielded no error")
	require.Equal(t, order, de.ID)
	require.Equal(t, s("ORDER#"+order), de.Key["sk"])
	_, err = r.orders.In(acct).Get(ctx, order)
	require.ErrorAs(t, err, &de, "Get")
}

// TestWritesNeverCrossEntityTypes: two types keyed "{id}" in one table; a
// write through one repository never replaces, changes or deletes the
// other's item at the same key, nor hands it over as its own type.
func TestWritesNeverCrossEntityTypes(t *testing.T) {
	t.Parallel()
	type (
		user struct {
			ID   string `dynamodbav:"id"`
			Name string `dynamodbav:"name"`
		}
		org struct {
			ID   string `dynamodbav:"id"`
			Name string `dynamodbav:"name"`
		}
	)
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "shared", PartitionKey: index.S("id")})
	users, err := repository.New[user](client, table, repository.WithEntityType("user"))
	require.NoError(t, err)
	orgs, err := repository.New[org](client, table, repository.WithEntityType("org"))
	require.NoError(t, err)
	o := org{Name: "Acme"}
	require.NoError(t, orgs.Create(ctx, &o))

	err = users.Put(ctx, &user{ID: o.ID, Name: "mallory"})
	var ce *repository.ConditionError
	require.ErrorIs(t, err, repository.ErrAlreadyExists, "Put over another type's item")
	require.True(t, errors.As(err, &ce) && ce.Item == nil, "the other type's item is not handed over")
	err = users.Create(ctx, &user{ID: o.ID, Name: "mallory"})
	require.ErrorIs(t, err, repository.ErrAlreadyExists, "Create over another type's item")
	require.True(t, errors.As(err, &ce) && ce.Item == nil, "the other type's item is not handed over")
	_, err = users.Update(ctx, o.ID, repository.Set("name", "mallory"))
	require.ErrorIs(t, err, repository.ErrNotFound, "Update of another type's item")
	require.NoError(t, users.Delete(ctx, o.ID), "Delete finds no user: nothing to do")

	got, err := orgs.Get(ctx, o.ID, repository.ConsistentRead())
	require.NoError(t, err, "the org is still there")
	require.Equal(t, "Acme", got.Name)
}
