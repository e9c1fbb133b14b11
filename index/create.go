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
// its indexes are active, or ctx ends. An existing table is left as it is;
// call [Verify] to check it against the declaration.
//
// It returns a [*DeclarationError] for an invalid declaration, and the SDK's
// error, wrapped, when a call fails.
func Create(ctx context.Context, c Client, t Table) error {
	in, err := t.CreateTableInput()
	if err != nil {
		return err
	}
	if _, err := c.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("index: create table %q: %w", t.Name, err)
		}
	}
	return WaitActive(ctx, c, t.Name)
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
