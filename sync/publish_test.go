package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/internal/awsfake"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// recordingSNS records PublishBatch calls, refuses what SNS refuses (it
// checks each call with awsfake.SNS, which enforces SNS's documented
// limits) and answers with what fail says. It stands in for SNS where a
// test needs SNS to misbehave on demand; the integration tests publish to a
// real server.
type recordingSNS struct {
	limits awsfake.SNS
	calls  [][]snstypes.PublishBatchRequestEntry
	// fail returns, for call number i, the entry ids to refuse, whether
	// that is the sender's fault, and an error for the whole call.
	fail func(i int, entries []snstypes.PublishBatchRequestEntry) (ids []string, senderFault bool, err error)
}

func (r *recordingSNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	r.calls = append(r.calls, in.PublishBatchRequestEntries)
	out, err := r.limits.PublishBatch(ctx, in)
	if err != nil {
		return nil, err
	}
	if len(out.Failed) > 0 {
		return out, nil // what SNS itself refuses
	}
	out = &sns.PublishBatchOutput{}
	if r.fail != nil {
		ids, fault, err := r.fail(len(r.calls)-1, in.PublishBatchRequestEntries)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out.Failed = append(out.Failed, snstypes.BatchResultErrorEntry{
				Id: aws.String(id), Code: aws.String("InternalError"), Message: aws.String("try again"), SenderFault: fault,
			})
		}
	}
	return out, nil
}

// sent returns the event ids of every entry sent, call by call.
func (r *recordingSNS) sent(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	for _, call := range r.calls {
		var ids []string
		for _, e := range call {
			c, err := tssync.ParseMessage(aws.ToString(e.Message))
			require.NoError(t, err)
			ids = append(ids, c.EventID)
		}
		out = append(out, ids)
	}
	return out
}

func changes(count int) []tssync.Change {
	out := make([]tssync.Change, count)
	for i := range out {
		id := fmt.Sprint(i)
		out[i] = tssync.Change{
			EventID: "e" + id, Event: tssync.Modify, Table: "companies", Sequence: fmt.Sprint(100 + i),
			Keys: map[string]types.AttributeValue{"pk": s("C#" + id)},
			Old:  map[string]types.AttributeValue{"pk": s("C#" + id), "name": s("old"), "version": n(fmt.Sprint(i + 1))},
			New:  map[string]types.AttributeValue{"pk": s("C#" + id), "name": s("new" + id), "version": n(fmt.Sprint(i + 2)), "notes": s("x")},
		}
	}
	return out
}

func ids(cs []tssync.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.EventID
	}
	return out
}

// fast retries at once, and sends one request after another, so that a
// test reads them in order (TestPublishConcurrently sends them at once).
var fast tssync.PublisherOption = func(p *tssync.Publisher) {
	tssync.WithPublishRetry(3, time.Microsecond, time.Millisecond)(p)
	tssync.WithPublisherConcurrency(1)(p)
}

func TestPublishBatchesInOrder(t *testing.T) {
	rec := &recordingSNS{}
	p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
	require.NoError(t, p.Publish(context.Background(), changes(23)...))
	got := rec.sent(t)
	require.Len(t, got, 3)
	require.Equal(t, ids(changes(23)[:10]), got[0])
	require.Equal(t, ids(changes(23)[10:20]), got[1])
	require.Equal(t, ids(changes(23)[20:]), got[2])
	e := rec.calls[0][0]
	require.Equal(t, "companies", aws.ToString(e.MessageAttributes["table"].StringValue))
	require.Equal(t, "MODIFY", aws.ToString(e.MessageAttributes["event"].StringValue))
	require.Nil(t, e.MessageGroupId, "a standard topic takes no group id")
}

func TestPublishRetriesRefusedEntries(t *testing.T) {
	rec := &recordingSNS{fail: func(i int, _ []snstypes.PublishBatchRequestEntry) ([]string, bool, error) {
		if i == 0 {
			return []string{"1", "3"}, false, nil
		}
		return nil, false, nil
	}}
	p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
	require.NoError(t, p.Publish(context.Background(), changes(5)...))
	require.Equal(t, [][]string{{"e0", "e1", "e2", "e3", "e4"}, {"e1", "e3"}}, rec.sent(t))
}

func TestPublishReturnsWhatIsUnpublished(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func(int, []snstypes.PublishBatchRequestEntry) ([]string, bool, error)
		calls int
		want  []string
	}{{
		name: "sender fault is not retried",
		fail: func(i int, _ []snstypes.PublishBatchRequestEntry) ([]string, bool, error) {
			if i == 1 {
				return []string{"2"}, true, nil
			}
			return nil, false, nil
		},
		// the second batch (e10..e19) loses e12; e20..e24 were not sent.
		calls: 2, want: []string{"e12", "e20", "e21", "e22", "e23", "e24"},
	}, {
		name: "a sender fault keeps the other refusals",
		fail: func(int, []snstypes.PublishBatchRequestEntry) ([]string, bool, error) {
			return []string{"3", "1"}, true, nil // SNS lists failures in no order
		},
		calls: 1, want: append([]string{"e1", "e3"}, ids(changes(25)[10:])...),
	}, {
		name: "refusals outlast the retries",
		fail: func(int, []snstypes.PublishBatchRequestEntry) ([]string, bool, error) {
			return []string{"0"}, false, nil
		},
		calls: 3, want: append([]string{"e0"}, ids(changes(25)[10:])...),
	}, {
		name: "the call keeps failing",
		fail: func(int, []snstypes.PublishBatchRequestEntry) ([]string, bool, error) {
			return nil, false, errors.New("connection reset")
		},
		calls: 3, want: ids(changes(25)),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingSNS{fail: tc.fail}
			p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
			err := p.Publish(context.Background(), changes(25)...)
			var pe *tssync.PublishError
			if !errors.Is(err, tssync.ErrUnpublished) || !errors.As(err, &pe) {
				t.Fatalf("Publish = %v; want a *PublishError", err)
			}
			require.Equal(t, tc.want, ids(pe.Unpublished))
			require.Len(t, rec.calls, tc.calls)
		})
	}
}

func TestPublishRefusesTooLargeBeforeSending(t *testing.T) {
	rec := &recordingSNS{}
	p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
	cs := changes(3)
	cs[1].New["notes"] = s(strings.Repeat("x", tssync.MaxMessageSize))
	err := p.Publish(context.Background(), cs...)
	var pe *tssync.PublishError
	if !errors.Is(err, tssync.ErrMessageTooLarge) || !errors.As(err, &pe) {
		t.Fatalf("Publish = %v; want ErrMessageTooLarge in a *PublishError", err)
	}
	require.Equal(t, []string{"e0", "e1", "e2"}, ids(pe.Unpublished))
	require.Empty(t, rec.calls)

	// Publishing only the attributes subscribers copy keeps it small.
	rec = &recordingSNS{}
	p = tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast, tssync.WithAttributes("name"))
	require.NoError(t, p.Publish(context.Background(), cs...))
}

func TestPublishAttributesVersionAndFilter(t *testing.T) {
	rec := &recordingSNS{}
	p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast,
		tssync.WithAttributes("name"), tssync.WithVersionAttribute("version"),
		tssync.WithFilter(func(c tssync.Change) bool { return c.EventID != "e2" }))
	cs := changes(4)
	cs[1].New["name"] = cs[1].Old["name"] // e1 touches no published attribute
	require.NoError(t, p.Publish(context.Background(), cs...))
	require.Equal(t, [][]string{{"e0", "e3"}}, rec.sent(t))

	c, err := tssync.ParseMessage(aws.ToString(rec.calls[0][1].Message))
	require.NoError(t, err)
	require.Equal(t, int64(5), c.Version, "version read from the new image")
	require.Equal(t, map[string]types.AttributeValue{"pk": s("C#3"), "name": s("new3"), "version": n("5")}, c.New,
		"the image is cut down to keys, published attributes and the version")
}

func TestPublishFIFO(t *testing.T) {
	rec := &recordingSNS{}
	p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes.fifo", fast)
	cs := changes(3)
	cs[2].Keys = cs[0].Keys // e2 changes the same item as e0
	require.NoError(t, p.Publish(context.Background(), cs...))
	es := rec.calls[0]
	for i, e := range es {
		require.Equal(t, cs[i].EventID, aws.ToString(e.MessageDeduplicationId))
		require.Len(t, aws.ToString(e.MessageGroupId), 64)
	}
	require.Equal(t, aws.ToString(es[0].MessageGroupId), aws.ToString(es[2].MessageGroupId), "one item, one group")
	require.NotEqual(t, aws.ToString(es[0].MessageGroupId), aws.ToString(es[1].MessageGroupId))
}

func TestHandleDynamoDBEventReportsFailures(t *testing.T) {
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal([]byte(lambdaEvent), &ev))
	second := ev.Records[0]
	second.EventID, second.Change.SequenceNumber = "second", "111100000000000000000002"
	ev.Records = append(ev.Records, second)

	rec := &recordingSNS{}
	p := tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
	resp, err := p.HandleDynamoDBEvent(context.Background(), ev)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, [][]string{{"c4ca4238a0b923820dcc509a6f75849b", "second"}}, rec.sent(t))

	// SNS refuses the second record: Lambda must resume from it.
	rec = &recordingSNS{fail: func(int, []snstypes.PublishBatchRequestEntry) ([]string, bool, error) {
		return []string{"1"}, true, nil
	}}
	p = tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
	resp, err = p.HandleDynamoDBEvent(context.Background(), ev)
	require.NoError(t, err)
	require.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: "111100000000000000000002"}}, resp.BatchItemFailures)

	// An unreadable record stops the batch there.
	bad := ev
	bad.Records = append([]events.DynamoDBEventRecord{}, ev.Records...)
	bad.Records[1].EventName = "TRUNCATE"
	rec = &recordingSNS{}
	p = tssync.NewPublisher(rec, "arn:aws:sns:us-east-1:000000000000:changes", fast)
	resp, err = p.HandleDynamoDBEvent(context.Background(), bad)
	require.NoError(t, err)
	require.Equal(t, []events.DynamoDBBatchItemFailure{{ItemIdentifier: "111100000000000000000002"}}, resp.BatchItemFailures)
	require.Equal(t, [][]string{{"c4ca4238a0b923820dcc509a6f75849b"}}, rec.sent(t))
}
