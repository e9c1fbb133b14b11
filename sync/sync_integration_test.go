package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// Company is the owner's item (the profile service).
type Company struct {
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Employees int    `dynamodbav:"employees"`
	Version   int64  `dynamodbav:"version"`
}

// Stats is the subscriber's item (the statistics service): it duplicates
// the company's name.
type Stats struct {
	ID          string `dynamodbav:"id"`
	CompanyName string `dynamodbav:"companyName"`
	NameLower   string `dynamodbav:"companyNameLower"`
	Orders      int    `dynamodbav:"orders"`
	SyncOrder   string `dynamodbav:"syncOrder"`
	Version     int64  `dynamodbav:"version"`
}

type fixture struct {
	companies *repository.Repository[Company]
	stats     *repository.Repository[Stats]
	streamARN string
	db        *dynamodb.Client
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := ddbtest.DynamoDB(t)
	owner := ddbtest.Table(t, db, index.Table{
		Name: "companies", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Stream: types.StreamViewTypeNewAndOldImages,
	})
	companies, err := repository.New[Company](db, owner,
		repository.WithKeys("COMPANY#{id}", "PROFILE"), repository.WithVersion("version"))
	require.NoError(t, err)
	statsTable := ddbtest.Table(t, db, index.Table{Name: "stats", PartitionKey: index.S("pk"), TTL: "expiresAt"})
	stats, err := repository.New[Stats](db, statsTable,
		repository.WithKeys("STATS#{id}", ""), repository.WithVersion("version"),
		repository.Derive("companyNameLower", func(s *Stats) any { return strings.ToLower(s.CompanyName) }, "companyName"))
	require.NoError(t, err)
	desc, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(owner.Name)})
	require.NoError(t, err)
	require.NotNil(t, desc.Table.LatestStreamArn)
	return fixture{companies: companies, stats: stats, streamARN: aws.ToString(desc.Table.LatestStreamArn), db: db}
}

// copier copies a company's name onto its statistics, creating them for a
// new company and deleting them with it.
func (f fixture) copier() *tssync.Copier[Stats] {
	return &tssync.Copier[Stats]{
		Repo:       f.stats,
		Attributes: map[string]string{"name": "companyName"},
		Create: func(_ context.Context, c tssync.Change) (*Stats, error) {
			var co Company
			if err := c.Decode(&co); err != nil {
				return nil, err
			}
			return &Stats{ID: co.ID}, nil
		},
		DeleteOnRemove: true,
	}
}

// eventually polls cond for up to 30 seconds.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 30s; last seen: %s", what, last)
}

func (f fixture) statsOf(id string) (Stats, error) {
	return f.stats.Get(context.Background(), id, repository.ConsistentRead())
}

// TestStreamToCopies runs the whole path over the wire: the owner writes
// through its repository, a StreamReader reads DynamoDB Local's stream, the
// Publisher publishes to an SNS topic, the Subscriber receives from a
// subscribed SQS queue (SNS envelopes) and its Copier writes the copies.
func TestStreamToCopies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	topics := ddbtest.Subscribe(t, ddbtest.SNS(t), ddbtest.SQS(t), "company-changes")
	topic, queue := topics.TopicARN, topics.QueueURL
	ctx, cancel := context.WithCancel(context.Background())
	pubDone, subDone := make(chan error, 1), make(chan error, 1)
	pub := tssync.NewPublisher(ddbtest.SNS(t), topic, tssync.WithAttributes("name"), tssync.WithCarried("id"), tssync.WithVersionAttribute("version"))
	reader := tssync.NewStreamReader(ddbtest.Streams(t), f.streamARN, tssync.WithPollInterval(50*time.Millisecond))
	go func() { pubDone <- pub.PublishStream(ctx, reader) }()
	sub := tssync.NewSubscriber(f.copier())
	go func() { subDone <- sub.Receive(ctx, ddbtest.SQS(t), queue, tssync.WithWaitTime(time.Second)) }()
	t.Cleanup(func() {
		cancel()
		for _, ch := range []chan error{pubDone, subDone} {
			if err := <-ch; !errors.Is(err, context.Canceled) {
				t.Errorf("loop ended with %v; want context.Canceled", err)
			}
		}
	})

	bg := context.Background()
	acme := Company{Name: "Acme", Employees: 10}
	require.NoError(t, f.companies.Create(bg, &acme))
	eventually(t, "stats created with the name", func() (bool, string) {
		s, err := f.statsOf(acme.ID)
		return err == nil && s.CompanyName == "Acme" && s.NameLower == "acme", fmt.Sprintf("%+v %v", s, err)
	})

	// The statistics service's own writes and the copies coexist.
	_, err := f.stats.Update(bg, acme.ID, repository.Add("orders", 3))
	require.NoError(t, err)
	// A change that touches no copied attribute is not published at all.
	acme.Employees = 11
	require.NoError(t, f.companies.Put(bg, &acme))
	got, err := f.companies.Update(bg, acme.ID, repository.Set("name", "Globex"), repository.IfVersion(acme.Version))
	require.NoError(t, err)
	eventually(t, "stats renamed", func() (bool, string) {
		s, err := f.statsOf(acme.ID)
		return err == nil && s.CompanyName == "Globex" && s.NameLower == "globex", fmt.Sprintf("%+v %v", s, err)
	})
	s, err := f.statsOf(acme.ID)
	require.NoError(t, err)
	require.Equal(t, 3, s.Orders, "the copy keeps the subscriber's own attributes")
	require.Equal(t, tssync.Change{Event: tssync.Modify, Version: got.Version}.Order(), s.SyncOrder,
		"the marker holds the owner's version, and the employees-only change was never applied")

	require.NoError(t, f.companies.Delete(bg, acme.ID, repository.IfVersion(got.Version)))
	eventually(t, "stats deleted with the company", func() (bool, string) {
		s, err := f.statsOf(acme.ID)
		return errors.Is(err, repository.ErrNotFound), fmt.Sprintf("%+v %v", s, err)
	})
}

// change builds a change to the company id at version v, as the publisher
// would carry it.
func change(ev tssync.Event, id string, v int64, name string) tssync.Change {
	img := map[string]types.AttributeValue{"pk": s("COMPANY#" + id), "sk": s("PROFILE"), "id": s(id), "name": s(name), "version": n(fmt.Sprint(v))}
	c := tssync.Change{EventID: fmt.Sprintf("%s-%d-%s", id, v, ev), Event: ev, Table: "companies", Version: v,
		Keys: map[string]types.AttributeValue{"pk": img["pk"], "sk": img["sk"]}}
	if ev == tssync.Remove {
		c.Old = img
	} else {
		c.New = img
	}
	return c
}

// TestCopierAppliesOnceInOrder delivers changes twice and out of order.
func TestCopierAppliesOnceInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cp := f.copier()
	ctx := context.Background()
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"

	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, id, 1, "A")))
	require.NoError(t, cp.Apply(ctx, change(tssync.Modify, id, 3, "C")))
	st, err := f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "C", st.CompanyName)
	version := st.Version

	for _, late := range []tssync.Change{
		change(tssync.Modify, id, 2, "B"), // overtaken by version 3
		change(tssync.Modify, id, 3, "C"), // a duplicate
		change(tssync.Insert, id, 1, "A"),
	} {
		require.NoError(t, cp.Apply(ctx, late), "a late change is skipped, not an error")
	}
	st, err = f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "C", st.CompanyName)
	require.Equal(t, version, st.Version, "skipped changes write nothing")

	// Changes of another table, or without the id attribute, are not the copier's.
	other := change(tssync.Modify, id, 9, "Z")
	other.Table = "orders"
	cp.Table = "companies"
	require.NoError(t, cp.Apply(ctx, other))
	noID := change(tssync.Modify, id, 9, "Z")
	delete(noID.New, "id")
	require.ErrorContains(t, cp.Apply(ctx, noID), `not the id attribute "id"`, "a copied attribute without the id is a publisher misconfiguration")
	otherKind := change(tssync.Modify, id, 9, "Z")
	delete(otherKind.New, "id")
	delete(otherKind.New, "name")
	require.NoError(t, cp.Apply(ctx, otherKind), "an item with neither id nor copied attributes is not the copier's")
	st, err = f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "C", st.CompanyName)

	// The owner removing the attribute removes the copy of it.
	rm := change(tssync.Modify, id, 4, "")
	rm.Old = change(tssync.Modify, id, 3, "C").New
	delete(rm.New, "name")
	require.NoError(t, cp.Apply(ctx, rm))
	st, err = f.statsOf(id)
	require.NoError(t, err)
	require.Empty(t, st.CompanyName)

	// A Remove older than the copy's marker does not delete it; the current one does.
	require.NoError(t, cp.Apply(ctx, change(tssync.Remove, id, 2, "B")))
	_, err = f.statsOf(id)
	require.NoError(t, err, "an old Remove must not delete a newer copy")
	require.NoError(t, cp.Apply(ctx, change(tssync.Remove, id, 4, "")))
	_, err = f.statsOf(id)
	require.ErrorIs(t, err, repository.ErrNotFound)

	// Changes delivered after the Remove, duplicates or reordered, do not
	// bring the copy back: the Remove left a tombstone.
	for _, late := range []tssync.Change{change(tssync.Insert, id, 1, "A"), change(tssync.Modify, id, 4, "C"), change(tssync.Remove, id, 2, "B")} {
		require.NoError(t, cp.Apply(ctx, late))
		_, err = f.statsOf(id)
		require.ErrorIs(t, err, repository.ErrNotFound, "after a late %s v%d", late.Event, late.Version)
	}
	// A Remove that arrives before the Insert it follows wins too.
	early := "0193a8c2-7a4e-7d3c-9f00-0123456789ad"
	require.NoError(t, cp.Apply(ctx, change(tssync.Remove, early, 1, "E")))
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, early, 1, "E")))
	_, err = f.statsOf(early)
	require.ErrorIs(t, err, repository.ErrNotFound, "an Insert older than its Remove creates nothing")
	// Tombstones are not the target model's items.
	scanner, err := repository.New[Stats](f.db, f.stats.Table(), repository.WithKeys("STATS#{id}", ""), repository.WithScan())
	require.NoError(t, err)
	for st, err := range scanner.Scan(ctx) {
		t.Errorf("a scan of the statistics yielded %+v, %v; want nothing", st, err)
	}
	raw, err := f.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(f.stats.Table().Name)})
	require.NoError(t, err)
	require.Equal(t, int32(2), raw.Count, "two tombstones in the table")

	// Without Create, changes to items without a copy are skipped.
	cp.Create = nil
	require.NoError(t, cp.Apply(ctx, change(tssync.Modify, "0193a8c2-7a4e-7d3c-9f00-0123456789ac", 1, "New")))
	_, err = f.statsOf("0193a8c2-7a4e-7d3c-9f00-0123456789ac")
	require.ErrorIs(t, err, repository.ErrNotFound)
}

// lambdaEventFrom renders changes as the JSON Lambda hands a stream handler.
func lambdaEventFrom(t *testing.T, streamARN string, cs []tssync.Change) events.DynamoDBEvent {
	t.Helper()
	type streamRecord struct {
		Keys, NewImage, OldImage       json.RawMessage `json:",omitempty"`
		SequenceNumber, StreamViewType string
		ApproximateCreationDateTime    int64
	}
	type record struct {
		EventID        string       `json:"eventID"`
		EventName      string       `json:"eventName"`
		EventSource    string       `json:"eventSource"`
		EventSourceARN string       `json:"eventSourceARN"`
		Dynamodb       streamRecord `json:"dynamodb"`
	}
	img := func(m map[string]types.AttributeValue) json.RawMessage {
		if m == nil {
			return nil
		}
		b, err := attributevalue.MarshalMapJSON(m)
		require.NoError(t, err)
		return b
	}
	var recs []record
	for _, c := range cs {
		recs = append(recs, record{
			EventID: c.EventID, EventName: string(c.Event), EventSource: "aws:dynamodb", EventSourceARN: streamARN,
			Dynamodb: streamRecord{Keys: img(c.Keys), NewImage: img(c.New), OldImage: img(c.Old),
				SequenceNumber: c.Sequence, StreamViewType: "NEW_AND_OLD_IMAGES", ApproximateCreationDateTime: c.Time.Unix()},
		})
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal(b, &ev))
	return ev
}

// TestLambdaHandlers runs the Lambda entry points on real records: the
// stream's records as a Lambda DynamoDB event, published to SNS; the SQS
// messages (raw delivery) as a Lambda SQS event, applied to the copies.
func TestLambdaHandlers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	topics := ddbtest.Subscribe(t, ddbtest.SNS(t), ddbtest.SQS(t), "company-changes", ddbtest.RawDelivery())
	topic, queue := topics.TopicARN, topics.QueueURL
	ctx := context.Background()
	acme := Company{Name: "Acme"}
	require.NoError(t, f.companies.Create(ctx, &acme))
	_, err := f.companies.Update(ctx, acme.ID, repository.Set("name", "Acme Ltd"), repository.IfVersion(1))
	require.NoError(t, err)

	// Read the two records from DynamoDB Local's stream.
	var recs []tssync.Change
	rctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	reader := tssync.NewStreamReader(ddbtest.Streams(t), f.streamARN, tssync.WithPollInterval(50*time.Millisecond))
	err = reader.Read(rctx, func(_ context.Context, cs []tssync.Change) error {
		recs = append(recs, cs...)
		if len(recs) >= 2 {
			stop()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, recs, 2)
	require.Equal(t, []tssync.Event{tssync.Insert, tssync.Modify}, []tssync.Event{recs[0].Event, recs[1].Event})

	pub := tssync.NewPublisher(ddbtest.SNS(t), topic, tssync.WithAttributes("name"), tssync.WithCarried("id"), tssync.WithVersionAttribute("version"))
	resp, err := pub.HandleDynamoDBEvent(ctx, lambdaEventFrom(t, f.streamARN, recs))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)

	var sqsEvent events.SQSEvent
	sqsc := ddbtest.SQS(t)
	for len(sqsEvent.Records) < 2 {
		out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), WaitTimeSeconds: 5, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		require.NotEmpty(t, out.Messages, "the published changes reach the queue")
		for _, m := range out.Messages {
			sqsEvent.Records = append(sqsEvent.Records, events.SQSMessage{
				MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			})
		}
	}
	// A foreign message on the same queue is skipped; a broken change fails.
	sqsEvent.Records = append(sqsEvent.Records,
		events.SQSMessage{MessageId: "foreign", Body: `{"format":"orders/v1"}`},
		events.SQSMessage{MessageId: "broken", Body: `{"format":"` + tssync.Format + `","event":"MODIFY","keys":{"pk":{"Q":1}}}`})

	sub := tssync.NewSubscriber(f.copier())
	sresp, err := sub.HandleSQSEvent(ctx, sqsEvent)
	require.NoError(t, err)
	require.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "broken"}}, sresp.BatchItemFailures)
	st, err := f.statsOf(acme.ID)
	require.NoError(t, err)
	require.Equal(t, "Acme Ltd", st.CompanyName)

	// The same changes straight from SNS to a Lambda function.
	snsEvent := events.SNSEvent{}
	for _, r := range sqsEvent.Records[:2] {
		snsEvent.Records = append(snsEvent.Records, events.SNSEventRecord{SNS: events.SNSEntity{MessageID: r.MessageId, Message: r.Body}})
	}
	require.NoError(t, sub.HandleSNSEvent(ctx, snsEvent), "applying again is harmless")
	st2, err := f.statsOf(acme.ID)
	require.NoError(t, err)
	require.Equal(t, st.Version, st2.Version, "duplicates write nothing")
}

// TestPublishFIFOOverTheWire publishes to a FIFO topic: one item's changes
// arrive in order, and a change published twice arrives once.
func TestPublishFIFOOverTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	snsc, sqsc := ddbtest.SNS(t), ddbtest.SQS(t)
	sub := ddbtest.Subscribe(t, snsc, sqsc, "changes", ddbtest.FIFO(), ddbtest.RawDelivery())
	q := &sqs.CreateQueueOutput{QueueUrl: aws.String(sub.QueueURL)}

	const a, b = "0193a8c2-7a4e-7d3c-9f00-00000000000a", "0193a8c2-7a4e-7d3c-9f00-00000000000b"
	pub := tssync.NewPublisher(snsc, sub.TopicARN)
	sent := []tssync.Change{change(tssync.Insert, a, 1, "A1"), change(tssync.Insert, b, 1, "B1"), change(tssync.Modify, a, 2, "A2")}
	require.NoError(t, pub.Publish(ctx, sent...))
	require.NoError(t, pub.Publish(ctx, sent[2]), "a change published again")

	var got []string
	for deadline := time.Now().Add(10 * time.Second); len(got) < len(sent) && time.Now().Before(deadline); {
		out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		for _, m := range out.Messages {
			c, err := tssync.ParseMessage(aws.ToString(m.Body))
			require.NoError(t, err)
			got = append(got, c.EventID)
			_, err = sqsc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Empty(t, out.Messages, "the duplicate was dropped")
	require.ElementsMatch(t, []string{sent[0].EventID, sent[1].EventID, sent[2].EventID}, got)
	ia, i2 := slices.Index(got, sent[0].EventID), slices.Index(got, sent[2].EventID)
	require.Less(t, ia, i2, "one item's changes arrive in order: %v", got)
}

// hookedClient is a DynamoDB client that runs hook once, right after the
// first transaction that puts an item (the Copier creating a copy) succeeds.
type hookedClient struct {
	repository.Client
	fired atomic.Bool
	hook  func()
}

func (h *hookedClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := h.Client.TransactWriteItems(ctx, in, optFns...)
	if err == nil && len(in.TransactItems) > 0 && in.TransactItems[0].Put != nil && h.fired.CompareAndSwap(false, true) {
		h.hook()
	}
	return out, err
}

// TestCopierCreateRacesAStaleRemove: an owner item removed and created again
// (a natural key, changes ordered by sequence number). The Remove of the old
// item arrives late, just after the Insert of the new one created the copy
// and before it applied the change: the Remove deletes the copy, and the
// Insert must create it again, not give up.
func TestCopierCreateRacesAStaleRemove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ae"
	client := &hookedClient{Client: f.db}
	stats, err := repository.New[Stats](client, f.stats.Table(),
		repository.WithKeys("STATS#{id}", ""), repository.WithVersion("version"),
		repository.Derive("companyNameLower", func(s *Stats) any { return strings.ToLower(s.CompanyName) }, "companyName"))
	require.NoError(t, err)
	cp := f.copier()
	cp.Repo = stats

	removed := change(tssync.Remove, id, 0, "Old") // the old item's Remove
	removed.Sequence = "200"
	created := change(tssync.Insert, id, 0, "New") // the new item's Insert
	created.Sequence = "300"
	var staleErr error
	client.hook = func() { staleErr = cp.Apply(ctx, removed) }

	require.NoError(t, cp.Apply(ctx, created))
	require.NoError(t, staleErr)
	st, err := f.statsOf(id)
	require.NoError(t, err, "the copy of the item that exists now")
	require.Equal(t, "New", st.CompanyName)
	require.Equal(t, created.Order(), st.SyncOrder)
}

// Listing is a subscriber's item with a unique attribute of its own.
type Listing struct {
	ID          string `dynamodbav:"id"`
	CompanyName string `dynamodbav:"companyName"`
	Slug        string `dynamodbav:"slug,omitempty"`
	SyncOrder   string `dynamodbav:"syncOrder"`
}

// beforeDelete is a DynamoDB client that runs hook once, right before the
// first transaction that deletes an item (the Copier applying a Remove).
type beforeDelete struct {
	repository.Client
	fired atomic.Bool
	hook  func()
}

func (b *beforeDelete) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if len(in.TransactItems) > 0 && in.TransactItems[0].Delete != nil && b.fired.CompareAndSwap(false, true) {
		b.hook()
	}
	return b.Client.TransactWriteItems(ctx, in, optFns...)
}

// TestCopierRemoveRacesAUniqueChange: the subscriber changes a unique
// attribute of the copy while the Copier deletes it. The delete's condition
// on the unique value read fails; the Remove must not be taken as applied
// (nothing later holds the copy): the copy is deleted, at the latest when
// the change is delivered again.
func TestCopierRemoveRacesAUniqueChange(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, db, index.Table{Name: "listings", PartitionKey: index.S("pk"), TTL: "expiresAt"})
	client := &beforeDelete{Client: db}
	listings, err := repository.New[Listing](client, table, repository.WithKeys("LISTING#{id}", ""), repository.WithUnique("slug"))
	require.NoError(t, err)
	ctx := context.Background()
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789af"
	cp := &tssync.Copier[Listing]{
		Repo: listings, Attributes: map[string]string{"name": "companyName"}, DeleteOnRemove: true,
		Create: func(context.Context, tssync.Change) (*Listing, error) { return &Listing{ID: id, Slug: "acme"}, nil },
	}
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, id, 1, "Acme")))
	client.hook = func() {
		_, err := listings.Update(ctx, id, repository.Set("slug", "acme-ltd"))
		require.NoError(t, err)
	}

	rm := change(tssync.Remove, id, 1, "Acme")
	if err := cp.Apply(ctx, rm); err != nil {
		require.NoError(t, cp.Apply(ctx, rm), "the Remove delivered again, after %v", err)
	}
	got, err := listings.Get(ctx, id, repository.ConsistentRead())
	require.ErrorIs(t, err, repository.ErrNotFound, "the copy of a removed item: %+v", got)
}

// TestCopierReportsADuplicateCopy: a copy the target's unique attribute
// refuses is an error, not a change silently taken as applied.
func TestCopierReportsADuplicateCopy(t *testing.T) {
	t.Parallel()
	db := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, db, index.Table{Name: "listings", PartitionKey: index.S("pk"), TTL: "expiresAt"})
	listings, err := repository.New[Listing](db, table, repository.WithKeys("LISTING#{id}", ""), repository.WithUnique("slug"))
	require.NoError(t, err)
	ctx := context.Background()
	cp := &tssync.Copier[Listing]{
		Repo: listings, Attributes: map[string]string{"name": "slug"},
		Create: func(_ context.Context, c tssync.Change) (*Listing, error) {
			var co Company
			return &Listing{ID: co.ID}, c.Decode(&co)
		},
	}
	a, b := "0193a8c2-7a4e-7d3c-9f00-0123456789b0", "0193a8c2-7a4e-7d3c-9f00-0123456789b1"
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, a, 1, "acme")))
	require.NoError(t, cp.Apply(ctx, change(tssync.Insert, b, 1, "globex")))
	err = cp.Apply(ctx, change(tssync.Modify, b, 2, "acme"))
	require.ErrorIs(t, err, repository.ErrDuplicate, "a copy that cannot be written is not applied")
	got, err := listings.Get(ctx, b, repository.ConsistentRead())
	require.NoError(t, err)
	require.Equal(t, "globex", got.Slug)
}

// emptySQS answers every ReceiveMessage with no messages and counts them.
type emptySQS struct{ receives atomic.Int32 }

func (e *emptySQS) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	e.receives.Add(1)
	return &sqs.ReceiveMessageOutput{}, nil
}

func (e *emptySQS) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// TestReceiveShortPollingPauses: with no long-poll wait, an empty answer is
// followed by a pause, not by the next request at once.
func TestReceiveShortPollingPauses(t *testing.T) {
	t.Parallel()
	client := &emptySQS{}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := tssync.NewSubscriber(nil).Receive(ctx, client, "https://sqs.example/queue", tssync.WithWaitTime(0))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.LessOrEqual(t, client.receives.Load(), int32(2), "one request per second at most")
}
