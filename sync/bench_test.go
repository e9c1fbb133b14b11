package sync_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	tssync "github.com/tablestakes/tablestakes/sync"
)

// discardSNS accepts every batch without sending it, so the benchmarks
// measure what happens before the network.
type discardSNS struct{}

func (discardSNS) PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	return &sns.PublishBatchOutput{}, nil
}

// BenchmarkPublishLambdaEvent publishes a Lambda stream event of ten
// records: through the Publisher (records converted to changes, encoded in
// DynamoDB JSON with a version, batched), and by hand, the way a handler
// without the library would do it (each record marshaled as Lambda gave it,
// one PublishBatch).
func BenchmarkPublishLambdaEvent(b *testing.B) {
	var one events.DynamoDBEvent
	if err := json.Unmarshal([]byte(lambdaEvent), &one); err != nil {
		b.Fatal(err)
	}
	ev := events.DynamoDBEvent{}
	for i := range 10 {
		r := one.Records[0]
		r.EventID = strconv.Itoa(i)
		ev.Records = append(ev.Records, r)
	}
	ctx := context.Background()
	topic := "arn:aws:sns:us-east-1:000000000000:changes"
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		client := discardSNS{}
		for b.Loop() {
			in := &sns.PublishBatchInput{TopicArn: aws.String(topic)}
			for i, r := range ev.Records {
				body, err := json.Marshal(r)
				if err != nil {
					b.Fatal(err)
				}
				in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, snstypes.PublishBatchRequestEntry{
					Id: aws.String(strconv.Itoa(i)), Message: aws.String(string(body)),
				})
			}
			if _, err := client.PublishBatch(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=publisher", func(b *testing.B) {
		b.ReportAllocs()
		p := tssync.NewPublisher(discardSNS{}, topic, tssync.WithVersionAttribute("version"))
		for b.Loop() {
			resp, err := p.HandleDynamoDBEvent(ctx, ev)
			if err != nil || len(resp.BatchItemFailures) > 0 {
				b.Fatal(err, resp)
			}
		}
	})
	b.Run("impl=publisher-attributes", func(b *testing.B) {
		b.ReportAllocs()
		p := tssync.NewPublisher(discardSNS{}, topic, tssync.WithVersionAttribute("version"),
			tssync.WithAttributes("name"), tssync.WithCarried("id"))
		for b.Loop() {
			resp, err := p.HandleDynamoDBEvent(ctx, ev)
			if err != nil || len(resp.BatchItemFailures) > 0 {
				b.Fatal(err, resp)
			}
		}
	})
}

// BenchmarkParseMessage decodes a change from an SNS envelope, as a
// subscriber does for each SQS message, against decoding the envelope and a
// Lambda stream record by hand.
func BenchmarkParseMessage(b *testing.B) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal([]byte(lambdaEvent), &ev); err != nil {
		b.Fatal(err)
	}
	c, err := tssync.FromLambdaRecord(ev.Records[0])
	if err != nil {
		b.Fatal(err)
	}
	wrap := func(msg []byte) string {
		env, err := json.Marshal(map[string]string{"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:0:t", "Message": string(msg)})
		if err != nil {
			b.Fatal(err)
		}
		return string(env)
	}
	ours, err := json.Marshal(c)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(ev.Records[0])
	if err != nil {
		b.Fatal(err)
	}
	oursBody, rawBody := wrap(ours), wrap(raw)
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env struct{ Message string }
			var rec events.DynamoDBEventRecord
			if err := json.Unmarshal([]byte(rawBody), &env); err != nil {
				b.Fatal(err)
			}
			if err := json.Unmarshal([]byte(env.Message), &rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tssync.ParseMessage(oursBody); err != nil {
				b.Fatal(err)
			}
		}
	})
}
