package repository_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

type plain struct {
	ID      string `dynamodbav:"id"`
	Email   string `dynamodbav:"email"`
	Version int64  `dynamodbav:"version"`
	Label   string `dynamodbav:"label"`
}

type numericID struct {
	ID int `dynamodbav:"id"`
}

// TestNewRefusesBadModels checks the model and option validation New does
// before any request.
func TestNewRefusesBadModels(t *testing.T) {
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1")})
	pkOnly := index.Table{Name: "t", PartitionKey: index.S("pk")}
	pkSK := index.Table{Name: "t", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes: []index.Index{{Name: "g", PartitionKey: index.S("gpk"), SortKey: index.N("gsk")}}}
	tests := []struct {
		name  string
		new   func() error
		want  error
		valid bool
	}{
		{"defaults", func() error { _, err := repository.New[plain](client, pkOnly); return err }, nil, true},
		{"keys", func() error {
			_, err := repository.New[plain](client, pkSK, repository.WithKeys("P#{id}", "PROFILE"))
			return err
		}, nil, true},
		{"no sort key layout", func() error { _, err := repository.New[plain](client, pkSK); return err }, repository.ErrInvalidModel, false},
		{"sort key layout without sort key", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithKeys("{id}", "X"))
			return err
		}, repository.ErrInvalidModel, false},
		{"key refers to other attribute", func() error {
			_, err := repository.New[plain](client, pkSK, repository.WithKeys("P#{email}", "X"))
			return err
		}, repository.ErrInvalidModel, false},
		{"malformed key template", func() error {
			_, err := repository.New[plain](client, pkSK, repository.WithKeys("P#{id", "X"))
			return err
		}, repository.ErrInvalidModel, false},
		{"no id field", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithID("missing"))
			return err
		}, repository.ErrInvalidModel, false},
		{"numeric id", func() error { _, err := repository.New[numericID](client, pkOnly); return err }, repository.ErrInvalidModel, false},
		{"not a struct", func() error { _, err := repository.New[string](client, pkOnly); return err }, repository.ErrInvalidModel, false},
		{"nil client", func() error { _, err := repository.New[plain](nil, pkOnly); return err }, repository.ErrInvalidModel, false},
		{"invalid table", func() error { _, err := repository.New[plain](client, index.Table{}); return err }, index.ErrInvalidDeclaration, false},
		{"index key not an index key", func() error {
			_, err := repository.New[plain](client, pkSK, repository.WithKeys("P#{id}", "X"), repository.WithIndexKey("nope", "{email}"))
			return err
		}, repository.ErrInvalidModel, false},
		{"composed index key on number key", func() error {
			_, err := repository.New[plain](client, pkSK, repository.WithKeys("P#{id}", "X"), repository.WithIndexKey("gsk", "Y#{email}"))
			return err
		}, repository.ErrInvalidModel, false},
		{"index key", func() error {
			_, err := repository.New[plain](client, pkSK, repository.WithKeys("P#{id}", "X"), repository.WithIndexKey("gpk", "E#{email}"))
			return err
		}, nil, true},
		{"version on string field", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithVersion("label"))
			return err
		}, repository.ErrInvalidModel, false},
		{"version", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithVersion("version"))
			return err
		}, nil, true},
		{"unique id", func() error { _, err := repository.New[plain](client, pkOnly, repository.WithUnique("id")); return err }, repository.ErrInvalidModel, false},
		{"unique key", func() error { _, err := repository.New[plain](client, pkOnly, repository.WithUnique("pk")); return err }, repository.ErrInvalidModel, false},
		{"unique email", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithUnique("email"))
			return err
		}, nil, true},
		{"short cursor secret", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithCursorSecret([]byte("short")))
			return err
		}, repository.ErrInvalidModel, false},
		{"negative bound", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithBound("tags", -1))
			return err
		}, repository.ErrInvalidModel, false},
		{"derive for another model", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.Derive("x", func(*numericID) any { return 1 }, "id"))
			return err
		}, repository.ErrInvalidModel, false},
		{"precompute for another model", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithPrecompute(func(*numericID) error { return nil }))
			return err
		}, repository.ErrInvalidModel, false},
		{"nil precompute", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.WithPrecompute[plain](nil))
			return err
		}, repository.ErrInvalidModel, false},
		{"derive without inputs", func() error {
			_, err := repository.New[plain](client, pkOnly, repository.Derive("x", func(*plain) any { return 1 }))
			return err
		}, repository.ErrInvalidModel, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.new()
			if tt.valid {
				if err != nil {
					t.Fatalf("New() = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("New() = %v; want %v", err, tt.want)
			}
		})
	}
}

// TestChangesAreImmutable checks that deriving two change sets from one
// prefix does not let them share appended operations.
func TestChangesAreImmutable(t *testing.T) {
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1")})
	repo, err := repository.New[plain](client, index.Table{Name: "t", PartitionKey: index.S("pk")})
	if err != nil {
		t.Fatal(err)
	}
	base := repository.Set("label", "a")
	one := base.Set("email", "one@example.com")
	two := base.Remove("email")
	const id = "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	w1, err := repo.PlanUpdate(t.Context(), id, one)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := repo.PlanUpdate(t.Context(), id, two)
	if err != nil {
		t.Fatal(err)
	}
	i1, _ := w1.TransactItem()
	i2, _ := w2.TransactItem()
	if *i1.Update.UpdateExpression == *i2.Update.UpdateExpression {
		t.Errorf("two change sets built from one prefix produced the same update %q", *i1.Update.UpdateExpression)
	}
}

// TestCreateConditions checks the condition a planned Create carries: the
// key must be free, and an If condition is added to that, never lost.
func TestCreateConditions(t *testing.T) {
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1"})
	repo, err := repository.New[plain](client, index.Table{Name: "t", PartitionKey: index.S("pk")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []repository.CallOption
		want string
		keep []string // attribute names the condition refers to
	}{
		{"plain", nil, "attribute_not_exists (#0)", []string{"pk"}},
		{"with If", []repository.CallOption{repository.If(expression.Name("label").Equal(expression.Value("x")))},
			"(attribute_not_exists (#0)) AND (#1 = :0)", []string{"pk", "label"}},
	} {
		for range 2 { // the second Create must not see the first one's condition
			w, err := repo.PlanCreate(t.Context(), &plain{Label: "x"}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ti, err := w.TransactItem()
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(ti.Put.ConditionExpression); got != tc.want {
				t.Errorf("%s: condition %q; want %q", tc.name, got, tc.want)
			}
			var names []string
			for _, n := range ti.Put.ExpressionAttributeNames {
				names = append(names, n)
			}
			slices.Sort(names)
			if want := slices.Sorted(slices.Values(tc.keep)); !slices.Equal(names, want) {
				t.Errorf("%s: names %v; want %v", tc.name, names, tc.keep)
			}
		}
	}
}
