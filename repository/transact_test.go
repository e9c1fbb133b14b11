package repository_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// cancels answers every TransactWriteItems call with the next scripted
// outcome, recording the tokens it was sent. It tests how cancellations are
// mapped to errors and retried; what DynamoDB does is tested against
// DynamoDB Local in the conditional package.
type cancels struct {
	outcomes []error
	tokens   []string
}

func (c *cancels) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.tokens = append(c.tokens, aws.ToString(in.ClientRequestToken))
	if len(c.outcomes) == 0 {
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	err := c.outcomes[0]
	c.outcomes = c.outcomes[1:]
	return nil, err
}

func canceled(codes ...string) error {
	reasons := make([]types.CancellationReason, len(codes))
	for i, code := range codes {
		reasons[i] = types.CancellationReason{Code: aws.String(code), Message: aws.String(code + " message")}
	}
	return &types.TransactionCanceledException{Message: aws.String("canceled"), CancellationReasons: reasons}
}

func TestTransactErrorMapping(t *testing.T) {
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1"})
	repo, err := repository.New[plain](client, index.Table{Name: "t", PartitionKey: index.S("pk")}, repository.WithVersion("version"))
	if err != nil {
		t.Fatal(err)
	}
	const id1, id2 = "0193a8c2-7a4e-7d3c-9f00-000000000001", "0193a8c2-7a4e-7d3c-9f00-000000000002"
	plan := func() []*repository.Write {
		w1, err := repo.PlanUpdate(t.Context(), id1, repository.Set("label", "a"), repository.IfVersion(3))
		if err != nil {
			t.Fatal(err)
		}
		w2, err := repo.PlanDelete(t.Context(), id2, repository.IfVersion(1))
		if err != nil {
			t.Fatal(err)
		}
		return []*repository.Write{w1, w2}
	}
	tests := []struct {
		name     string
		outcomes []error
		attempts int
		index    int
		reason   string
		is       []error
		sends    int
	}{
		{"condition on the second", []error{canceled("None", "ConditionalCheckFailed")}, 4, 1, "ConditionalCheckFailed",
			[]error{repository.ErrTransactionCanceled, repository.ErrConditionFailed}, 1},
		{"condition beats conflict", []error{canceled("TransactionConflict", "ConditionalCheckFailed")}, 4, 1, "ConditionalCheckFailed",
			[]error{repository.ErrConditionFailed}, 1},
		{"conflicts are retried", []error{canceled("TransactionConflict", "None"), canceled("None", "TransactionConflict")}, 4, -1, "", nil, 3},
		{"conflicts until attempts run out", []error{canceled("TransactionConflict"), canceled("TransactionConflict"), canceled("TransactionConflict")}, 2, 0, "TransactionConflict",
			[]error{repository.ErrTransactionConflict, repository.ErrTransactionCanceled}, 2},
		{"throttling", []error{canceled("None", "ThrottlingError")}, 4, 1, "ThrottlingError",
			[]error{repository.ErrThrottled}, 1},
		{"validation", []error{canceled("ValidationError", "None")}, 4, 0, "ValidationError",
			[]error{repository.ErrTransactionCanceled}, 1},
		{"in progress is retried", []error{&types.TransactionInProgressException{Message: aws.String("busy")}}, 4, -1, "", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cancels{outcomes: tt.outcomes}
			err := commit(t.Context(), c, plan(), repository.Attempts(tt.attempts), repository.Token("tok"))
			if len(c.tokens) != tt.sends {
				t.Errorf("sent %d times; want %d", len(c.tokens), tt.sends)
			}
			for _, tok := range c.tokens {
				if tok != "tok" {
					t.Errorf("sent token %q; want the same token on every attempt", tok)
				}
			}
			if tt.index < 0 {
				if err != nil {
					t.Fatalf("Transact = %v; want nil after retries", err)
				}
				return
			}
			var te *repository.TxError
			if !errors.As(err, &te) {
				t.Fatalf("Transact = %v; want *TxError", err)
			}
			if te.Index != tt.index || te.Reason != tt.reason {
				t.Errorf("TxError index %d reason %q; want %d %q", te.Index, te.Reason, tt.index, tt.reason)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
		})
	}
}

func TestTransactRefusesBeforeSending(t *testing.T) {
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1"})
	repo, err := repository.New[plain](client, index.Table{Name: "t", PartitionKey: index.S("pk")})
	if err != nil {
		t.Fatal(err)
	}
	const id = "0193a8c2-7a4e-7d3c-9f00-000000000001"
	w1, _ := repo.PlanDelete(t.Context(), id)
	w2, _ := repo.PlanUpdate(t.Context(), id, repository.Add("n", 1))
	for name, call := range map[string]func(c *cancels) error{
		"no writes":  func(c *cancels) error { return commit(t.Context(), c, nil) },
		"same item":  func(c *cancels) error { return commit(t.Context(), c, []*repository.Write{w1, w2}) },
		"nil write":  func(c *cancels) error { return commit(t.Context(), c, []*repository.Write{nil}) },
		"nil client": func(c *cancels) error { return commit(t.Context(), nil, []*repository.Write{w1}) },
		"token too long": func(c *cancels) error {
			return commit(t.Context(), c, []*repository.Write{w1}, repository.Token(string(make([]byte, 37))))
		},
	} {
		c := &cancels{}
		err := call(c)
		var te *repository.TxError
		if !errors.Is(err, repository.ErrInvalidTransaction) || !errors.As(err, &te) || !te.Refused {
			t.Errorf("%s: Transact = %v; want a refused *TxError", name, err)
		}
		if len(c.tokens) != 0 {
			t.Errorf("%s: sent %d requests; want 0", name, len(c.tokens))
		}
		if msg := err.Error(); strings.Count(msg, "repository:") != 1 || !strings.HasPrefix(msg, "repository: transaction refused: ") {
			t.Errorf("%s: message %q; want one \"repository: transaction refused: \" prefix and the reason", name, msg)
		}
	}
}

// commit sends writes as one transaction through a Tx.
func commit(ctx context.Context, client repository.TransactWriteItemsAPI, writes []*repository.Write, opts ...repository.CallOption) error {
	var tx repository.Tx
	for _, w := range writes {
		tx.Include(w, nil)
	}
	return tx.Commit(ctx, client, opts...)
}
