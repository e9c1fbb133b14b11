package conditional_test

// Each example stands alone: it makes its client (DynamoDB Local, from
// DYNAMODB_ENDPOINT; in production, dynamodb.NewFromConfig(cfg)), its
// table and its repository, so that it can be copied from the docs page
// and run.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

func ExampleMutate() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := index.Table{Name: "accounts-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk")}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Account struct {
		ID      string `dynamodbav:"id"`
		Name    string `dynamodbav:"name"`
		Balance int    `dynamodbav:"balance"`
		Version int64  `dynamodbav:"version"`
	}
	accounts, err := repository.New[Account](client, table, repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version")) // optimistic locking
	if err != nil {
		log.Fatal(err)
	}
	a := Account{Name: "Ada"}
	if err := accounts.Create(ctx, &a); err != nil {
		log.Fatal(err)
	}

	// Read, modify, write under the version; retried from fresh state on
	// a conflict, and applied once however often responses are lost.
	got, err := conditional.Mutate(ctx, accounts, a.ID, func(a *Account) error {
		a.Balance += 10
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Balance, got.Version)

	// A write from a stale copy is refused, carrying the current item.
	a.Name = "stale"
	err = accounts.Put(ctx, &a)
	var ce *repository.ConditionError
	if errors.Is(err, repository.ErrVersionConflict) && errors.As(err, &ce) {
		cur, _ := accounts.Decode(ce.Item)
		fmt.Println("conflict; current version", cur.Version)
	}
	// Output:
	// 10 2
	// conflict; current version 2
}

func ExampleIncrement() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := index.Table{Name: "accounts-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk")}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Account struct {
		ID    string `dynamodbav:"id"`
		Email string `dynamodbav:"email"`
	}
	type Stats struct {
		ID       string `dynamodbav:"id"`
		Accounts int    `dynamodbav:"accounts"`
	}
	accounts, err := repository.New[Account](client, table, repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithUnique("email"))
	if err != nil {
		log.Fatal(err)
	}
	stats, err := repository.New[Stats](client, table, repository.WithKeys("STATS#{id}", "STATS"))
	if err != nil {
		log.Fatal(err)
	}
	s := Stats{}
	if err := stats.Create(ctx, &s); err != nil {
		log.Fatal(err)
	}

	// An account and the count of accounts, atomically (principle 4 and 7).
	for _, email := range []string{"ada@example.com", "grace@example.com", "ada@example.com"} {
		var tx repository.Tx
		tx.Include(accounts.PlanCreate(ctx, &Account{Email: email}))
		tx.Include(conditional.Increment(ctx, stats, s.ID, "accounts", 1))
		err := tx.Commit(ctx, client)
		var txErr *repository.TxError
		if errors.As(err, &txErr) && errors.Is(err, repository.ErrDuplicate) {
			fmt.Printf("write %d failed: %s is taken\n", txErr.Index, email)
		}
	}
	got, err := stats.Get(ctx, s.ID, repository.ConsistentRead())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Accounts)
	// Output:
	// write 0 failed: ada@example.com is taken
	// 2
}
