package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tablestakes/tablestakes/cli"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/examples/profile"
	"github.com/tablestakes/tablestakes/examples/statistics"
	"github.com/tablestakes/tablestakes/policy"
	"github.com/tablestakes/tablestakes/policy/policytest"
)

// TestPolicyAllowsEveryRequest runs the example end to end with each
// service's clients recording what they send, and checks every request
// against the policy the tablestakes command generates for that service:
// each one allowed, no action granted that none used, no "*".
func TestPolicyAllowsEveryRequest(t *testing.T) {
	t.Parallel()
	env := Env{
		DB:      ddbtest.DynamoDB(t),
		Streams: ddbtest.Streams(t),
		SNS:     ddbtest.SNS(t),
		SQS:     ddbtest.SQS(t),
		S3:      ddbtest.S3(t),
		Prefix:  fmt.Sprintf("pol%d", time.Now().UnixNano()),
	}
	aws := policy.Env{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
	recorders := map[string]*policytest.Recorder{
		"profile":    policytest.NewRecorder(aws),
		"statistics": policytest.NewRecorder(aws),
	}
	env.Clients = func(service string) Env {
		rec := recorders[service].Middleware
		return Env{
			DB:      dynamodb.New(env.DB.Options(), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, rec) }),
			Streams: dynamodbstreams.New(env.Streams.Options(), func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, rec) }),
			SNS:     sns.New(env.SNS.Options(), func(o *sns.Options) { o.APIOptions = append(o.APIOptions, rec) }),
			SQS:     sqs.New(env.SQS.Options(), func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, rec) }),
			S3:      s3.New(env.S3.Options(), func(o *s3.Options) { o.APIOptions = append(o.APIOptions, rec) }),
		}
	}
	var out strings.Builder
	if err := Run(t.Context(), &out, env); err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	for _, declare := range []cli.Declaration{profile.Declaration, statistics.Declaration} {
		svc, err := declare(env.Prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(svc.Name, func(t *testing.T) {
			doc, err := policy.New(svc.Access...).Document(aws)
			if err != nil {
				t.Fatal(err)
			}
			requests := recorders[svc.Name].Requests()
			if len(requests) == 0 {
				t.Fatal("no requests recorded")
			}
			for _, problem := range policytest.Check(doc, requests) {
				t.Error(problem)
			}
			// The check has teeth: without the first statement some
			// request is refused, and with an action none sent it is
			// reported unused.
			narrow := doc
			narrow.Statement = doc.Statement[1:]
			if len(policytest.Check(narrow, requests)) == 0 {
				t.Error("Check(policy without its first statement) found no problem")
			}
			wide := doc
			wide.Statement = append([]policy.Statement{{Effect: "Allow", Action: []string{"dynamodb:Scan"},
				Resource: doc.Statement[0].Resource}}, doc.Statement...)
			if got := policytest.Check(wide, requests); len(got) != 1 || !strings.Contains(got[0], "never used: dynamodb:Scan") {
				t.Errorf("Check(policy granting Scan too) = %q; want Scan reported unused", got)
			}
			if t.Failed() {
				b, _ := doc.JSON()
				t.Logf("policy:\n%s", b)
			}
		})
	}
}
