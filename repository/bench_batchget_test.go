package repository_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// batchStore answers BatchGetItem from memory, in the reverse of the order
// asked, as DynamoDB may: what BatchGet costs beyond the SDK call.
type batchStore struct {
	repository.Client // nil: only BatchGetItem is called
	items             map[string]map[string]types.AttributeValue
}

func (s *batchStore) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range slices.Backward(ka.Keys) {
			if item, ok := s.items[k["pk"].(*types.AttributeValueMemberS).Value]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

// BenchmarkBatchGet reads 100 items of 15 attributes, in one request.
func BenchmarkBatchGet(b *testing.B) {
	store := &batchStore{items: map[string]map[string]types.AttributeValue{}}
	repo, err := repository.New[benchCompany](store, index.Table{Name: "bench", PartitionKey: index.S("pk"), SortKey: index.S("sk")},
		repository.WithKeys("COMPANY#{id}", "PROFILE"))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 100)
	for i := range ids {
		item := benchStored(b, i)
		ids[i] = benchFixture(i).ID
		store.items["COMPANY#"+ids[i]] = item
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := repo.BatchGet(ctx, ids)
		if err != nil || len(got) != len(ids) {
			b.Fatal(fmt.Sprint(len(got), err))
		}
	}
}
