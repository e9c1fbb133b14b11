package repository_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/localaws"
	"github.com/tablestakes/tablestakes/repository"
)

// Firm is the model the examples store.
type Firm struct {
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Industry  string `dynamodbav:"industry"`
	Founded   string `dynamodbav:"founded"`
	NameLower string `dynamodbav:"nameLower,omitempty"`
}

var firmsByIndustry = index.AccessPattern{
	Name:       "firms by industry, newest first",
	Index:      "by-industry",
	Descending: true,
	Reads:      []string{"id", "name", "industry", "founded"},
}

// exampleFirms creates a fresh table on DynamoDB Local (DYNAMODB_ENDPOINT,
// as scripts/test.sh sets it) and a repository of Firm in it.
func exampleFirms(opts ...repository.Option) (*repository.Repository[Firm], func()) {
	ep := os.Getenv(localaws.EnvDynamoDB)
	if ep == "" {
		log.Fatal("examples need DynamoDB Local: eval \"$(scripts/local-aws.sh start)\"")
	}
	client := localaws.DynamoDB(ep)
	table := index.Table{
		Name:         fmt.Sprintf("example-firms-%d", time.Now().UnixNano()),
		PartitionKey: index.S("pk"),
		SortKey:      index.S("sk"),
		Indexes: []index.Index{{
			Name:         "by-industry",
			PartitionKey: index.S("industry"),
			SortKey:      index.S("founded"),
			Projection:   index.Include("id", "name"),
		}},
		Patterns: []index.AccessPattern{firmsByIndustry},
	}
	ctx := context.Background()
	if err := index.Create(ctx, client, table); err != nil {
		log.Fatal(err)
	}
	opts = append([]repository.Option{repository.WithKeys("FIRM#{id}", "PROFILE")}, opts...)
	repo, err := repository.New[Firm](client, table, opts...)
	if err != nil {
		log.Fatal(err)
	}
	return repo, func() {
		_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)})
	}
}

func ExampleRepository_Create() {
	firms, cleanup := exampleFirms()
	defer cleanup()
	ctx := context.Background()

	f := Firm{Name: "Acme", Industry: "fintech", Founded: "2019"}
	if err := firms.Create(ctx, &f); err != nil {
		log.Fatal(err)
	}
	got, err := firms.Get(ctx, f.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Name, len(got.ID))

	_, err = firms.Get(ctx, "42")
	fmt.Println(errors.Is(err, repository.ErrInvalidID))
	// Output:
	// Acme 36
	// true
}

func ExampleRepository_Update() {
	firms, cleanup := exampleFirms(
		repository.Derive("nameLower", func(f *Firm) any { return strings.ToLower(f.Name) }, "name"),
	)
	defer cleanup()
	ctx := context.Background()

	f := Firm{Name: "Acme", Industry: "fintech", Founded: "2019"}
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
	firms, cleanup := exampleFirms()
	defer cleanup()
	ctx := context.Background()
	for _, f := range []Firm{{Name: "Acme", Founded: "2019"}, {Name: "Bolt", Founded: "2021"}, {Name: "Cobalt", Founded: "2020"}} {
		f.Industry = "fintech"
		if err := firms.Create(ctx, &f); err != nil {
			log.Fatal(err)
		}
	}

	for f, err := range firms.Query(ctx, firmsByIndustry.Partition("fintech").Where(index.Ge("2020"))) {
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
	firms, cleanup := exampleFirms()
	defer cleanup()
	ctx := context.Background()
	for i := range 5 {
		f := Firm{Name: fmt.Sprint("firm ", i), Industry: "fintech", Founded: fmt.Sprint(2020 + i)}
		if err := firms.Create(ctx, &f); err != nil {
			log.Fatal(err)
		}
	}

	var cursor repository.Cursor // from the previous response; empty for the first page
	for page := 1; ; page++ {
		items, next, err := firms.Page(ctx, firmsByIndustry.Partition("fintech"), cursor, repository.Limit(2))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("page", page, len(items), "items")
		if next == "" {
			break
		}
		cursor = next
	}
	_, _, err := firms.Page(ctx, firmsByIndustry.Partition("fintech"), "edited-cursor")
	fmt.Println(errors.Is(err, repository.ErrInvalidCursor))
	// Output:
	// page 1 2 items
	// page 2 2 items
	// page 3 1 items
	// true
}

func ExampleRepository_Scan() {
	firms, cleanup := exampleFirms()
	defer cleanup()
	for _, err := range firms.Scan(context.Background()) {
		fmt.Println(errors.Is(err, repository.ErrScanDisabled))
	}
	// Output: true
}

// Filing is a child of Firm: a firm's filings grow without bound, so they
// are items of their own in the firm's partition.
type Filing struct {
	ID     string `dynamodbav:"id"`
	FirmID string `dynamodbav:"firmId"`
	Title  string `dynamodbav:"title"`
}

func ExampleWithParent() {
	firms, cleanup := exampleFirms()
	defer cleanup()
	ctx := context.Background()
	filingsOf := index.AccessPattern{Name: "a firm's filings, oldest first", PartitionPrefix: "FIRM#", SortPrefix: "FILING#"}
	table := firms.Table()
	table.Patterns = append(table.Patterns, filingsOf)
	filings, err := repository.New[Filing](firms.Client(), table,
		repository.WithParent("firmId"),
		repository.WithKeys("FIRM#{firmId}", "FILING#{id}"))
	if err != nil {
		log.Fatal(err)
	}

	f := Firm{Name: "Acme", Industry: "fintech", Founded: "2019"}
	if err := firms.Create(ctx, &f); err != nil {
		log.Fatal(err)
	}
	for _, title := range []string{"Annual report 2025", "Q1 2026"} {
		if err := filings.In(f.ID).Create(ctx, &Filing{Title: title}); err != nil {
			log.Fatal(err)
		}
	}
	// One query of the firm's partition reads its filings, not the firm.
	for filing, err := range filings.Query(ctx, filingsOf.Partition(f.ID), repository.ConsistentRead()) {
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
