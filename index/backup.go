package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// backupClient returns c as a [BackupClient] when t declares point-in-time
// recovery, nil when it declares none, and [ErrNoBackupClient] when c
// cannot manage it.
func backupClient(c Client, t Table) (BackupClient, error) {
	if !t.PointInTimeRecovery {
		return nil, nil
	}
	b, ok := c.(BackupClient)
	if !ok {
		return nil, fmt.Errorf("%w: table %q declares point-in-time recovery", ErrNoBackupClient, t.Name)
	}
	return b, nil
}

// optionalClients returns the TTL and backup operations of c that t's
// declaration needs (nil where it needs none), or an error matching
// [ErrNoTTLClient] or [ErrNoBackupClient] when c lacks them.
func optionalClients(c Client, t Table) (TTLClient, BackupClient, error) {
	var ttl TTLClient
	if t.TTL != "" {
		var ok bool
		if ttl, ok = c.(TTLClient); !ok {
			return nil, nil, fmt.Errorf("%w: table %q declares the TTL attribute %q", ErrNoTTLClient, t.Name, t.TTL)
		}
	}
	backup, err := backupClient(c, t)
	return ttl, backup, err
}

// unknownOperation reports an endpoint that does not implement the
// operation, as DynamoDB Local does not implement the backup operations.
func unknownOperation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "UnknownOperationException"
}

// enablePITR turns point-in-time recovery on, unless the endpoint does not
// implement it.
func enablePITR(ctx context.Context, c BackupClient, table string) error {
	_, err := c.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{
		TableName: aws.String(table),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: aws.Bool(true),
		},
	})
	if err != nil && !unknownOperation(err) {
		return fmt.Errorf("index: enable point-in-time recovery of table %q: %w", table, err)
	}
	return nil
}

// pitrProblem returns the difference between the live table's
// point-in-time recovery and the declaration ("" for none, and for an
// endpoint that does not implement the backup operations).
func pitrProblem(ctx context.Context, c BackupClient, table string) (string, error) {
	out, err := c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(table)})
	if unknownOperation(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("index: describe continuous backups of table %q: %w", table, err)
	}
	d := out.ContinuousBackupsDescription
	if d == nil || d.PointInTimeRecoveryDescription == nil ||
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		return "point-in-time recovery is off; declared on", nil
	}
	return "", nil
}
