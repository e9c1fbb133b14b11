package index

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Client is the part of the DynamoDB API that [Create] and [Verify] use.
// *dynamodb.Client implements it; wrap it to add metrics or tracing.
type Client interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// TTLClient is the part of the DynamoDB API that [Create] and [Verify] use
// besides [Client] for a table that declares a TTL attribute
// ([Table].TTL). *dynamodb.Client implements it; a Client without it makes
// them fail with [ErrNoTTLClient] for such a table.
type TTLClient interface {
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
}

var _ TTLClient = (*dynamodb.Client)(nil)

// BackupClient is the part of the DynamoDB API that [Create] and [Verify]
// use besides [Client] for a table that declares point-in-time recovery
// ([Table].PointInTimeRecovery). *dynamodb.Client implements it; a Client
// without it makes them fail with [ErrNoBackupClient] for such a table.
type BackupClient interface {
	UpdateContinuousBackups(ctx context.Context, in *dynamodb.UpdateContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateContinuousBackupsOutput, error)
	DescribeContinuousBackups(ctx context.Context, in *dynamodb.DescribeContinuousBackupsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error)
}

var _ BackupClient = (*dynamodb.Client)(nil)
