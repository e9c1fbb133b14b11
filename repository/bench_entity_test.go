package repository_test

// What reading only one's own entity type costs: a Query of 100 items of T
// from a single-type partition, from a mixed partition (the same 100 items
// among 25 items of another type, which the repository skips), and from a
// partition written before the entity type attribute (each item's type told
// from its key), on the in-process stub of bench_test.go.
//
//	go test -run '^$' -bench BenchmarkQueryEntityType -benchmem -count 8 ./repository/ > et.txt
//	benchstat -col /impl et.txt

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/repository"
)

// queryStub returns a stub whose Query answers items.
func queryStub(tb testing.TB, items []map[string]types.AttributeValue) *ddbStub {
	tb.Helper()
	raw := make([]json.RawMessage, len(items))
	for i, it := range items {
		var err error
		if raw[i], err = attributevalue.MarshalMapJSON(it); err != nil {
			tb.Fatal(err)
		}
	}
	body, err := json.Marshal(map[string]any{"Count": len(raw), "ScannedCount": len(raw), "Items": raw})
	if err != nil {
		tb.Fatal(err)
	}
	return &ddbStub{responses: map[string]stubResponse{"DynamoDB_20120810.Query": stubAnswer(body)}, bodies: map[string][]byte{}}
}

func BenchmarkQueryEntityType(b *testing.B) {
	const n = 100
	own := func(i int, typed bool) map[string]types.AttributeValue {
		m := benchStored(b, i)
		if !typed {
			delete(m, repository.EntityTypeAttribute)
		}
		return m
	}
	other := func(i int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "COMPANY#x"}, "sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("NOTE#%03d", i)},
			repository.EntityTypeAttribute: &types.AttributeValueMemberS{Value: "note"},
			"text":                         &types.AttributeValueMemberS{Value: "a note of about the size of a short paragraph"},
		}
	}
	var single, mixed, legacy []map[string]types.AttributeValue
	for i := range n {
		single = append(single, own(i, true))
		legacy = append(legacy, own(i, false))
		mixed = append(mixed, own(i, true))
		if i%4 == 0 {
			mixed = append(mixed, other(i))
		}
	}
	// By hand: the mixed partition, items told apart by their _et.
	b.Run("impl=sdk-mixed", func(b *testing.B) {
		stub := queryStub(b, mixed)
		client := stub.client()
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			got := 0
			err := sdkQueryItems(ctx, client, func(item map[string]types.AttributeValue) error {
				if et, ok := item["_et"].(*types.AttributeValueMemberS); !ok || et.Value != "benchCompany" {
					return nil
				}
				var c benchCompany
				if err := attributevalue.UnmarshalMap(item, &c); err != nil {
					return err
				}
				got++
				return nil
			})
			if err != nil || got != n {
				b.Fatalf("read %d items, %v; want %d", got, err, n)
			}
		}
	})
	for _, v := range []struct {
		name  string
		items []map[string]types.AttributeValue
	}{{"single", single}, {"mixed", mixed}, {"legacy", legacy}} {
		b.Run("impl="+v.name, func(b *testing.B) {
			stub := queryStub(b, v.items)
			repo, err := repository.New[benchCompany](stub.client(), benchTable, repository.WithKeys("COMPANY#{id}", "PROFILE"))
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				for _, err := range repo.Query(ctx, benchByIndustry.Partition(benchIndustry)) {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("Query read %d items; want %d", got, n)
				}
			}
		})
	}
}

// sdkQueryItems sends the by-industry query of sdkQuery, one page, and
// passes each raw item to each.
func sdkQueryItems(ctx context.Context, client *dynamodb.Client, each func(map[string]types.AttributeValue) error) error {
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(benchTableName),
		IndexName:                 aws.String(benchIndex),
		KeyConditionExpression:    aws.String("#0 = :0"),
		ExpressionAttributeNames:  map[string]string{"#0": "industry"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":0": &types.AttributeValueMemberS{Value: benchIndustry}},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(false),
	})
	if err != nil {
		return err
	}
	for _, item := range out.Items {
		if err := each(item); err != nil {
			return err
		}
	}
	return nil
}
