// Package localaws builds AWS SDK configuration for the local servers that
// tablestakes tests and examples run against: DynamoDB Local and fauxqs (SNS,
// SQS, S3), or LocalStack. Endpoints come from the environment variables that
// scripts/local-aws.sh prints.
package localaws

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Environment variables naming the local endpoints.
const (
	EnvDynamoDB = "DYNAMODB_ENDPOINT"
	EnvSNS      = "SNS_ENDPOINT"
	EnvSQS      = "SQS_ENDPOINT"
	EnvS3       = "S3_ENDPOINT"
)

// Region is the region every local client uses.
const Region = "us-east-1"

// Config returns an aws.Config with static dummy credentials for local
// servers. DynamoDB Local accepts only letters and digits in the access key
// id, so the id is alphanumeric. It never reads real credentials.
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("tablestakes", "tablestakes", ""),
		// Local servers are not throttled; a generous retryer still smooths
		// over a busy machine.
		RetryMaxAttempts: 5,
	}
}

// Endpoint returns the endpoint named by the environment variable env, or "".
func Endpoint(env string) string { return os.Getenv(env) }

// DynamoDB returns a DynamoDB client for endpoint.
func DynamoDB(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// Streams returns a DynamoDB Streams client for endpoint (the DynamoDB endpoint).
func Streams(endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(Config(), func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// SNS returns an SNS client for endpoint.
func SNS(endpoint string) *sns.Client {
	return sns.NewFromConfig(Config(), func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// SQS returns an SQS client for endpoint. Requests go to endpoint, never to
// the host inside a queue URL.
func SQS(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// S3 returns an S3 client for endpoint, using path-style addressing.
func S3(endpoint string) *s3.Client {
	return s3.NewFromConfig(Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// Ping reports whether a DynamoDB endpoint answers a ListTables call.
func Ping(ctx context.Context, c *dynamodb.Client) error {
	_, err := c.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
	return err
}
