// Command quickstart runs the company profile access patterns end to end
// against DynamoDB Local: it declares and creates the table, creates
// companies with generated UUIDs, reads, updates (keeping a derived
// attribute fresh), pages through a declared access pattern, shows a
// refused scan and a refused non-UUID id, and reads the change from the
// table's stream.
//
// Start the servers and run it with scripts/run-examples.sh, or by hand:
//
//	eval "$(scripts/local-aws.sh start)"
//	go run ./examples/quickstart
//
// It exits non-zero when anything it shows does not happen.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/localaws"
	"github.com/tablestakes/tablestakes/repository"
)

// Company is the company profile, with what its reads need (principle 2).
type Company struct {
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Industry  string `dynamodbav:"industry"`
	CreatedAt string `dynamodbav:"createdAt"`
	NameLower string `dynamodbav:"nameLower,omitempty"`
}

var byIndustry = index.AccessPattern{
	Name:       "companies by industry, newest first",
	Index:      "by-industry",
	Descending: true,
	Reads:      []string{"id", "name", "industry", "createdAt"},
}

func profiles(name string) index.Table {
	return index.Table{
		Name:         name,
		PartitionKey: index.S("pk"),
		SortKey:      index.S("sk"),
		Indexes: []index.Index{{
			Name:         "by-industry",
			PartitionKey: index.S("industry"),
			SortKey:      index.S("createdAt"),
			Projection:   index.Include("id", "name"),
		}},
		Stream:   types.StreamViewTypeNewAndOldImages,
		Patterns: []index.AccessPattern{byIndustry},
	}
}

func main() {
	log.SetFlags(0)
	if err := run(context.Background()); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
	fmt.Println("quickstart: ok")
}

func run(ctx context.Context) error {
	ep := localaws.Endpoint(localaws.EnvDynamoDB)
	if ep == "" {
		return errors.New(localaws.EnvDynamoDB + ` is not set: eval "$(scripts/local-aws.sh start)"`)
	}
	client := localaws.DynamoDB(ep)
	table := profiles(fmt.Sprintf("quickstart-%d", time.Now().UnixNano()))
	if err := index.Create(ctx, client, table); err != nil {
		return err
	}
	defer client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})
	if err := index.Verify(ctx, client, table); err != nil {
		return err
	}

	companies, err := repository.New[Company](client, table,
		repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.Derive("nameLower", func(c *Company) any { return strings.ToLower(c.Name) }, "name"),
	)
	if err != nil {
		return err
	}

	// Principle 1: ids are generated UUIDs.
	acme := Company{Name: "Acme", Industry: "fintech", CreatedAt: "2026-11-01"}
	if err := companies.Create(ctx, &acme); err != nil {
		return err
	}
	fmt.Printf("created %s with id %s\n", acme.Name, acme.ID)
	for i, name := range []string{"Bolt", "Cobalt", "Delta"} {
		c := Company{Name: name, Industry: "fintech", CreatedAt: fmt.Sprintf("2026-11-%02d", i+2)}
		if err := companies.Create(ctx, &c); err != nil {
			return err
		}
	}

	// Principle 4: the derived attribute follows a partial update.
	updated, err := companies.Update(ctx, acme.ID, repository.Set("name", "ACME Holdings"))
	if err != nil {
		return err
	}
	if updated.NameLower != "acme holdings" {
		return fmt.Errorf("nameLower = %q after update; want %q", updated.NameLower, "acme holdings")
	}
	fmt.Printf("updated name to %q, nameLower %q\n", updated.Name, updated.NameLower)

	// Principle 6: a strongly consistent read is explicit.
	got, err := companies.Get(ctx, acme.ID, repository.ConsistentRead())
	if err != nil {
		return err
	}
	fmt.Printf("read back %q\n", got.Name)

	// Principle 8: pages through a declared access pattern, newest first.
	var names []string
	var cursor repository.Cursor
	for {
		page, next, err := companies.Page(ctx, byIndustry.Partition("fintech"), cursor, repository.Limit(2))
		if err != nil {
			return err
		}
		for _, c := range page {
			names = append(names, c.Name)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	fmt.Printf("fintech companies, newest first: %s\n", strings.Join(names, ", "))
	if want := "Delta, Cobalt, Bolt, ACME Holdings"; strings.Join(names, ", ") != want {
		return fmt.Errorf("query order = %s; want %s", strings.Join(names, ", "), want)
	}

	// Principles 1 and 12: a non-UUID id and a scan are refused before any request.
	if _, err := companies.Get(ctx, "42"); !errors.Is(err, repository.ErrInvalidID) {
		return fmt.Errorf("quickstart: Get(42) = %v; want ErrInvalidID", err)
	}
	for _, err := range companies.Scan(ctx) {
		if !errors.Is(err, repository.ErrScanDisabled) {
			return fmt.Errorf("quickstart: Scan = %v; want ErrScanDisabled", err)
		}
	}
	fmt.Println("refused: a non-UUID id and a scan")

	// Principle 9: the table's stream carries every change.
	n, err := countStreamRecords(ctx, client, localaws.Streams(ep), table.Name)
	if err != nil {
		return err
	}
	fmt.Printf("stream records: %d (4 inserts, 1 modify)\n", n)
	if n != 5 {
		return fmt.Errorf("stream records = %d; want 5", n)
	}
	return nil
}

func countStreamRecords(ctx context.Context, db *dynamodb.Client, streams *dynamodbstreams.Client, table string) (int, error) {
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return 0, err
	}
	sd, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: desc.Table.LatestStreamArn})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, shard := range sd.StreamDescription.Shards {
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: desc.Table.LatestStreamArn, ShardId: shard.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return 0, err
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				return 0, err
			}
			n += len(out.Records)
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return n, nil
}
