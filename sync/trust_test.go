package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/internal/awsfake"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// The bodies of AWS's sample events (the Lambda console's "sqs" and "sns"
// test events): plain text.
const (
	sampleSQSEvent = `{"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...","body":"Test message.","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},"messageAttributes":{},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}]}`
	sampleSNSEvent = `{"Records":[{"EventVersion":"1.0","EventSubscriptionArn":"arn:aws:sns:us-east-1:123456789012:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486","EventSource":"aws:sns","Sns":{"SignatureVersion":"1","Timestamp":"2019-01-02T12:45:07.000Z","Signature":"tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==","SigningCertUrl":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem","MessageId":"95df01b4-ee98-5cb9-9903-4c221d41eb5e","Message":"Hello from SNS!","MessageAttributes":{},"Type":"Notification","UnsubscribeUrl":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe","TopicArn":"arn:aws:sns:us-east-1:123456789012:sns-lambda","Subject":"TestInvoke"}}]}`
)

// countingHandler records the event ids of the changes it applies.
type countingHandler struct{ applied []string }

func (h *countingHandler) Apply(_ context.Context, c tssync.Change) error {
	h.applied = append(h.applied, c.EventID)
	return nil
}

// TestForeignBodiesSkipped: a body that is not a change, plain text
// included, is skipped and counted by every handler; a body that claims to
// be a change and is broken is a failure.
func TestForeignBodiesSkipped(t *testing.T) {
	ctx := context.Background()
	h := &countingHandler{}
	sub := tssync.NewSubscriber(h)

	var sqsEv events.SQSEvent
	require.NoError(t, json.Unmarshal([]byte(sampleSQSEvent), &sqsEv))
	resp, err := sub.HandleSQSEvent(ctx, sqsEv)
	require.NoError(t, err)
	if len(resp.BatchItemFailures) > 0 {
		t.Errorf("HandleSQSEvent(AWS's sample event) failures = %v; want none: a plain-text body is skipped", resp.BatchItemFailures)
	}
	var snsEv events.SNSEvent
	require.NoError(t, json.Unmarshal([]byte(sampleSNSEvent), &snsEv))
	if err := sub.HandleSNSEvent(ctx, snsEv); err != nil {
		t.Errorf("HandleSNSEvent(AWS's sample event) = %v; want nil: a plain-text body is skipped", err)
	}
	for _, body := range []string{"Hello from SNS!", "", "   ", `{"format":"orders/v2"}`, `[1,2]`} {
		if err := sub.HandleMessage(ctx, body); err != nil {
			t.Errorf("HandleMessage(%q) = %v; want nil (skipped)", body, err)
		}
	}
	// Over the SQS double: skipped messages are deleted like applied ones.
	q := &awsfake.SQS{}
	url := q.CreateQueue("mixed")
	q.Send(url, "Test message.")
	q.Send(url, `{"format":"orders/v2"}`)
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, sub.Receive(rctx, q, url, tssync.WithWaitTime(time.Second)), context.DeadlineExceeded)
	require.Zero(t, q.Len(url), "foreign messages are deleted, not redelivered")
	require.Empty(t, h.applied)
	require.Equal(t, uint64(9), sub.Counts().Foreign)

	for _, body := range []string{
		`{"format":"` + tssync.Format + `","event":"TRUNCATE","keys":{}}`,
		`{"format":"` + tssync.Format + `","event":"INSERT","keys":{"pk":{"S":"A"}`, // cut short
	} {
		if err := sub.HandleMessage(ctx, body); !errors.Is(err, tssync.ErrNotAChange) {
			t.Errorf("HandleMessage(%q) = %v; want ErrNotAChange: a broken change is a failure", body, err)
		}
	}
	_, err = tssync.ParseMessage("Hello from SNS!")
	var me *tssync.MessageError
	if !errors.As(err, &me) || !me.Foreign {
		t.Errorf("ParseMessage(plain text) = %v; want a foreign *MessageError", err)
	}
}

// trustChange returns the body of a change of table, and its SNS
// envelope from topic.
func trustChange(t *testing.T, id, table, topic string) (raw, envelope string) {
	t.Helper()
	c := tssync.Change{EventID: id, Event: tssync.Modify, Table: table, Sequence: "100",
		Keys: map[string]types.AttributeValue{"pk": s("A")}, New: map[string]types.AttributeValue{"pk": s("A")}}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	env, err := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m-" + id, "TopicArn": topic, "Message": string(b)})
	require.NoError(t, err)
	return string(b), string(env)
}

// TestSubscriberTrustedSources: a subscriber declared FromTables and
// FromTopics applies only what comes from them; the rest is skipped and
// counted, never applied.
func TestSubscriberTrustedSources(t *testing.T) {
	ctx := context.Background()
	h := &countingHandler{}
	const other = "arn:aws:sns:us-east-1:000000000000:someone-elses"
	sub := tssync.NewSubscriber(h, tssync.FromTables("companies"), tssync.FromTopics(topicARN))

	_, good := trustChange(t, "good", "companies", topicARN)
	_, wrongTopic := trustChange(t, "wrong-topic", "companies", other)
	_, wrongTable := trustChange(t, "wrong-table", "accounts", topicARN)
	raw, _ := trustChange(t, "raw", "companies", topicARN)
	for _, body := range []string{good, wrongTopic, wrongTable, raw} {
		require.NoError(t, sub.HandleMessage(ctx, body), "skipped, not failed")
	}
	var ev events.SNSEvent
	for _, topic := range []string{topicARN, other} {
		r, _ := trustChange(t, "sns-"+topic, "companies", topic)
		ev.Records = append(ev.Records, events.SNSEventRecord{SNS: events.SNSEntity{TopicArn: topic, Message: r, MessageID: topic}})
	}
	require.NoError(t, sub.HandleSNSEvent(ctx, ev))
	require.Equal(t, []string{"good", "sns-" + topicARN}, h.applied)
	require.Equal(t, uint64(4), sub.Counts().Untrusted)
	require.Equal(t, uint64(2), sub.Counts().Applied)
}

// TestImpossibleOrderRefused: a change whose order no owner can produce
// (a version past any writer's reach, a sequence number that is not one)
// is refused, not applied: applied, it would freeze the copy for good.
func TestImpossibleOrderRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    tssync.Change
	}{
		{"version MaxInt64 on a write", tssync.Change{Event: tssync.Modify, Version: math.MaxInt64}},
		{"version past 2^53", tssync.Change{Event: tssync.Modify, Version: 1<<53 + 1}},
		{"negative version", tssync.Change{Event: tssync.Modify, Version: -1}},
		{"sequence of letters", tssync.Change{Event: tssync.Modify, Sequence: "~~~~"}},
		{"sequence of 41 digits", tssync.Change{Event: tssync.Modify, Sequence: "12345678901234567890123456789012345678901"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.EventID, c.Table = "x", "companies"
			c.Keys = map[string]types.AttributeValue{"pk": s("A")}
			c.New = map[string]types.AttributeValue{"pk": s("A"), "id": s("1"), "name": s("Z")}
			b, err := json.Marshal(c)
			require.NoError(t, err)
			h := &countingHandler{}
			sub := tssync.NewSubscriber(h)
			if err := sub.HandleMessage(context.Background(), string(b)); !errors.Is(err, tssync.ErrNotAChange) {
				t.Errorf("HandleMessage(%s) = %v; want ErrNotAChange", tc.name, err)
			}
			require.Empty(t, h.applied)
			require.Equal(t, uint64(1), sub.Counts().Refused)
		})
	}
	// A key-only Remove at RemovedVersion is what a publisher produces.
	rm := keyOnlyRemove("1")
	rm.Version = tssync.RemovedVersion
	b, err := json.Marshal(rm)
	require.NoError(t, err)
	_, err = tssync.ParseMessage(string(b))
	require.NoError(t, err)
}
