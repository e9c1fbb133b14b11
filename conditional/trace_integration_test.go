package conditional_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/repository"
)

// TestSpans reads the spans of a Create with a unique attribute (sent as a
// transaction with its guard) and of a Mutate that retried a conflict.
func TestSpans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &ddbtest.Spans{}
	repo := newAccounts(t, ddbtest.DynamoDB(t), repository.WithTracerProvider(rec))

	a := Account{Name: "traced", Email: "traced@example.com"}
	require.NoError(t, repo.Create(ctx, &a))
	creates := rec.Named("repository.Create")
	require.Len(t, creates, 1)
	c := creates[0]
	require.True(t, c.Ended)
	require.Equal(t, codes.Unset, c.Status)
	require.Equal(t, "aws.dynamodb", c.Attr("db.system.name"))
	require.Contains(t, c.Attr("aws.dynamodb.table_names"), repo.Table().Name)
	require.Equal(t, "Account", c.Attr("tablestakes.entity_type"))
	require.Contains(t, c.Events, "TransactWriteItems", "the item and its guard went in one transaction")

	// A Mutate whose first write loses to a concurrent counter: its span
	// holds the conflict, and the reads and writes nest under it.
	races := 0
	_, err := conditional.Mutate(ctx, repo, a.ID, func(acc *Account) error {
		if races++; races == 1 {
			if _, err := repo.Update(ctx, acc.ID, repository.Add("count", 1)); err != nil {
				return err
			}
		}
		acc.Name = "mutated"
		return nil
	})
	require.NoError(t, err)
	mutates := rec.Named("conditional.Mutate")
	require.Len(t, mutates, 1)
	m := mutates[0]
	require.True(t, m.Ended)
	require.Equal(t, []string{"version conflict: retry"}, m.Events)
	var children []string
	for _, s := range rec.Children(m) {
		children = append(children, s.Name)
	}
	require.Equal(t, []string{"repository.Get", "repository.Put", "repository.Put"}, children)
	puts := rec.Named("repository.Put")
	require.Equal(t, codes.Error, puts[0].Status, "the lost race")
	require.Equal(t, codes.Unset, puts[len(puts)-1].Status)

	// Without a provider nothing is recorded.
	quiet := newAccounts(t, ddbtest.DynamoDB(t))
	n := rec.Len()
	require.NoError(t, quiet.Create(ctx, &Account{Name: "quiet"}))
	require.Equal(t, n, rec.Len())
}
