package repository_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
