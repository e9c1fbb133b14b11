package sync_test

// The whole file is the example: the owner's side of keeping a duplicate
// in sync (principles 3 and 9).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// Firm is the owner's item in the examples: the profile service owns a
// firm's name.
type Firm struct {
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Employees int    `dynamodbav:"employees"`
	Version   int64  `dynamodbav:"version"`
}

// exampleClients returns clients of the local servers the environment
// names (as scripts/local-aws.sh prints them); in production,
// dynamodb.NewFromConfig(cfg) and its siblings.
func exampleClients() (*dynamodb.Client, *dynamodbstreams.Client, *sns.Client, *sqs.Client) {
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	db, msg := aws.String(os.Getenv("DYNAMODB_ENDPOINT")), aws.String(os.Getenv("SNS_ENDPOINT"))
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: db, Credentials: creds}),
		dynamodbstreams.New(dynamodbstreams.Options{Region: "us-east-1", BaseEndpoint: db, Credentials: creds}),
		sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: msg, Credentials: creds}),
		sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("SQS_ENDPOINT")), Credentials: creds})
}

// exampleTable creates a fresh table on DynamoDB Local keyed by "pk", with a
// stream of the given view type unless it is empty. It returns the table,
// its stream ARN ("" without a stream) and a function that deletes it.
func exampleTable(client *dynamodb.Client, base string, stream types.StreamViewType) (index.Table, string, func()) {
	ctx := context.Background()
	table := index.Table{
		Name:         fmt.Sprintf("%s-%d", base, time.Now().UnixNano()),
		PartitionKey: index.S("pk"),
		Stream:       stream,
	}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	drop := func() {
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table.Name)})
	if err != nil {
		drop()
		log.Fatal(err)
	}
	return table, aws.ToString(desc.Table.LatestStreamArn), drop
}

// exampleTopic creates an SNS topic and an SQS queue subscribed to it with
// raw message delivery on the local messaging server. It returns the
// topic's ARN, the queue's URL and a function that deletes both.
func exampleTopic(snsc *sns.Client, sqsc *sqs.Client) (topicARN, queueURL string, drop func()) {
	ctx := context.Background()
	name := fmt.Sprintf("example-firm-changes-%d", time.Now().UnixNano())
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		log.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		log.Fatal(err)
	}
	drop = func() {
		_, _ = sqsc.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
		_, _ = snsc.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err == nil {
		_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
			Attributes: map[string]string{"RawMessageDelivery": "true"},
		})
	}
	if err != nil {
		drop()
		log.Fatal(err)
	}
	return aws.ToString(topic.TopicArn), aws.ToString(q.QueueUrl), drop
}

// receiveChanges receives count changes from the queue queueURL within 30
// seconds and returns them sorted by [tssync.Change.Order], as SQS may
// deliver them in any order. It ends the program when they do not arrive.
func receiveChanges(ctx context.Context, sqsc *sqs.Client, queueURL string, count int) []tssync.Change {
	var out []tssync.Change
	for deadline := time.Now().Add(30 * time.Second); len(out) < count; {
		if time.Now().After(deadline) {
			log.Fatalf("received %d changes; want %d", len(out), count)
		}
		got, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range got.Messages {
			c, err := tssync.ParseMessage(aws.ToString(m.Body))
			if err != nil {
				log.Fatal(err)
			}
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b tssync.Change) int { return cmp.Compare(a.Order(), b.Order()) })
	return out
}

// The owner side in a long-running process: a StreamReader follows the
// table's stream and the Publisher publishes the changes to the firm's name,
// with the id subscribers find their copy by and the version that orders
// the changes. The change to the employees alone is not published.
func ExampleNewPublisher() {
	ctx := context.Background()
	db, streams, snsc, sqsc := exampleClients()
	table, streamARN, dropTable := exampleTable(db, "example-firms", types.StreamViewTypeNewAndOldImages)
	defer dropTable()
	topic, queue, dropTopic := exampleTopic(snsc, sqsc)
	defer dropTopic()
	firms, err := repository.New[Firm](db, table, repository.WithKeys("FIRM#{id}", ""), repository.WithVersion("version"))
	if err != nil {
		log.Fatal(err)
	}

	// The owner's writes.
	f := Firm{Name: "Acme", Employees: 10}
	if err := firms.Create(ctx, &f); err != nil {
		log.Fatal(err)
	}
	for _, w := range []struct {
		changes repository.Changes
		opts    []repository.CallOption
	}{
		{repository.Set("name", "Acme Ltd"), []repository.CallOption{repository.IfVersion(1)}},
		{repository.Add("employees", 5), nil}, // version 3: no name change, not published
		{repository.Set("name", "Acme Holdings"), []repository.CallOption{repository.IfVersion(3)}},
	} {
		if _, err := firms.Update(ctx, f.ID, w.changes, w.opts...); err != nil {
			log.Fatal(err)
		}
	}

	pub := tssync.NewPublisher(snsc, topic,
		tssync.WithAttributes("name"), tssync.WithCarried("id"), tssync.WithVersionAttribute("version"))
	reader := tssync.NewStreamReader(streams, streamARN, tssync.WithPollInterval(50*time.Millisecond))
	ctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- pub.PublishStream(ctx, reader) }()

	// What a subscriber's queue receives.
	for _, c := range receiveChanges(ctx, sqsc, queue, 3) {
		var got Firm
		if err := c.Decode(&got); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Event, c.Version, got.Name, slices.Sorted(maps.Keys(c.New)))
	}
	stop()
	fmt.Println("stopped:", errors.Is(<-done, context.Canceled))
	// Output:
	// INSERT 1 Acme [id name pk version]
	// MODIFY 2 Acme Ltd [id name pk version]
	// MODIFY 4 Acme Holdings [id name pk version]
	// stopped: true
}
