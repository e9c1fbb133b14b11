package awsfake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tablestakes/tablestakes/internal/awsfake"
)

func entry(id, body string, attrs int) snstypes.PublishBatchRequestEntry {
	e := snstypes.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String(body), MessageAttributes: map[string]snstypes.MessageAttributeValue{}}
	for i := range attrs {
		e.MessageAttributes[string(rune('a'+i))] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
	}
	return e
}

func TestSNSLimits(t *testing.T) {
	many := make([]snstypes.PublishBatchRequestEntry, 11)
	for i := range many {
		many[i] = entry(string(rune('a'+i)), "x", 0)
	}
	half := strings.Repeat("x", awsfake.MaxMessageBytes/2)
	for _, tc := range []struct {
		name    string
		entries []snstypes.PublishBatchRequestEntry
		whole   any    // the error type refusing the request, or nil
		failed  string // the code of the one entry refused, or ""
	}{
		{"empty", nil, &snstypes.EmptyBatchRequestException{}, ""},
		{"eleven entries", many, &snstypes.TooManyEntriesInBatchRequestException{}, ""},
		{"ids not distinct", []snstypes.PublishBatchRequestEntry{entry("a", "x", 0), entry("a", "y", 0)}, &snstypes.BatchEntryIdsNotDistinctException{}, ""},
		{"bad id", []snstypes.PublishBatchRequestEntry{entry("a b", "x", 0)}, &snstypes.InvalidBatchEntryIdException{}, ""},
		{"batch too long", []snstypes.PublishBatchRequestEntry{entry("a", half, 0), entry("b", half, 1)}, &snstypes.BatchRequestTooLongException{}, ""},
		{"batch at the limit", []snstypes.PublishBatchRequestEntry{entry("a", half, 0), entry("b", half[:len(half)-11], 1)}, nil, ""},
		{"eleven attributes", []snstypes.PublishBatchRequestEntry{entry("a", "x", 11)}, nil, "InvalidParameter"},
		{"empty body", []snstypes.PublishBatchRequestEntry{entry("a", "", 0)}, nil, "InvalidParameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := (&awsfake.SNS{}).PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String("arn:t"), PublishBatchRequestEntries: tc.entries})
			if tc.whole != nil {
				if err == nil || !strings.Contains(strings.ToLower(errTypeName(err)), strings.ToLower(errTypeName(tc.whole.(error)))) {
					t.Fatalf("PublishBatch = %v; want %T", err, tc.whole)
				}
				return
			}
			if err != nil {
				t.Fatalf("PublishBatch = %v; want nil", err)
			}
			switch {
			case tc.failed == "" && len(out.Failed) > 0:
				t.Errorf("Failed = %+v; want none", out.Failed)
			case tc.failed != "" && (len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != tc.failed):
				t.Errorf("Failed = %+v; want one %s", out.Failed, tc.failed)
			}
		})
	}
}

func errTypeName(err error) string {
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return err.Error()
}

func TestSQSLimits(t *testing.T) {
	ctx := context.Background()
	q := &awsfake.SQS{}
	url := q.CreateQueue("q")
	if _, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11}); err == nil {
		t.Error("ReceiveMessage(11 messages) = nil; want an error")
	}
	if _, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21}); err == nil {
		t.Error("ReceiveMessage(wait 21s) = nil; want an error")
	}
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, 11)
	for i := range entries {
		entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: aws.String("r")}
	}
	var tooMany *sqstypes.TooManyEntriesInBatchRequest
	if _, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); !errors.As(err, &tooMany) {
		t.Errorf("DeleteMessageBatch(11) = %v; want TooManyEntriesInBatchRequest", err)
	}
	var dup *sqstypes.BatchEntryIdsNotDistinct
	if _, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.DeleteMessageBatchRequestEntry{entries[0], entries[0]}}); !errors.As(err, &dup) {
		t.Errorf("DeleteMessageBatch(same id twice) = %v; want BatchEntryIdsNotDistinct", err)
	}
	q.Send(url, "hello")
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %v, %v; want the message", out, err)
	}
	res, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("ok"), ReceiptHandle: out.Messages[0].ReceiptHandle}, {Id: aws.String("stale"), ReceiptHandle: aws.String("old")}}})
	if err != nil || len(res.Successful) != 1 || len(res.Failed) != 1 || q.Len(url) != 0 {
		t.Errorf("DeleteMessageBatch = %+v, %v; want one deleted, one stale handle refused", res, err)
	}
}
