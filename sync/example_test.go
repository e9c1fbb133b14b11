package sync_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/localaws"
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

// Ledger is the subscriber's item in the examples: the billing service
// keeps a copy of the firm's name next to its own attributes.
type Ledger struct {
	ID        string `dynamodbav:"id"`
	FirmName  string `dynamodbav:"firmName"`
	Balance   int    `dynamodbav:"balance"`
	SyncOrder string `dynamodbav:"syncOrder"`
}

// exampleEndpoint returns the endpoint the environment variable env names
// (as scripts/local-aws.sh prints them), and ends the program when it is
// not set.
func exampleEndpoint(env string) string {
	ep := os.Getenv(env)
	if ep == "" {
		log.Fatalf("examples need the local servers (%s is not set): eval \"$(scripts/local-aws.sh start)\"", env)
	}
	return ep
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
	ddb := exampleEndpoint(localaws.EnvDynamoDB)
	db := localaws.DynamoDB(ddb)
	snsc := localaws.SNS(exampleEndpoint(localaws.EnvSNS))
	sqsc := localaws.SQS(exampleEndpoint(localaws.EnvSQS))
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
	reader := tssync.NewStreamReader(localaws.Streams(ddb), streamARN, tssync.WithPollInterval(50*time.Millisecond))
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

// firmChange returns the change that leaves the firm id at version v with
// name, as the publisher of ExampleNewPublisher sends it.
func firmChange(ev tssync.Event, id string, v int64, name string) tssync.Change {
	img := map[string]types.AttributeValue{
		"pk":      &types.AttributeValueMemberS{Value: "FIRM#" + id},
		"id":      &types.AttributeValueMemberS{Value: id},
		"name":    &types.AttributeValueMemberS{Value: name},
		"version": &types.AttributeValueMemberN{Value: fmt.Sprint(v)},
	}
	return tssync.Change{
		EventID: fmt.Sprintf("%s-v%d", ev, v), Event: ev, Table: "firms", Version: v,
		Keys: map[string]types.AttributeValue{"pk": img["pk"]}, New: img,
	}
}

// The subscriber side: a Copier keeps the firm's name on the billing
// service's ledger. It creates the ledger for a new firm, leaves the
// service's own attributes alone, and skips a change that arrives late or
// twice.
func ExampleCopier() {
	ctx := context.Background()
	db := localaws.DynamoDB(exampleEndpoint(localaws.EnvDynamoDB))
	table, _, drop := exampleTable(db, "example-ledgers", "")
	defer drop()
	ledgers, err := repository.New[Ledger](db, table, repository.WithKeys("LEDGER#{id}", ""))
	if err != nil {
		log.Fatal(err)
	}

	copier := &tssync.Copier[Ledger]{
		Repo:       ledgers,
		Table:      "firms",
		Attributes: map[string]string{"name": "firmName"},
		Create: func(_ context.Context, c tssync.Change) (*Ledger, error) {
			var f Firm
			if err := c.Decode(&f); err != nil {
				return nil, err
			}
			return &Ledger{ID: f.ID}, nil
		},
	}
	sub := tssync.NewSubscriber(copier)

	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	for i, c := range []tssync.Change{
		firmChange(tssync.Insert, id, 1, "Acme"),
		firmChange(tssync.Modify, id, 3, "Acme Holdings"),
		firmChange(tssync.Modify, id, 2, "Acme Ltd"),      // late: version 3 is applied
		firmChange(tssync.Modify, id, 3, "Acme Holdings"), // delivered twice
	} {
		body, err := json.Marshal(c) // the message as the publisher sends it
		if err != nil {
			log.Fatal(err)
		}
		if err := sub.HandleMessage(ctx, string(body)); err != nil {
			log.Fatal(err)
		}
		if i == 0 {
			// The billing service's own write to its ledger.
			if _, err := ledgers.Update(ctx, id, repository.Add("balance", 100)); err != nil {
				log.Fatal(err)
			}
		}
		var f Firm
		if err := c.Decode(&f); err != nil {
			log.Fatal(err)
		}
		l, err := ledgers.Get(ctx, id, repository.ConsistentRead())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s v%d %q: copy %q, balance %d\n", c.Event, c.Version, f.Name, l.FirmName, l.Balance)
	}
	// Output:
	// INSERT v1 "Acme": copy "Acme", balance 100
	// MODIFY v3 "Acme Holdings": copy "Acme Holdings", balance 100
	// MODIFY v2 "Acme Ltd": copy "Acme Holdings", balance 100
	// MODIFY v3 "Acme Holdings": copy "Acme Holdings", balance 100
}

func ExampleParseMessage() {
	// The body of a change, as a queue with raw message delivery receives it.
	raw := `{"format":"tablestakes.change/v1","eventId":"4f2a","event":"MODIFY","table":"firms",` +
		`"version":2,"time":"2026-11-25T10:00:00Z","keys":{"pk":{"S":"FIRM#1"}},` +
		`"old":{"pk":{"S":"FIRM#1"},"id":{"S":"1"},"name":{"S":"Acme"},"version":{"N":"1"}},` +
		`"new":{"pk":{"S":"FIRM#1"},"id":{"S":"1"},"name":{"S":"Acme Ltd"},"version":{"N":"2"}}}`
	// The same change inside the SNS notification a queue receives
	// without raw message delivery.
	envelope, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "b1c9", "Message": raw,
		"TopicArn": "arn:aws:sns:us-east-1:000000000000:firm-changes",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, body := range []string{raw, string(envelope)} {
		c, err := tssync.ParseMessage(body)
		if err != nil {
			log.Fatal(err)
		}
		var f Firm
		if err := c.Decode(&f); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Event, c.Table, c.Version, f.Name, c.Changed("name"))
	}

	// A message of another format on the same topic, or plain text, is
	// foreign: a subscriber skips it. A change cut short is broken: a
	// subscriber refuses it.
	for _, body := range []string{`{"format":"orders.placed/v2","order":"o-1"}`, `Hello from SNS!`, raw[:40]} {
		_, err := tssync.ParseMessage(body)
		var me *tssync.MessageError
		fmt.Println(errors.Is(err, tssync.ErrNotAChange), errors.As(err, &me) && me.Foreign)
	}
	// Output:
	// MODIFY firms 2 Acme Ltd true
	// MODIFY firms 2 Acme Ltd true
	// true true
	// true true
	// true false
}

func ExampleChange_Order() {
	// Changes to one item, as SNS and SQS may deliver them.
	changes := []tssync.Change{
		{EventID: "remove at v10", Event: tssync.Remove, Version: 10},
		{EventID: "modify to v10", Event: tssync.Modify, Version: 10},
		{EventID: "modify to v9", Event: tssync.Modify, Version: 9},
	}
	slices.SortFunc(changes, func(a, b tssync.Change) int { return cmp.Compare(a.Order(), b.Order()) })
	for _, c := range changes {
		fmt.Println(c.Order(), c.EventID)
	}

	// Without a version, the stream's sequence numbers order changes, as
	// numbers rather than as strings.
	a := tssync.Change{Event: tssync.Modify, Sequence: "900000000000000000001"}
	b := tssync.Change{Event: tssync.Modify, Sequence: "1000000000000000000002"}
	fmt.Println(a.Order() < b.Order(), a.Sequence < b.Sequence)
	// Output:
	// v00000000000000000009.0 modify to v9
	// v00000000000000000010.0 modify to v10
	// v00000000000000000010.1 remove at v10
	// true false
}
