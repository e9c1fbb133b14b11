package repository

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Client is the part of the DynamoDB API a [Repository] calls. It is met by
// *dynamodb.Client; wrap one to add metrics, tracing or faults. Each method
// is also its own one-operation interface below, for code that needs less.
type Client interface {
	GetItemAPI
	PutItemAPI
	UpdateItemAPI
	DeleteItemAPI
	QueryAPI
	ScanAPI
	BatchGetItemAPI
	BatchWriteItemAPI
	TransactWriteItemsAPI
}

// GetItemAPI is the GetItem operation.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// PutItemAPI is the PutItem operation.
type PutItemAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// UpdateItemAPI is the UpdateItem operation.
type UpdateItemAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DeleteItemAPI is the DeleteItem operation.
type DeleteItemAPI interface {
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// QueryAPI is the Query operation.
type QueryAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// ScanAPI is the Scan operation, called only by a repository built with [WithScan].
type ScanAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// BatchGetItemAPI is the BatchGetItem operation.
type BatchGetItemAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// BatchWriteItemAPI is the BatchWriteItem operation.
type BatchWriteItemAPI interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// TransactWriteItemsAPI is the TransactWriteItems operation.
type TransactWriteItemsAPI interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)
