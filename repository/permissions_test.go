package repository_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/policy"
	"github.com/tablestakes/tablestakes/repository"
)

type permModel struct {
	ID    string `dynamodbav:"id"`
	Email string `dynamodbav:"email"`
	Kind  string `dynamodbav:"kind"`
}

func TestPermissions(t *testing.T) {
	table := index.Table{
		Name: "things", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes: []index.Index{{Name: "by-kind", PartitionKey: index.S("kind")}, {Name: "unused", PartitionKey: index.S("email")}},
		Patterns: []index.AccessPattern{
			{Name: "by kind", Index: "by-kind"},
			{Name: "a partition", PartitionPrefix: "THING#"},
		},
	}
	offline := dynamodb.New(dynamodb.Options{})
	build := func(opts ...repository.Option) *repository.Repository[permModel] {
		r, err := repository.New[permModel](offline, table, append([]repository.Option{repository.WithKeys("THING#{id}", "THING")}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	plain, unique, scan := build(), build(repository.WithUnique("email")), build(repository.WithScan())
	for _, c := range []struct {
		name    string
		repo    *repository.Repository[permModel]
		methods []repository.Method
		want    string
	}{
		{"get", plain, []repository.Method{repository.MethodGet}, "[table things [dynamodb:GetItem]]"},
		{"query", plain, []repository.Method{repository.MethodQuery},
			"[table things [dynamodb:Query] index things/by-kind [dynamodb:Query]]"},
		{"update reads back", plain, []repository.Method{repository.MethodUpdate}, "[table things [dynamodb:GetItem dynamodb:UpdateItem]]"},
		{"plan update", plain, []repository.Method{repository.MethodPlanUpdate}, "[table things [dynamodb:UpdateItem]]"},
		{"unique delete", unique, []repository.Method{repository.MethodDelete}, "[table things [dynamodb:DeleteItem dynamodb:GetItem]]"},
		{"scan refused", plain, []repository.Method{repository.MethodScan}, "[]"},
		{"scan opted in", scan, []repository.Method{repository.MethodScan}, "[table things [dynamodb:Scan]]"},
		{"all, no scan", plain, nil, "[table things [dynamodb:BatchGetItem dynamodb:BatchWriteItem dynamodb:ConditionCheckItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem] index things/by-kind [dynamodb:Query]]"},
	} {
		if got := show(c.repo.Permissions(c.methods...)); got != c.want {
			t.Errorf("%s: Permissions(%v) = %s; want %s", c.name, c.methods, got, c.want)
		}
	}
}

func show(as []policy.Access) string {
	s := "["
	for i, a := range as {
		if i > 0 {
			s += " "
		}
		name := a.Resource.Name
		if a.Resource.Sub != "" {
			name += "/" + a.Resource.Sub
		}
		s += fmt.Sprintf("%s %s %v", a.Resource.Kind, name, a.Actions)
	}
	return s + "]"
}
