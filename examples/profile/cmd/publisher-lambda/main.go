// Command publisher-lambda is the profile service's stream handler as an AWS
// Lambda function: the companies table's stream is its event source (with
// ReportBatchItemFailures), and it publishes name changes to the topic named
// by TOPIC_ARN. It is the Lambda form of what examples/companies runs in
// process with a StreamReader; the publisher is the same.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/tablestakes/tablestakes/examples/profile"
)

func main() {
	topic := os.Getenv("TOPIC_ARN")
	if topic == "" {
		log.Fatal("publisher-lambda: TOPIC_ARN is not set")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("publisher-lambda: %v", err)
	}
	lambda.Start(profile.NewPublisher(sns.NewFromConfig(cfg), topic).HandleDynamoDBEvent)
}
