package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

type keyedByOwner struct {
	ID    string `dynamodbav:"id"`
	Owner string `dynamodbav:"owner"`
	Rank  string `dynamodbav:"rank,omitempty"`
	Score any    `dynamodbav:"score,omitempty"`
}

// TestIndexKeyValuesRefused: DynamoDB refuses a secondary index key value
// of another type than the index declares ("Type mismatch for Index Key"):
// the repository refuses it before any request, naming the attribute. An
// empty string (refused by AWS, though not by DynamoDB Local) is left out,
// by Update as by Create, so the item leaves that index.
func TestIndexKeyValuesRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{
		Name: "idxkeys", PartitionKey: index.S("pk"),
		Indexes: []index.Index{
			{Name: "by-owner", PartitionKey: index.S("owner"), SortKey: index.S("rank")},
			{Name: "by-score", PartitionKey: index.S("owner"), SortKey: index.N("score")},
		},
	})
	cc := &counting{Client: client}
	repo, err := repository.New[keyedByOwner](cc, table, repository.WithKeys("K#{id}", ""))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, tc := range []struct {
		name string
		item keyedByOwner
		attr string
	}{
		{"number key holding a string", keyedByOwner{Owner: "o", Score: "high"}, "score"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := cc.total()
			err := repo.Create(ctx, &tc.item)
			var ve *repository.ValueError
			if !errors.Is(err, repository.ErrInvalidValue) || !errors.As(err, &ve) || ve.Attribute != tc.attr {
				t.Errorf("Create(%+v) = %v; want a ValueError naming %q", tc.item, err, tc.attr)
			}
			if n := cc.total() - before; n != 0 {
				t.Errorf("Create(%+v) sent %d requests; want none", tc.item, n)
			}
		})
	}
	ok := keyedByOwner{Owner: "o", Score: 12}
	if err := repo.Create(ctx, &ok); err != nil {
		t.Fatalf("Create(%+v) = %v", ok, err)
	}
	before := cc.total()
	if _, err := repo.Update(ctx, ok.ID, repository.Set("score", "high")); !errors.Is(err, repository.ErrInvalidValue) {
		t.Errorf("Update(Set(score, high)) = %v; want ErrInvalidValue", err)
	}
	if n := cc.total() - before; n != 0 {
		t.Errorf("Update(Set(score, high)) sent %d requests; want none", n)
	}
	if _, err := repo.Update(ctx, ok.ID, repository.Set("rank", "r1").Set("score", nil)); err != nil {
		t.Errorf("Update(Set(rank, r1), Set(score, nil)) = %v", err)
	}
	// An empty index key is left out, as Create leaves it out: AWS refuses
	// it (DynamoDB Local does not).
	got, err := repo.Update(ctx, ok.ID, repository.Set("rank", ""))
	if err != nil || got.Rank != "" {
		t.Fatalf("Update(Set(rank, \"\")) = %+v, %v; want rank left out", got, err)
	}
	key, _ := repo.Key(ok.ID)
	if v, stored := raw(t, client, table.Name, key)["rank"]; stored {
		t.Errorf("after Update(Set(rank, \"\")) rank is stored as %#v; want it left out", v)
	}
}

type numberText struct {
	ID  string     `dynamodbav:"id"`
	Big *bigNumber `dynamodbav:"big,omitempty"`
}

// TestNumberSpellingsAsDynamoDB: the repository accepts every spelling of
// a number that DynamoDB accepts, and refuses the ones DynamoDB refuses.
func TestNumberSpellingsAsDynamoDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "numbers", PartitionKey: index.S("pk")})
	repo, err := repository.New[numberText](client, table, repository.WithKeys("N#{id}", ""))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, n := range []string{
		"1e0000001", "1E+0000000000000000000002", "5E-0000130", "0e999999", "+5", "5.", ".5", "007", "-0",
		"1e9999999", "1e-131", " 5", "1_0", "0x10", "1e", "e5",
	} {
		_, dbErr := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "raw"}, "n": &types.AttributeValueMemberN{Value: n}}})
		b := bigNumber(n)
		err := repo.Create(ctx, &numberText{Big: &b})
		if (dbErr == nil) != (err == nil) {
			t.Errorf("Create(%q) = %v; DynamoDB's PutItem = %v", n, err, dbErr)
		}
		if err != nil && !errors.Is(err, repository.ErrInvalidValue) {
			t.Errorf("Create(%q) = %v; want ErrInvalidValue", n, err)
		}
	}
}

type pathModel struct {
	ID    string            `dynamodbav:"id"`
	Attrs map[string]string `dynamodbav:"attrs,omitempty"`
}

// TestUpdatePathNotUTF8Refused: a document path whose names are not valid
// UTF-8 would be stored altered (each bad byte as U+FFFD): Update refuses
// it before any request.
func TestUpdatePathNotUTF8Refused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "paths", PartitionKey: index.S("pk")})
	cc := &counting{Client: client}
	repo, err := repository.New[pathModel](cc, table, repository.WithKeys("P#{id}", ""))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	item := &pathModel{Attrs: map[string]string{"k": "v"}}
	if err := repo.Create(ctx, item); err != nil {
		t.Fatalf("Create: %v", err)
	}
	for _, path := range []string{"attrs.b\xffad", "attrs.\xfe"} {
		before := cc.total()
		_, err := repo.Update(ctx, item.ID, repository.Changes{}.SetPath("attrs.k", "ok").SetPath(path, "v"))
		if !errors.Is(err, repository.ErrInvalidValue) {
			t.Errorf("Update(SetPath(%q)) = %v; want ErrInvalidValue", path, err)
		}
		if n := cc.total() - before; n != 0 {
			t.Errorf("Update(SetPath(%q)) sent %d requests; want none", path, n)
		}
	}
	got, err := repo.Get(ctx, item.ID)
	if err != nil || len(got.Attrs) != 1 || got.Attrs["k"] != "v" {
		t.Errorf("Get = %+v, %v; want attrs unchanged", got, err)
	}
}
