package awsfake

import (
	"context"
	"fmt"
	stdsync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
)

// The documented limits of the SQS calls the sync package makes.
const (
	// MaxWaitSeconds is ReceiveMessage's longest long-poll wait.
	MaxWaitSeconds = 20
	// MaxVisibilitySeconds is the longest visibility timeout (12 hours).
	MaxVisibilitySeconds = 43_200
)

// SQS is an in-memory SQS service for ReceiveMessage and
// DeleteMessageBatch. Queues exist once [SQS.CreateQueue] made them. The
// zero value is ready; it is safe for concurrent use.
type SQS struct {
	// Visibility is how long a received message stays invisible (default
	// 30 seconds, SQS's default).
	Visibility time.Duration

	mu     stdsync.Mutex
	queues map[string]*queue
	calls  map[string]int
}

type queue struct {
	msgs []*message
}

type message struct {
	id, body, receipt string
	visibleAt         time.Time
	receives          int
}

// CreateQueue creates the queue named name and returns its URL.
func (q *SQS) CreateQueue(name string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queues == nil {
		q.queues = map[string]*queue{}
	}
	url := "https://sqs.us-east-1.amazonaws.com/000000000000/" + name
	if q.queues[url] == nil {
		q.queues[url] = &queue{}
	}
	return url
}

// Send puts body on the queue url, as SendMessage would.
func (q *SQS) Send(url, body string) { q.deliver(url, body) }

func (q *SQS) deliver(url, body string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qu := q.queues[url]; qu != nil {
		qu.msgs = append(qu.msgs, &message{id: uuid.NewString(), body: body})
	}
}

// Len returns how many messages the queue url holds, in flight or not.
func (q *SQS) Len(url string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qu := q.queues[url]; qu != nil {
		return len(qu.msgs)
	}
	return 0
}

// Calls returns how many calls of the operation op ("ReceiveMessage",
// "DeleteMessageBatch") were made, refused ones too.
func (q *SQS) Calls(op string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls[op]
}

func (q *SQS) count(op string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.calls == nil {
		q.calls = map[string]int{}
	}
	q.calls[op]++
}

func (q *SQS) queue(url string) (*queue, error) {
	if qu := q.queues[url]; qu != nil {
		return qu, nil
	}
	return nil, &sqstypes.QueueDoesNotExist{Message: aws.String("the queue " + url + " does not exist")}
}

// ReceiveMessage returns up to MaxNumberOfMessages visible messages (1 to
// 10; 0 means 1), waiting up to WaitTimeSeconds (0 to 20) for one.
func (q *SQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.count("ReceiveMessage")
	max := in.MaxNumberOfMessages
	switch {
	case max < 0 || max > MaxBatchEntries:
		return nil, invalid("MaxNumberOfMessages %d: 1 to %d", max, MaxBatchEntries)
	case in.WaitTimeSeconds < 0 || in.WaitTimeSeconds > MaxWaitSeconds:
		return nil, invalid("WaitTimeSeconds %d: 0 to %d", in.WaitTimeSeconds, MaxWaitSeconds)
	case in.VisibilityTimeout < 0 || in.VisibilityTimeout > MaxVisibilitySeconds:
		return nil, invalid("VisibilityTimeout %d: 0 to %d", in.VisibilityTimeout, MaxVisibilitySeconds)
	}
	if max == 0 {
		max = 1
	}
	visibility := q.Visibility
	if visibility <= 0 {
		visibility = 30 * time.Second
	}
	if in.VisibilityTimeout > 0 {
		visibility = time.Duration(in.VisibilityTimeout) * time.Second
	}
	deadline := time.Now().Add(time.Duration(in.WaitTimeSeconds) * time.Second)
	for {
		out, err := q.take(aws.ToString(in.QueueUrl), int(max), visibility)
		if err != nil || len(out.Messages) > 0 || !time.Now().Before(deadline) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (q *SQS) take(url string, max int, visibility time.Duration) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qu, err := q.queue(url)
	if err != nil {
		return nil, err
	}
	out := &sqs.ReceiveMessageOutput{}
	now := time.Now()
	for _, m := range qu.msgs {
		if len(out.Messages) == max {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		m.receives++
		m.receipt = uuid.NewString()
		m.visibleAt = now.Add(visibility)
		out.Messages = append(out.Messages, sqstypes.Message{
			MessageId: aws.String(m.id), Body: aws.String(m.body), ReceiptHandle: aws.String(m.receipt),
		})
	}
	return out, nil
}

// DeleteMessageBatch deletes up to 10 messages by their latest receipt
// handles; entry ids must be distinct, of letters, digits, hyphens and
// underscores, up to 80 characters.
func (q *SQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	q.count("DeleteMessageBatch")
	es := in.Entries
	switch {
	case len(es) == 0:
		return nil, &sqstypes.EmptyBatchRequest{Message: aws.String("the batch request does not contain any entries")}
	case len(es) > MaxBatchEntries:
		return nil, &sqstypes.TooManyEntriesInBatchRequest{Message: aws.String(fmt.Sprintf("%d entries; at most %d", len(es), MaxBatchEntries))}
	}
	seen := map[string]bool{}
	for _, e := range es {
		id := aws.ToString(e.Id)
		if !entryID.MatchString(id) {
			return nil, &sqstypes.InvalidBatchEntryId{Message: aws.String(fmt.Sprintf("entry id %q is invalid", id))}
		}
		if seen[id] {
			return nil, &sqstypes.BatchEntryIdsNotDistinct{Message: aws.String("two entries have the id " + id)}
		}
		seen[id] = true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	qu, err := q.queue(aws.ToString(in.QueueUrl))
	if err != nil {
		return nil, err
	}
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range es {
		i := -1
		for j, m := range qu.msgs {
			if m.receipt != "" && m.receipt == aws.ToString(e.ReceiptHandle) {
				i = j
				break
			}
		}
		if i < 0 {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{
				Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), Message: aws.String("the receipt handle is not the latest"), SenderFault: true,
			})
			continue
		}
		qu.msgs = append(qu.msgs[:i], qu.msgs[i+1:]...)
		out.Successful = append(out.Successful, sqstypes.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// invalid is SQS's answer to a parameter out of range: a smithy
// GenericAPIError with the code InvalidParameterValue, a client fault.
func invalid(format string, args ...any) error {
	return &apiError{code: "InvalidParameterValue", msg: fmt.Sprintf(format, args...)}
}
