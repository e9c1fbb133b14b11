package itemsize_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/itemsize"
)

// TestLimitMatchesDynamoDBLocal builds items of every value type whose computed
// size is exactly the limit and one byte over, and checks that DynamoDB Local
// accepts the first and refuses the second: the size rules are the server's.
func TestLimitMatchesDynamoDBLocal(t *testing.T) {
	t.Parallel()
	c := ddbtest.DynamoDB(t)
	tb := ddbtest.Table(t, c, index.Table{Name: "itemsize", PartitionKey: index.S("pk")})
	shapes := map[string]map[string]types.AttributeValue{
		"plain":       {},
		"num1":        {"n": &types.AttributeValueMemberN{Value: "1"}},
		"num12345":    {"n": &types.AttributeValueMemberN{Value: "12345"}},
		"num0.001":    {"n": &types.AttributeValueMemberN{Value: "0.001"}},
		"num100":      {"n": &types.AttributeValueMemberN{Value: "100"}},
		"num1.5":      {"n": &types.AttributeValueMemberN{Value: "1.5"}},
		"num-123.456": {"n": &types.AttributeValueMemberN{Value: "-123.456"}},
		"num10.01":    {"n": &types.AttributeValueMemberN{Value: "10.01"}},
		"num0":        {"n": &types.AttributeValueMemberN{Value: "0"}},
		"numbig":      {"n": &types.AttributeValueMemberN{Value: "12345678901234567890123456789012345678"}},
		"bool":        {"b": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}},
		"map":         {"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": &types.AttributeValueMemberS{Value: "xyz"}, "bb": &types.AttributeValueMemberN{Value: "42"}}}},
		"list":        {"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "xyz"}, &types.AttributeValueMemberN{Value: "42"}}}},
		"emptylist":   {"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}},
		"ss":          {"s": &types.AttributeValueMemberSS{Value: []string{"a", "bcd"}}},
		"ns":          {"s": &types.AttributeValueMemberNS{Value: []string{"1", "12345"}}},
		"bs":          {"s": &types.AttributeValueMemberBS{Value: [][]byte{{1, 2}, {3}}}},
		"unicode":     {"ü": &types.AttributeValueMemberS{Value: "日本"}},
		"num-1.5":     {"n": &types.AttributeValueMemberN{Value: "-1.5"}},
		"num0.5":      {"n": &types.AttributeValueMemberN{Value: "0.5"}},
		"num0.05":     {"n": &types.AttributeValueMemberN{Value: "0.05"}},
		"num1e3":      {"n": &types.AttributeValueMemberN{Value: "1E+3"}},
		"num1.23e-7":  {"n": &types.AttributeValueMemberN{Value: "1.23E-7"}},
		"num99.9999":  {"n": &types.AttributeValueMemberN{Value: "99.9999"}},
		"num123456.7": {"n": &types.AttributeValueMemberN{Value: "123456.7"}},
		"num-0.001":   {"n": &types.AttributeValueMemberN{Value: "-0.001"}},
		"num1000":     {"n": &types.AttributeValueMemberN{Value: "1000"}},
		"num10":       {"n": &types.AttributeValueMemberN{Value: "10"}},
		"num-7":       {"n": &types.AttributeValueMemberN{Value: "-7"}},
	}
	for name, extra := range shapes {
		for _, delta := range []int{0, 1} {
			item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: name + fmt.Sprint(delta)}}
			for k, v := range extra {
				item[k] = v
			}
			item["pad"] = &types.AttributeValueMemberS{Value: ""}
			pad := itemsize.MaxItemSize + delta - itemsize.Of(item)
			item["pad"] = &types.AttributeValueMemberS{Value: strings.Repeat("x", pad)}
			_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tb.Name), Item: item})
			ok := err == nil
			want := delta == 0
			if ok != want {
				t.Errorf("%s size %d: accepted=%v; want %v (%v)", name, itemsize.Of(item), ok, want, err)
			}
		}
	}
}
