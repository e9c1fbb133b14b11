package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Create creates table t if it does not exist and waits until the table and
// its indexes are active, or ctx ends. When t declares a TTL attribute,
// Create then enables Time to Live on it (UpdateTimeToLive) unless it is
// enabled already, on a new or an existing table alike. An existing table
// is otherwise left as it is; call [Verify] to check it against the
// declaration. When t declares point-in-time recovery, Create turns it on
// (UpdateContinuousBackups) unless the endpoint does not implement it
// (DynamoDB Local); deletion protection is set on a new table only.
//
// It returns a [*DeclarationError] for an invalid declaration,
// [ErrNoTTLClient] when t declares a TTL attribute and c is no
// [TTLClient], [ErrNoBackupClient] when t declares point-in-time recovery
// and c is no [BackupClient], a [*MismatchError] when Time to Live is enabled on another
// attribute (DynamoDB allows one, and changing it takes disabling it
// first, which is the table owner's call), and the SDK's error, wrapped,
// when a call fails.
func Create(ctx context.Context, c Client, t Table) error {
	in, err := t.CreateTableInput()
	if err != nil {
		return err
	}
	ttl, backup, err := optionalClients(c, t)
	if err != nil {
		return err
	}
	if _, err := c.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("index: create table %q: %w", t.Name, err)
		}
	}
	if err := WaitActive(ctx, c, t.Name); err != nil {
		return err
	}
	if backup != nil {
		if err := enablePITR(ctx, backup, t.Name); err != nil {
			return err
		}
	}
	if ttl == nil {
		return nil
	}
	attr, on, err := liveTTL(ctx, ttl, t.Name)
	switch {
	case err != nil:
		return err
	case on && attr == t.TTL:
		return nil
	case on:
		return &MismatchError{Table: t.Name, Problems: []string{fmt.Sprintf("time to live is on %q; declared %q", attr, t.TTL)}}
	}
	_, err = ttl.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(t.Name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(t.TTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("index: enable time to live on %q of table %q: %w", t.TTL, t.Name, err)
	}
	return nil
}

// liveTTL returns the table's Time to Live attribute and whether it is
// enabled (or being enabled).
func liveTTL(ctx context.Context, c TTLClient, table string) (attr string, on bool, err error) {
	out, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return "", false, fmt.Errorf("index: describe time to live of table %q: %w", table, err)
	}
	d := out.TimeToLiveDescription
	if d == nil {
		return "", false, nil
	}
	on = d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling
	return aws.ToString(d.AttributeName), on, nil
}

// WaitActive polls DescribeTable until the table and all its global indexes
// are ACTIVE, or ctx ends. A table being deleted never becomes active: it
// is an error at once.
func WaitActive(ctx context.Context, c Client, table string) error {
	delay := 50 * time.Millisecond
	for {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				return fmt.Errorf("index: describe table %q: %w", table, err)
			}
		} else if active(out.Table) {
			return nil
		} else if out.Table != nil && out.Table.TableStatus == types.TableStatusDeleting {
			return fmt.Errorf("index: table %q is being deleted", table)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("index: wait for table %q: %w", table, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

func active(d *types.TableDescription) bool {
	if d == nil || d.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range d.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

func asNotFound(err error, target **types.ResourceNotFoundException) bool {
	return errors.As(err, target)
}
