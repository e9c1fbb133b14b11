package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

type (
	b89Tagged struct {
		ID   string   `dynamodbav:"id"`
		Tags []string `dynamodbav:"tags,stringset,omitempty"`
	}
	b89User struct {
		ID    string `dynamodbav:"id"`
		Email string `dynamodbav:"email,omitempty"`
		Name  string `dynamodbav:"name"`
	}
	b89Org struct {
		ID   string `dynamodbav:"id"`
		Name string `dynamodbav:"name"`
	}
)

var b89Table = index.Table{Name: "break89", PartitionKey: index.S("pk")}

// TestBreakBoundedSetAddLostResponse: an Add of elements to a bounded set
// is conditional on the bound; resent after a lost response it must not
// fail on its own result.
func TestBreakBoundedSetAddLostResponse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := ddbtest.NewFaults()
	client := ddbtest.DynamoDBWithFaults(t, f)
	table := ddbtest.Table(t, ddbtest.DynamoDB(t), b89Table)
	repo, err := repository.New[b89Tagged](client, table, repository.WithBound("tags", 3))
	require.NoError(t, err)
	item := b89Tagged{Tags: []string{"a"}}
	require.NoError(t, repo.Create(ctx, &item))
	f.Script("UpdateItem", ddbtest.LostResponse)
	f.Script("TransactWriteItems", ddbtest.LostResponse)
	_, err = repo.Update(ctx, item.ID, repository.Add("tags", &types.AttributeValueMemberSS{Value: []string{"b", "c"}}))
	require.NoError(t, err, "Update(Add tags) whose response was lost")
	got, err := repo.Get(ctx, item.ID, repository.ConsistentRead())
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a", "b", "c"}, got.Tags)
}

// TestBreakPutNewItemWithEmptyUniqueLostResponse: Put of an item that does
// not exist yet, on a model with a unique attribute left empty, is
// conditional on the item being absent; resent after a lost response it
// must not fail on its own item.
func TestBreakPutNewItemWithEmptyUniqueLostResponse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := ddbtest.NewFaults()
	client := ddbtest.DynamoDBWithFaults(t, f)
	table := ddbtest.Table(t, ddbtest.DynamoDB(t), b89Table)
	repo, err := repository.New[b89User](client, table, repository.WithUnique("email"))
	require.NoError(t, err)
	f.Script("PutItem", ddbtest.LostResponse)
	f.Script("TransactWriteItems", ddbtest.LostResponse)
	u := b89User{ID: "0193a8c2-7a4e-7d3c-9f00-000000000001", Name: "no email"}
	require.NoError(t, repo.Put(ctx, &u), "Put of a new item whose response was lost")
}

// TestBreakEmptyUniqueSetLostResponse: an unversioned write that stores an
// empty unique value where there was none is conditional on there being
// none; resent after a lost response it must not fail on its own result.
func TestBreakEmptyUniqueSetLostResponse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type P struct {
		ID    string `dynamodbav:"id"`
		Email string `dynamodbav:"email"` // stored even when empty
		Name  string `dynamodbav:"name"`
	}
	f := ddbtest.NewFaults()
	client := ddbtest.DynamoDBWithFaults(t, f)
	clean := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, clean, b89Table)
	repo, err := repository.New[P](client, table, repository.WithUnique("email"))
	require.NoError(t, err)
	id := "0193a8c2-7a4e-7d3c-9f00-0000000000c1"
	// An item stored without the attribute (before it was declared).
	_, err = clean.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name),
		Item: map[string]types.AttributeValue{"pk": s(id), "id": s(id), "name": s("old"), repository.EntityTypeAttribute: s("P")}})
	require.NoError(t, err)
	f.Script("UpdateItem", ddbtest.LostResponse)
	f.Script("TransactWriteItems", ddbtest.LostResponse)
	_, err = repo.Update(ctx, id, repository.Set("email", ""))
	require.NoError(t, err, "Update(Set email \"\") whose response was lost")

	id2 := "0193a8c2-7a4e-7d3c-9f00-0000000000c2"
	_, err = clean.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name),
		Item: map[string]types.AttributeValue{"pk": s(id2), "id": s(id2), "name": s("old"), repository.EntityTypeAttribute: s("P")}})
	require.NoError(t, err)
	f.Script("PutItem", ddbtest.LostResponse)
	f.Script("TransactWriteItems", ddbtest.LostResponse)
	require.NoError(t, repo.Put(ctx, &P{ID: id2, Name: "new"}), "Put storing email \"\" whose response was lost")
}

// TestBreakStalePutConditionError: a stale versioned Put, sent as a
// transaction, reports a *ConditionError with the current item, as if sent
// alone.
func TestBreakStalePutConditionError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, b89Table)
	type V struct {
		ID      string `dynamodbav:"id"`
		Name    string `dynamodbav:"name"`
		Email   string `dynamodbav:"email,omitempty"`
		Version int64  `dynamodbav:"version"`
	}
	for _, opts := range [][]repository.Option{
		{repository.WithVersion("version")},
		{repository.WithVersion("version"), repository.WithUnique("email")},
	} {
		repo, err := repository.New[V](client, table, opts...)
		require.NoError(t, err)
		v := V{Name: "a", Email: "e" + randSuffix()}
		require.NoError(t, repo.Create(ctx, &v))
		fresh := v
		fresh.Name = "b"
		require.NoError(t, repo.Put(ctx, &fresh))
		v.Name = "stale"
		err = repo.Put(ctx, &v)
		require.ErrorIs(t, err, repository.ErrVersionConflict)
		var ce *repository.ConditionError
		require.True(t, errors.As(err, &ce), "errors.As(%v, *ConditionError)", err)
		cur, err := repo.Decode(ce.Item)
		require.NoError(t, err)
		require.Equal(t, "b", cur.Name, "ce.Item is the current item")
		require.Equal(t, int64(2), cur.Version)
		var te *repository.TxError
		require.False(t, errors.As(err, &te), "a single write reports as sent alone: %v", err)
	}
}

// TestBreakUpdateOfAnotherTypesItem: with two types keyed "{id}" in one
// table, an Update through one repository at the other's id neither changes
// the other's item nor returns it decoded as its own type: the item of its
// type is not there (ErrNotFound).
func TestBreakUpdateOfAnotherTypesItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, b89Table)
	type VUser struct {
		ID      string `dynamodbav:"id"`
		Email   string `dynamodbav:"email,omitempty"`
		Count   int    `dynamodbav:"count"`
		Version int64  `dynamodbav:"version"`
	}
	users, err := repository.New[b89User](client, table)
	require.NoError(t, err)
	versioned, err := repository.New[VUser](client, table, repository.WithVersion("version"), repository.WithEntityType("b89User"))
	require.NoError(t, err)
	orgs, err := repository.New[b89Org](client, table)
	require.NoError(t, err)
	o := b89Org{Name: "org"}
	require.NoError(t, orgs.Create(ctx, &o))
	_, err = users.Get(ctx, o.ID)
	require.ErrorIs(t, err, repository.ErrNotFound, "Get: the item is an org")

	got, err := users.Update(ctx, o.ID, repository.Set("name", "renamed by users"))
	require.ErrorIs(t, err, repository.ErrNotFound, "Update of an org's id through users returned %+v", got)
	var ce *repository.ConditionError
	require.True(t, errors.As(err, &ce))
	require.Nil(t, ce.Item, "the org is not handed over as the current item")
	_, err = versioned.Update(ctx, o.ID, repository.Set("email", "x@x"), repository.IfVersion(1))
	require.ErrorIs(t, err, repository.ErrNotFound, "versioned Update")
	_, err = versioned.Update(ctx, o.ID, repository.Add("count", 1), repository.Token(uuid.NewString()))
	require.ErrorIs(t, err, repository.ErrNotFound, "Update as a transaction")
	org, err := orgs.Get(ctx, o.ID, repository.ConsistentRead())
	require.NoError(t, err, "the org is still there")
	require.Equal(t, b89Org{ID: o.ID, Name: "org"}, org, "the org was not changed by users")
}

// TestBreakBackfillSharedKeyLayout: two types keyed "{id}" in one table,
// written before the entity type attribute; the README says to backfill
// them. A backfill by one repository must not claim the other's items:
// without a Filter telling them apart it is refused, and with one it
// names only its own.
func TestBreakBackfillSharedKeyLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, b89Table)
	users, err := repository.New[b89User](client, table, repository.WithScan())
	require.NoError(t, err)
	orgs, err := repository.New[b89Org](client, table, repository.WithScan())
	require.NoError(t, err)
	uid, oid := "0193a8c2-7a4e-7d3c-9f00-0000000000a1", "0193a8c2-7a4e-7d3c-9f00-0000000000b1"
	for _, item := range []map[string]types.AttributeValue{
		{"pk": s(uid), "id": s(uid), "name": s("user"), "email": s("u@x")},
		{"pk": s(oid), "id": s(oid), "name": s("org")},
	} {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: item})
		require.NoError(t, err)
	}
	_, _, err = users.BackfillEntityType(ctx, "")
	require.ErrorIs(t, err, repository.ErrInvalidModel, "a backfill that cannot tell users from orgs")
	var cur repository.Cursor
	for {
		_, next, err := users.BackfillEntityType(ctx, cur, repository.Filter(expression.AttributeExists(expression.Name("email"))))
		require.NoError(t, err)
		if next == "" {
			break
		}
		cur = next
	}
	_, err = orgs.Get(ctx, oid, repository.ConsistentRead())
	require.NoError(t, err, "the org is still an org after the users' backfill")
	u, err := users.Get(ctx, uid, repository.ConsistentRead())
	require.NoError(t, err)
	require.Equal(t, "u@x", u.Email)
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table.Name), Key: map[string]types.AttributeValue{"pk": s(uid)}, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	require.Equal(t, s("b89User"), out.Item[repository.EntityTypeAttribute], "the user was backfilled")
}

func randSuffix() string { return "@" + uuid.NewString() }
