package index_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
)

func ExampleTable_CreateTableInput() {
	profiles := index.Table{
		Name:         "company-profile",
		PartitionKey: index.S("pk"),
		SortKey:      index.S("sk"),
		Indexes: []index.Index{{
			Name:         "by-industry",
			PartitionKey: index.S("industry"),
			SortKey:      index.S("createdAt"),
			Projection:   index.Include("id", "name"),
		}},
		Stream: types.StreamViewTypeNewAndOldImages,
	}
	in, err := profiles.CreateTableInput()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(in.TableName), in.BillingMode)
	g := in.GlobalSecondaryIndexes[0]
	fmt.Println(aws.ToString(g.IndexName), g.Projection.ProjectionType, g.Projection.NonKeyAttributes)
	fmt.Println(in.StreamSpecification.StreamViewType)
	// Output:
	// company-profile PAY_PER_REQUEST
	// by-industry INCLUDE [id name]
	// NEW_AND_OLD_IMAGES
}

func ExampleAccessPattern_Partition() {
	byIndustry := index.AccessPattern{
		Name:            "companies by industry, newest first",
		Index:           "by-industry",
		Descending:      true,
		PartitionPrefix: "INDUSTRY#",
	}
	table := index.Table{
		Name: "company-profile", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes:  []index.Index{{Name: "by-industry", PartitionKey: index.S("gsi1pk"), SortKey: index.S("gsi1sk")}},
		Patterns: []index.AccessPattern{byIndustry},
	}

	q := byIndustry.Partition("fintech").Where(index.BeginsWith("2026-"))
	kc, err := q.KeyCondition(table)
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := expression.NewBuilder().WithKeyCondition(kc).Build()
	fmt.Println(aws.ToString(e.KeyCondition()))
	fmt.Println(e.Names()["#0"], e.Values()[":0"].(*types.AttributeValueMemberS).Value)
	// Output:
	// (#0 = :0) AND (begins_with (#1, :1))
	// gsi1pk INDUSTRY#fintech
}

func ExampleTable_Compare() {
	// At start-up, a service checks that the live table still matches what
	// its code declares; here the live table lacks the declared index.
	declared := index.Table{
		Name: "company-profile", PartitionKey: index.S("pk"),
		Indexes: []index.Index{{Name: "by-industry", PartitionKey: index.S("industry")}},
	}
	liveTable := &types.TableDescription{
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	}
	for _, p := range declared.Compare(liveTable) {
		fmt.Println(p)
	}
	// Output: global index "by-industry" is missing
}
