package statistics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/ddbtest"
)

// TestReportIDsSortByEventTime: reports are listed by id, newest first, so
// ids follow event time, even for two uploads within one millisecond.
func TestReportIDsSortByEventTime(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 20 {
		var rec events.S3EventRecord
		rec.EventTime = t0.Add(time.Duration(i) * 40 * time.Microsecond)
		rec.S3.Bucket.Name = "b"
		rec.S3.Object.Key = fmt.Sprintf("reports/x/%d.pdf", i)
		rec.S3.Object.Sequencer = fmt.Sprintf("%016X", rec.EventTime.UnixNano())
		id := reportID(rec)
		if u, err := uuid.Parse(id); err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("reportID = %s (%v); want a UUIDv7", id, err)
		}
		if id <= prev {
			t.Fatalf("reportID(upload %d, %s) = %s <= %s, the id of the upload 40µs before", i, rec.EventTime.Format(time.RFC3339Nano), id, prev)
		}
		prev = id
	}
}

// TestS3KeyIsURLEncoded: S3 notifications carry object keys URL
// encoded ("Q1+report.pdf" for "Q1 report.pdf"); the object must be found.
func TestS3KeyIsURLEncoded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, s3c := ddbtest.DynamoDB(t), ddbtest.S3(t)
	svc, err := New(db, ddbtest.Table(t, db, Table("stats")), s3c)
	if err != nil {
		t.Fatal(err)
	}
	company := "01a212d4-0000-7000-8000-000000000001"
	if err := svc.stats.Create(ctx, &Stats{ID: company, CompanyName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	bucket := strings.ToLower(ddbtest.UniqueName(t, "reports"))
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	key := "reports/" + company + "/Q1 report (final).pdf"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte("%PDF"))}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		_, _ = s3c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})
	// The notification as S3 sends it: the key is URL encoded, but for its slashes.
	body := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-11-25T13:00:00.000Z",
		"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%q},"object":{"key":%q,"size":4,"sequencer":"0A1B"}}}]}`,
		bucket, strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"))
	var ev events.S3Event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandleS3Event(ctx, ev); err != nil {
		t.Fatalf("HandleS3Event(%s) = %v; want nil", ev.Records[0].S3.Object.Key, err)
	}
	var keys []string
	for r, err := range svc.reports.Query(ctx, ReportsOfCompany.Partition(company)) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, r.Key)
	}
	if !slices.Equal(keys, []string{key}) {
		t.Errorf("report keys = %q; want %q", keys, key)
	}
}

// TestNotAReportIsDropped: an object under reports/ whose second
// segment is no company id can never be recorded; an error would keep its
// notification on the queue forever.
func TestNotAReportIsDropped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := ddbtest.DynamoDB(t)
	svc, err := New(db, ddbtest.Table(t, db, Table("stats")), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.s3 = fakeHead{}
	var ev events.S3Event
	ev.Records = []events.S3EventRecord{{EventName: "ObjectCreated:Put", EventTime: time.Now()}}
	ev.Records[0].S3.Bucket.Name = "b"
	ev.Records[0].S3.Object.Key = "reports/readme/notes.txt"
	if err := svc.HandleS3Event(ctx, ev); err != nil {
		t.Errorf("HandleS3Event(reports/readme/notes.txt) = %v; want nil (not a report)", err)
	}
}

type fakeHead struct{}

func (fakeHead) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(1)}, nil
}

// TestReceiveUploadsDropsWhatIsNoNotification: a message that is not an S3
// notification can never be handled; it must not stay on the queue.
func TestReceiveUploadsDropsWhatIsNoNotification(t *testing.T) {
	t.Parallel()
	db, q := ddbtest.DynamoDB(t), ddbtest.SQS(t)
	svc, err := New(db, ddbtest.Table(t, db, Table("stats")), nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := ddbtest.Subscribe(t, ddbtest.SNS(t), q, "uploads", ddbtest.VisibilityTimeout(time.Second))
	if _, err := q.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(sub.QueueURL), MessageBody: aws.String("not JSON")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_ = svc.ReceiveUploads(ctx, q, sub.QueueURL, nil)
	attrs, err := q.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(sub.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		if n := attrs.Attributes[string(a)]; n != "0" {
			t.Errorf("%s = %s after ReceiveUploads; want 0", a, n)
		}
	}
}
