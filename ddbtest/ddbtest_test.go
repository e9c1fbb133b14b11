package ddbtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
)

func TestUniqueName(t *testing.T) {
	// SNS topic and SQS queue names allow no '.' (only a FIFO's ".fifo").
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]{3,80}$`)
	for _, base := range []string{"companies", "", "a b/c#d", "orders.v1", strings.Repeat("x", 300)} {
		a, b := ddbtest.UniqueName(t, base), ddbtest.UniqueName(t, base)
		if a == b {
			t.Errorf("UniqueName(%q) twice = %q; want different names", base, a)
		}
		if !valid.MatchString(a) {
			t.Errorf("UniqueName(%q) = %q; want 3-80 characters of [a-zA-Z0-9_-]", base, a)
		}
	}
}

// TestDynamoDBLocal creates a table with a GSI and a stream, writes and reads
// an item through the base table and the index, and reads the stream record.
func TestDynamoDBLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{
		Name:         "smoke",
		PartitionKey: index.S("pk"),
		SortKey:      index.S("sk"),
		Indexes: []index.Index{{
			Name: "by-email", PartitionKey: index.S("email"), Projection: index.Include("name"),
		}},
		Stream: types.StreamViewTypeNewAndOldImages,
	})
	if err := index.Verify(ctx, client, table); err != nil {
		t.Fatalf("Verify(%s) = %v; want nil", table.Name, err)
	}

	item := map[string]types.AttributeValue{
		"pk":    &types.AttributeValueMemberS{Value: "COMPANY#1"},
		"sk":    &types.AttributeValueMemberS{Value: "PROFILE"},
		"email": &types.AttributeValueMemberS{Value: "a@example.com"},
		"name":  &types.AttributeValueMemberS{Value: "Acme"},
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table.Name),
		Key:       map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]},
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if name, _ := got.Item["name"].(*types.AttributeValueMemberS); name == nil || name.Value != "Acme" {
		t.Fatalf("GetItem name = %v; want Acme", got.Item["name"])
	}
	q, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table.Name),
		IndexName:                 aws.String("by-email"),
		KeyConditionExpression:    aws.String("email = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": item["email"]},
	})
	if err != nil {
		t.Fatalf("Query by-email: %v", err)
	}
	if q.Count != 1 {
		t.Fatalf("Query by-email count = %d; want 1", q.Count)
	}

	rec := firstStreamRecord(ctx, t, client, ddbtest.Streams(t), table.Name)
	if rec.EventName != streamtypes.OperationTypeInsert {
		t.Errorf("stream event = %s; want INSERT", rec.EventName)
	}
	if pk, _ := rec.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS); pk == nil || pk.Value != "COMPANY#1" {
		t.Errorf("stream record key pk = %v; want COMPANY#1", rec.Dynamodb.Keys["pk"])
	}
	if name, _ := rec.Dynamodb.NewImage["name"].(*streamtypes.AttributeValueMemberS); name == nil || name.Value != "Acme" {
		t.Errorf("stream record new image name = %v; want Acme", rec.Dynamodb.NewImage["name"])
	}
}

func firstStreamRecord(ctx context.Context, t *testing.T, db *dynamodb.Client, streams *dynamodbstreams.Client, table string) streamtypes.Record {
	t.Helper()
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	arn := desc.Table.LatestStreamArn
	if arn == nil {
		t.Fatal("table has no stream ARN")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		sd, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
		if err != nil {
			t.Fatalf("DescribeStream: %v", err)
		}
		for _, shard := range sd.StreamDescription.Shards {
			it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				t.Fatalf("GetShardIterator: %v", err)
			}
			recs, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
			if err != nil {
				t.Fatalf("GetRecords: %v", err)
			}
			if len(recs.Records) > 0 {
				return recs.Records[0]
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("no stream record within 30s")
	return streamtypes.Record{}
}

// TestSNSToSQS publishes to an SNS topic and receives the message from a
// subscribed SQS queue, over the wire, for raw and enveloped delivery and
// for FIFO topics.
func TestSNSToSQS(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		raw  bool
		opts []ddbtest.SubscribeOption
	}{
		"raw":       {true, []ddbtest.SubscribeOption{ddbtest.RawDelivery()}},
		"envelope":  {false, nil},
		"fifo, raw": {true, []ddbtest.SubscribeOption{ddbtest.FIFO(), ddbtest.RawDelivery(), ddbtest.VisibilityTimeout(time.Second)}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			snsToSQS(t, tc.raw, tc.opts...)
		})
	}
}

func snsToSQS(t *testing.T, raw bool, opts ...ddbtest.SubscribeOption) {
	ctx := context.Background()
	snsc, sqsc := ddbtest.SNS(t), ddbtest.SQS(t)
	sub := ddbtest.Subscribe(t, snsc, sqsc, "changes", opts...)
	fifo := strings.HasSuffix(sub.TopicARN, ".fifo")
	if fifo != strings.HasSuffix(sub.QueueURL, ".fifo") || len(sub.QueueARN) == 0 {
		t.Fatalf("Subscribe = %+v; want a topic and queue of one kind", sub)
	}
	const body = `{"company":"1","name":"Acme"}`
	in := &sns.PublishInput{TopicArn: aws.String(sub.TopicARN), Message: aws.String(body)}
	if fifo {
		in.MessageGroupId, in.MessageDeduplicationId = aws.String("company-1"), aws.String("change-1")
	}
	if _, err := snsc.Publish(ctx, in); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(sub.QueueURL), WaitTimeSeconds: 5, MaxNumberOfMessages: 10,
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("ReceiveMessage got %d messages; want 1", len(out.Messages))
	}
	msg := aws.ToString(out.Messages[0].Body)
	if !raw {
		// Without raw delivery, SNS wraps the message in its envelope.
		var env struct{ Type, Message string }
		if err := json.Unmarshal([]byte(msg), &env); err != nil || env.Type != "Notification" {
			t.Fatalf("enveloped body %q: %v; want an SNS notification", msg, err)
		}
		msg = env.Message
	}
	var got, want map[string]string
	if err := json.Unmarshal([]byte(msg), &got); err != nil {
		t.Fatalf("message body %q: %v", msg, err)
	}
	_ = json.Unmarshal([]byte(body), &want)
	if got["name"] != want["name"] || got["company"] != want["company"] {
		t.Errorf("received %v; want %v", got, want)
	}
}

// failingWait is a table client whose tables never get described.
type failingWait struct {
	*dynamodb.Client
	deleted []string
}

func (c *failingWait) CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	return &dynamodb.CreateTableOutput{}, nil
}

func (c *failingWait) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return nil, errors.New("describe failed")
}

func (c *failingWait) DeleteTable(_ context.Context, in *dynamodb.DeleteTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error) {
	c.deleted = append(c.deleted, aws.ToString(in.TableName))
	return &dynamodb.DeleteTableOutput{}, nil
}

// recordingT stands in for the test that Table fails, keeping its cleanups.
type recordingT struct {
	testing.TB
	failed   bool
	cleanups []func()
}

func (r *recordingT) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }
func (r *recordingT) Errorf(string, ...any) { r.failed = true }
func (r *recordingT) Cleanup(f func())      { r.cleanups = append(r.cleanups, f) }

// TestTableFailedWaitDeletesTable: a table that was created but never
// became active is deleted too.
func TestTableFailedWaitDeletesTable(t *testing.T) {
	c := &failingWait{}
	rt := &recordingT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ddbtest.Table(rt, c, index.Table{Name: "stuck", PartitionKey: index.S("pk")})
	}()
	<-done
	for _, f := range slices.Backward(rt.cleanups) {
		f()
	}
	if !rt.failed || len(c.deleted) != 1 {
		t.Errorf("Table(wait fails): failed = %v, deleted %v; want failed and the table deleted", rt.failed, c.deleted)
	}
}

// TestSubscribeVisibilityTimeout: a timeout under a second is one second,
// not SQS's default.
func TestSubscribeVisibilityTimeout(t *testing.T) {
	t.Parallel()
	sqsc := ddbtest.SQS(t)
	sub := ddbtest.Subscribe(t, ddbtest.SNS(t), sqsc, "visibility", ddbtest.VisibilityTimeout(100*time.Millisecond))
	out, err := sqsc.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(sub.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)]; got != "1" {
		t.Errorf("VisibilityTimeout = %q; want 1", got)
	}
}
