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

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tablestakes/tablestakes/examples/statistics"
)

func main() {
	svc, err := statistics.FromEnvironment(context.Background())
	if err != nil {
		log.Fatalf("uploads-lambda: %v", err)
	}
	lambda.Start(svc.HandleS3Event)
}
