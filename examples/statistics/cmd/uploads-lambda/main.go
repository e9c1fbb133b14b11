// Command uploads-lambda is the statistics service's report recorder as an
// AWS Lambda function: the reports bucket's object-created notifications
// are its event source, and it records each report in the table named by
// TABLE_NAME (event-driven updates, pattern 2). It is the Lambda form of
// what examples/companies runs in process with Service.ReceiveUploads; the
// handler is the same.
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
		log.Fatal("uploads-lambda: TABLE_NAME is not set")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("uploads-lambda: %v", err)
	}
	svc, err := statistics.New(dynamodb.NewFromConfig(cfg), statistics.Table(table), s3.NewFromConfig(cfg))
	if err != nil {
		log.Fatalf("uploads-lambda: %v", err)
	}
	lambda.Start(svc.HandleS3Event)
}
