package conditional_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/localaws"
	"github.com/tablestakes/tablestakes/repository"
)

// exampleAccounts creates a fresh table on DynamoDB Local and a versioned
// repository of Account with a unique email.
func exampleAccounts() (*dynamodb.Client, *repository.Repository[Account], func()) {
	ep := os.Getenv(localaws.EnvDynamoDB)
	if ep == "" {
		log.Fatal("examples need DynamoDB Local: eval \"$(scripts/local-aws.sh start)\"")
	}
	client := localaws.DynamoDB(ep)
	ctx := context.Background()
	table := accountsTable
	table.Name = fmt.Sprintf("example-accounts-%d", time.Now().UnixNano())
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	repo, err := repository.New[Account](client, table,
		repository.WithKeys("ACCOUNT#{id}", "PROFILE"),
		repository.WithVersion("version"),
		repository.WithUnique("email"))
	if err != nil {
		log.Fatal(err)
	}
	return client, repo, func() {
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})
	}
}

func ExampleMutate() {
	_, accounts, cleanup := exampleAccounts()
	defer cleanup()
	ctx := context.Background()
	a := Account{Name: "Ada", Email: "ada@example.com"}
	if err := accounts.Create(ctx, &a); err != nil {
		log.Fatal(err)
	}

	got, err := conditional.Mutate(ctx, accounts, a.ID, func(a *Account) error {
		a.Count += 10
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Count, got.Version)

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

func ExampleTx() {
	client, accounts, cleanup := exampleAccounts()
	defer cleanup()
	ctx := context.Background()
	taken := Account{Name: "Ada", Email: "ada@example.com"}
	if err := accounts.Create(ctx, &taken); err != nil {
		log.Fatal(err)
	}

	var tx repository.Tx
	tx.Include(accounts.PlanCreate(ctx, &Account{Name: "Grace", Email: "grace@example.com"}))
	tx.Include(accounts.PlanCreate(ctx, &Account{Name: "Imposter", Email: "ada@example.com"}))
	err := tx.Commit(ctx, client)

	var txErr *repository.TxError
	var dup *repository.UniqueError
	if errors.As(err, &txErr) && errors.As(err, &dup) {
		fmt.Printf("write %d failed: %s %s is taken\n", txErr.Index, dup.Attribute, dup.Value)
	}
	// Output: write 1 failed: email ada@example.com is taken
}

func ExampleIncrement() {
	client, accounts, cleanup := exampleAccounts()
	defer cleanup()
	ctx := context.Background()
	a := Account{Name: "Ada"}
	if err := accounts.Create(ctx, &a); err != nil {
		log.Fatal(err)
	}

	var tx repository.Tx
	tx.Include(conditional.Increment(ctx, accounts, a.ID, "count", 3))
	if err := tx.Commit(ctx, client); err != nil {
		log.Fatal(err)
	}
	got, _ := accounts.Get(ctx, a.ID, repository.ConsistentRead())
	fmt.Println(got.Count)
	// Output: 3
}
