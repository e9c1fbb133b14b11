package policytest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/tablestakes/tablestakes/policy"
	"github.com/tablestakes/tablestakes/policy/policytest"
)

var env = policy.Env{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}

// server answers DynamoDB and DynamoDB Streams requests with canned bodies.
func server(t *testing.T) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch target := r.Header.Get("X-Amz-Target"); {
		case strings.HasSuffix(target, ".GetShardIterator"):
			_, _ = io.WriteString(w, `{"ShardIterator":"it-1"}`)
		case strings.HasSuffix(target, ".GetRecords"):
			_, _ = io.WriteString(w, `{"Records":[],"NextShardIterator":"it-2"}`)
		default:
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestRecorder(t *testing.T) {
	url := server(t)
	rec := policytest.NewRecorder(env)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(url)
		o.APIOptions = append(o.APIOptions, rec.Middleware)
	})
	streams := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(url)
		o.APIOptions = append(o.APIOptions, rec.Middleware)
	})
	ctx := t.Context()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("orders"), IndexName: aws.String("by-customer")})
	_, _ = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("orders"), Item: key}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("arn:aws:dynamodb:ddblocal:000000000000:table/guards"), Key: key, ConditionExpression: aws.String("x")}},
	}})
	streamARN := "arn:aws:dynamodb:ddblocal:000000000000:table/orders/stream/2026-11-30T00:00:00.000"
	_, _ = streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamARN), ShardId: aws.String("s"), ShardIteratorType: "TRIM_HORIZON"})
	_, _ = streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("it-1")})
	_, _ = streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("it-2")})

	const ddb = "arn:aws:dynamodb:eu-west-1:123456789012:table/"
	var got []string
	for _, r := range rec.Requests() {
		got = append(got, r.String())
	}
	want := []string{
		"dynamodb:Query on " + ddb + "orders/index/by-customer",
		"dynamodb:PutItem on " + ddb + "orders",
		"dynamodb:ConditionCheckItem on " + ddb + "guards",
		"dynamodb:GetShardIterator on " + ddb + "orders/stream/*",
		"dynamodb:GetRecords on " + ddb + "orders/stream/*",
		"dynamodb:GetRecords on " + ddb + "orders/stream/*",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Requests() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	doc, err := policy.New(
		policy.IndexAccess("orders", "by-customer", "dynamodb:Query"),
		policy.TableAccess("orders", "dynamodb:PutItem", "dynamodb:DeleteItem"),
		policy.TableAccess("guards", "dynamodb:ConditionCheckItem"),
		policy.ReadStream("orders"),
	).Document(env)
	if err != nil {
		t.Fatal(err)
	}
	problems := policytest.Check(doc, rec.Requests())
	if want := []string{
		"granted but never used: dynamodb:DeleteItem on " + ddb + "orders",
		"granted but never used: dynamodb:DescribeStream on " + ddb + "orders/stream/*",
	}; !slices.Equal(problems, want) {
		t.Errorf("Check = %q; want %q", problems, want)
	}
}
