package repository_test

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
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

func ExampleRepository_Create() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := index.Table{Name: "firms-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk")}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Firm struct {
		ID   string `dynamodbav:"id"`
		Name string `dynamodbav:"name"`
	}
	firms, err := repository.New[Firm](client, table, repository.WithKeys("FIRM#{id}", "PROFILE"))
	if err != nil {
		log.Fatal(err)
	}

	f := Firm{Name: "Acme"}
	if err := firms.Create(ctx, &f); err != nil { // f.ID is a new UUIDv7
		log.Fatal(err)
	}
	got, err := firms.Get(ctx, f.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Name, len(got.ID))

	_, err = firms.Get(ctx, "42") // refused before any request
	fmt.Println(errors.Is(err, repository.ErrInvalidID))
	// Output:
	// Acme 36
	// true
}

func ExampleRepository_Update() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	table := index.Table{Name: "firms-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk")}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Firm struct {
		ID        string `dynamodbav:"id"`
		Name      string `dynamodbav:"name"`
		NameLower string `dynamodbav:"nameLower,omitempty"`
	}
	firms, err := repository.New[Firm](client, table, repository.WithKeys("FIRM#{id}", "PROFILE"),
		// Kept fresh on every write, in the same request (principle 4).
		repository.Derive("nameLower", func(f *Firm) any { return strings.ToLower(f.Name) }, "name"))
	if err != nil {
		log.Fatal(err)
	}

	f := Firm{Name: "Acme"}
	if err := firms.Create(ctx, &f); err != nil {
		log.Fatal(err)
	}
	got, err := firms.Update(ctx, f.ID, repository.Set("name", "ACME Holdings"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s / %s\n", got.Name, got.NameLower)
	// Output: ACME Holdings / acme holdings
}

func ExampleRepository_Query() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	byIndustry := index.AccessPattern{Name: "firms by industry, newest first", Index: "by-industry", Descending: true}
	table := index.Table{
		Name: "firms-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes: []index.Index{{Name: "by-industry", PartitionKey: index.S("industry"), SortKey: index.S("founded")}},
		// A query must name a pattern the table declares (principle 8).
		Patterns: []index.AccessPattern{byIndustry},
	}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Firm struct {
		ID       string `dynamodbav:"id"`
		Name     string `dynamodbav:"name"`
		Industry string `dynamodbav:"industry"`
		Founded  string `dynamodbav:"founded"`
	}
	firms, err := repository.New[Firm](client, table, repository.WithKeys("FIRM#{id}", "PROFILE"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range []Firm{{Name: "Acme", Founded: "2019"}, {Name: "Bolt", Founded: "2021"}, {Name: "Cobalt", Founded: "2020"}} {
		f.Industry = "fintech"
		if err := firms.Create(ctx, &f); err != nil {
			log.Fatal(err)
		}
	}

	for f, err := range firms.Query(ctx, byIndustry.Partition("fintech").Where(index.Ge("2020"))) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(f.Founded, f.Name)
	}
	// Output:
	// 2021 Bolt
	// 2020 Cobalt
}

func ExampleRepository_Page() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	byIndustry := index.AccessPattern{Name: "firms by industry", Index: "by-industry"}
	table := index.Table{
		Name: "firms-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes:  []index.Index{{Name: "by-industry", PartitionKey: index.S("industry"), SortKey: index.S("founded")}},
		Patterns: []index.AccessPattern{byIndustry},
	}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Firm struct {
		ID       string `dynamodbav:"id"`
		Industry string `dynamodbav:"industry"`
		Founded  string `dynamodbav:"founded"`
	}
	// Every process serving the same cursors shares the secret.
	firms, err := repository.New[Firm](client, table, repository.WithKeys("FIRM#{id}", "PROFILE"),
		repository.WithCursorSecret([]byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		log.Fatal(err)
	}
	for i := range 5 {
		if err := firms.Create(ctx, &Firm{Industry: "fintech", Founded: fmt.Sprint(2020 + i)}); err != nil {
			log.Fatal(err)
		}
	}

	var cursor repository.Cursor // from the previous response; empty for the first page
	for page := 1; ; page++ {
		items, next, err := firms.Page(ctx, byIndustry.Partition("fintech"), cursor, repository.Limit(2))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("page", page, len(items), "items")
		if next == "" {
			break
		}
		cursor = next
	}
	_, _, err = firms.Page(ctx, byIndustry.Partition("fintech"), "edited-cursor")
	fmt.Println(errors.Is(err, repository.ErrInvalidCursor))
	// Output:
	// page 1 2 items
	// page 2 2 items
	// page 3 1 items
	// true
}

func ExampleRepository_Scan() {
	type Firm struct {
		ID string `dynamodbav:"id"`
	}
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1"}) // no request is sent
	firms, err := repository.New[Firm](client, index.Table{Name: "firms", PartitionKey: index.S("id")})
	if err != nil {
		log.Fatal(err)
	}
	// Without WithScan, a scan is refused (principle 12).
	for _, err := range firms.Scan(context.Background()) {
		fmt.Println(errors.Is(err, repository.ErrScanDisabled))
	}
	// Output: true
}

func ExampleWithParent() {
	ctx := context.Background()
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("DYNAMODB_ENDPOINT")), // DynamoDB Local
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	// A firm's filings grow without bound: items of their own in the
	// firm's partition (principle 11), read with one query.
	const filingPK, filingSK index.Template = "FIRM#{firmId}", "FILING#{id}"
	filingsOf := index.Children("a firm's filings, oldest first", filingPK, filingSK, false)
	table := index.Table{
		Name: "firms-" + uuid.NewString(), PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Patterns: []index.AccessPattern{filingsOf},
	}
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	defer client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})

	type Firm struct {
		ID   string `dynamodbav:"id"`
		Name string `dynamodbav:"name"`
	}
	type Filing struct {
		ID     string `dynamodbav:"id"`
		FirmID string `dynamodbav:"firmId"`
		Title  string `dynamodbav:"title"`
	}
	firms, err := repository.New[Firm](client, table, repository.WithKeys("FIRM#{id}", "PROFILE"))
	if err != nil {
		log.Fatal(err)
	}
	filings, err := repository.New[Filing](client, table, repository.WithParent("firmId"), repository.WithKeys(filingPK, filingSK))
	if err != nil {
		log.Fatal(err)
	}

	f := Firm{Name: "Acme"}
	if err := firms.Create(ctx, &f); err != nil {
		log.Fatal(err)
	}
	for _, title := range []string{"Annual report 2025", "Q1 2026"} {
		if err := filings.In(f.ID).Create(ctx, &Filing{Title: title}); err != nil {
			log.Fatal(err)
		}
	}
	// In scopes the query to the firm's partition: its filings, not the firm.
	for filing, err := range filings.In(f.ID).Query(ctx, filingsOf.Partition(nil), repository.ConsistentRead()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(filing.Title, filing.FirmID == f.ID)
	}
	// Calls by id need the parent.
	_, err = filings.Get(ctx, "0193a8c2-7a4e-7d3c-9f00-0123456789ab")
	fmt.Println(errors.Is(err, repository.ErrParentRequired))
	// Output:
	// Annual report 2025 true
	// Q1 2026 true
	// true
}
