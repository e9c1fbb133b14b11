package ddbtest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TopicAPI is the part of the SNS API that [Subscribe] uses.
type TopicAPI interface {
	CreateTopic(ctx context.Context, in *sns.CreateTopicInput, optFns ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	Subscribe(ctx context.Context, in *sns.SubscribeInput, optFns ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	DeleteTopic(ctx context.Context, in *sns.DeleteTopicInput, optFns ...func(*sns.Options)) (*sns.DeleteTopicOutput, error)
}

// QueueAPI is the part of the SQS API that [Subscribe] uses.
type QueueAPI interface {
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, optFns ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	DeleteQueue(ctx context.Context, in *sqs.DeleteQueueInput, optFns ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error)
}

// Subscription is an SNS topic and an SQS queue subscribed to it.
type Subscription struct {
	TopicARN string
	QueueURL string
	QueueARN string
}

// SubscribeOption configures [Subscribe].
type SubscribeOption func(*subConfig)

type subConfig struct {
	raw        bool
	fifo       bool
	visibility time.Duration
}

// RawDelivery delivers messages to the queue as published, without SNS's
// notification envelope.
func RawDelivery() SubscribeOption { return func(c *subConfig) { c.raw = true } }

// FIFO makes the topic and the queue FIFO ones.
func FIFO() SubscribeOption { return func(c *subConfig) { c.fifo = true } }

// VisibilityTimeout sets how long a received message stays hidden before it
// is delivered again (rounded to whole seconds, at least one; SQS's default
// is 30 s, long for a test that checks redelivery).
func VisibilityTimeout(d time.Duration) SubscribeOption {
	return func(c *subConfig) { c.visibility = d }
}

// Subscribe creates an SNS topic and an SQS queue subscribed to it, both
// uniquely named from base and the test's name, and deletes them when t
// ends. It is what a test of a service that publishes or subscribes to
// change events needs. Any failure fails t.
func Subscribe(t testing.TB, topics TopicAPI, queues QueueAPI, base string, opts ...SubscribeOption) Subscription {
	t.Helper()
	var cfg subConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := UniqueName(t, base)
	topicAttrs, queueAttrs := map[string]string{}, map[string]string{}
	if cfg.fifo {
		// ".fifo" must end the name, within SNS's and SQS's 80 characters.
		if len(name) > 75 {
			name = name[len(name)-75:]
		}
		name = strings.TrimLeft(name, "-.") + ".fifo"
		topicAttrs["FifoTopic"] = "true"
		queueAttrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
	}
	if cfg.visibility > 0 {
		// Whole seconds; a timeout under a second is one, not SQS's default.
		queueAttrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(max(1, int(cfg.visibility.Round(time.Second)/time.Second)))
	}
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: topicAttrs})
	if err != nil {
		t.Fatalf("ddbtest: create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := topics.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
			t.Errorf("ddbtest: delete topic %s: %v", name, err)
		}
	})
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: queueAttrs})
	if err != nil {
		t.Fatalf("ddbtest: create queue %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := queues.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
			t.Errorf("ddbtest: delete queue %s: %v", name, err)
		}
	})
	attrs, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("ddbtest: queue %s attributes: %v", name, err)
	}
	s := Subscription{TopicARN: aws.ToString(topic.TopicArn), QueueURL: aws.ToString(q.QueueUrl),
		QueueARN: attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(s.QueueARN),
		Attributes: map[string]string{"RawMessageDelivery": strconv.FormatBool(cfg.raw)},
	}); err != nil {
		t.Fatalf("ddbtest: subscribe %s to %s: %v", s.QueueARN, s.TopicARN, err)
	}
	return s
}
