package sync_test

// The whole file is the example: the subscriber's side of keeping a
// duplicate in sync (principles 3 and 6).

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// Ledger is the subscriber's item in the examples: the billing service
// keeps a copy of the firm's name next to its own attributes.
type Ledger struct {
	ID        string `dynamodbav:"id"`
	FirmName  string `dynamodbav:"firmName"`
	Balance   int    `dynamodbav:"balance"`
	SyncOrder string `dynamodbav:"syncOrder"`
}

// firmChange returns the change that leaves the firm id at version v with
// name, as a Publisher sends it.
func firmChange(ev tssync.Event, id string, v int64, name string) tssync.Change {
	img := map[string]types.AttributeValue{
		"pk":      &types.AttributeValueMemberS{Value: "FIRM#" + id},
		"id":      &types.AttributeValueMemberS{Value: id},
		"name":    &types.AttributeValueMemberS{Value: name},
		"version": &types.AttributeValueMemberN{Value: fmt.Sprint(v)},
	}
	return tssync.Change{
		EventID: fmt.Sprintf("%s-v%d", ev, v), Event: ev, Table: "firms", Version: v,
		Keys: map[string]types.AttributeValue{"pk": img["pk"]}, New: img,
	}
}

// The subscriber side: a Copier keeps the firm's name on the billing
// service's ledger. It creates the ledger for a new firm, leaves the
// service's own attributes alone, and skips a change that arrives late or
// twice.
func ExampleCopier() {
	ctx := context.Background()
	// DynamoDB Local; in production, dynamodb.NewFromConfig(cfg).
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := index.Table{Name: fmt.Sprintf("example-ledgers-%d", time.Now().UnixNano()), PartitionKey: index.S("pk")}
	if err := index.Create(ctx, db, table); err != nil {
		log.Fatal(err)
	}
	defer db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})
	ledgers, err := repository.New[Ledger](db, table, repository.WithKeys("LEDGER#{id}", ""))
	if err != nil {
		log.Fatal(err)
	}

	copier := &tssync.Copier[Ledger]{
		Repo:       ledgers,
		Table:      "firms",
		Attributes: map[string]string{"name": "firmName"},
		Create: func(_ context.Context, c tssync.Change) (*Ledger, error) {
			var f struct {
				ID string `dynamodbav:"id"`
			}
			if err := c.Decode(&f); err != nil {
				return nil, err
			}
			return &Ledger{ID: f.ID}, nil
		},
	}
	sub := tssync.NewSubscriber(copier)

	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	for i, c := range []tssync.Change{
		firmChange(tssync.Insert, id, 1, "Acme"),
		firmChange(tssync.Modify, id, 3, "Acme Holdings"),
		firmChange(tssync.Modify, id, 2, "Acme Ltd"),      // late: version 3 is applied
		firmChange(tssync.Modify, id, 3, "Acme Holdings"), // delivered twice
	} {
		body, err := json.Marshal(c) // the message as the publisher sends it
		if err != nil {
			log.Fatal(err)
		}
		if err := sub.HandleMessage(ctx, string(body)); err != nil {
			log.Fatal(err)
		}
		if i == 0 {
			// The billing service's own write to its ledger.
			if _, err := ledgers.Update(ctx, id, repository.Add("balance", 100)); err != nil {
				log.Fatal(err)
			}
		}
		var f struct {
			Name string `dynamodbav:"name"`
		}
		if err := c.Decode(&f); err != nil {
			log.Fatal(err)
		}
		l, err := ledgers.Get(ctx, id, repository.ConsistentRead())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s v%d %q: copy %q, balance %d\n", c.Event, c.Version, f.Name, l.FirmName, l.Balance)
	}
	// Output:
	// INSERT v1 "Acme": copy "Acme", balance 100
	// MODIFY v3 "Acme Holdings": copy "Acme Holdings", balance 100
	// MODIFY v2 "Acme Ltd": copy "Acme Holdings", balance 100
	// MODIFY v3 "Acme Holdings": copy "Acme Holdings", balance 100
}
