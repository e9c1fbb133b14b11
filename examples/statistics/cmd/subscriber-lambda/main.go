// Command subscriber-lambda is the statistics service's subscriber as an
// AWS Lambda function: an SQS queue subscribed to the profile service's
// topic is its event source (with ReportBatchItemFailures), and it keeps the
// company names in the table named by TABLE_NAME. It is the Lambda form of
// what examples/companies runs in process with Subscriber.Receive; the
// subscriber is the same.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tablestakes/tablestakes/examples/statistics"
)

func main() {
	svc, err := statistics.FromEnvironment(context.Background())
	if err != nil {
		log.Fatalf("subscriber-lambda: %v", err)
	}
	lambda.Start(svc.Subscriber(nil).HandleSQSEvent)
}
