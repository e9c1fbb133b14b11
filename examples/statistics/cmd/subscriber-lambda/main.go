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
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tablestakes/tablestakes/examples/statistics"
)

func main() {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		log.Fatal("subscriber-lambda: TABLE_NAME is not set")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("subscriber-lambda: %v", err)
	}
	svc, err := statistics.New(dynamodb.NewFromConfig(cfg), statistics.Table(table), s3.NewFromConfig(cfg))
	if err != nil {
		log.Fatalf("subscriber-lambda: %v", err)
	}
	lambda.Start(svc.Subscriber(nil).HandleSQSEvent)
}
