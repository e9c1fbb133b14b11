package repository_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

func ExampleRepository_BatchGet() {
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
		ID       string `dynamodbav:"id"`
		Name     string `dynamodbav:"name"`
		Industry string `dynamodbav:"industry"`
	}
	firms, err := repository.New[Firm](client, table, repository.WithKeys("FIRM#{id}", "PROFILE"))
	if err != nil {
		log.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"Acme", "Bolt", "Cobalt"} {
		f := Firm{Name: name, Industry: "fintech"}
		if err := firms.Create(ctx, &f); err != nil {
			log.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	absent := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"

	// The items come in the order asked, each once, absent ones left out;
	// a projection still reads the id.
	got, err := firms.BatchGet(ctx, []string{ids[2], absent, ids[0], ids[2]}, repository.Project("name"))
	if err != nil {
		// An invalid id sends nothing. A *BatchError says what was not
		// delivered: its UnprocessedKeys were not read, its Undecoded could
		// not be decoded as Firm; got holds every other item.
		log.Fatal(err)
	}
	for i, f := range got {
		fmt.Println(f.Name, f.ID == []string{ids[2], ids[0]}[i], f.Industry == "")
	}
	// Output:
	// Cobalt true true
	// Acme true true
}
