package index_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
)

// TestDeletionProtection creates a protected table, checks that DynamoDB
// refuses to delete it and that Verify reports a table without it.
func TestDeletionProtection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	decl := index.Table{Name: ddbtest.UniqueName(t, "protected"), PartitionKey: index.S("pk"), DeletionProtection: true}
	in, err := decl.CreateTableInput()
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(in.DeletionProtectionEnabled) {
		t.Fatal("CreateTableInput().DeletionProtectionEnabled is not set")
	}
	if err := index.Create(ctx, client, decl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(decl.Name), DeletionProtectionEnabled: aws.Bool(false)})
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(decl.Name)})
	})
	if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(decl.Name)}); err == nil {
		t.Fatal("DeleteTable of a protected table succeeded")
	}
	if err := index.Verify(ctx, client, decl); err != nil {
		t.Errorf("Verify(protected table) = %v; want nil", err)
	}
	if _, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(decl.Name), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if err := index.Verify(ctx, client, decl); !errors.Is(err, index.ErrTableMismatch) || !strings.Contains(err.Error(), "deletion protection is off") {
		t.Errorf("Verify(protection turned off) = %v; want a mismatch saying so", err)
	}
}

// TestPointInTimeRecovery checks that Create and Verify of a table that
// declares point-in-time recovery work on DynamoDB Local, which does not
// implement the backup operations, and refuse a client without them.
func TestPointInTimeRecovery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	decl := index.Table{Name: "pitr", PartitionKey: index.S("pk"), PointInTimeRecovery: true}
	table := ddbtest.Table(t, client, decl) // index.Create
	if err := index.Verify(ctx, client, table); err != nil {
		t.Errorf("Verify(PITR declared, on DynamoDB Local) = %v; want nil", err)
	}
	if err := index.Verify(ctx, createOnly{client}, table); !errors.Is(err, index.ErrNoBackupClient) {
		t.Errorf("Verify(client without backup operations) = %v; want ErrNoBackupClient", err)
	}
	if err := index.Create(ctx, createOnly{client}, table); !errors.Is(err, index.ErrNoBackupClient) {
		t.Errorf("Create(client without backup operations) = %v; want ErrNoBackupClient", err)
	}
}
