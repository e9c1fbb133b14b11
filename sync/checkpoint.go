package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/keyspace"
	"github.com/tablestakes/tablestakes/repository"
)

// Checkpoints keeps how far a [StreamReader] has handed each shard of a
// stream over ([WithCheckpoints]). Implementations must be safe for
// concurrent use.
type Checkpoints interface {
	// Load returns the sequence number of the last record handed over
	// from the shard, or "" when there is none.
	Load(ctx context.Context, streamARN, shardID string) (sequence string, err error)
	// Save records sequence as the last record handed over from the shard.
	Save(ctx context.Context, streamARN, shardID, sequence string) error
}

// TableCheckpoints keeps checkpoints as items of a DynamoDB table (not the
// one whose stream is read): one small item per shard, keyed
// "SYNC-CHECKPOINT#<stream ARN>#<shard id>" (and "SYNC-CHECKPOINT" in the
// sort key, if the table has one). A save never moves a checkpoint back,
// so two readers of one stream cannot undo each other's progress.
type TableCheckpoints struct {
	repo *repository.Repository[checkpoint]
}

// checkpoint is one shard's position. Sequence numbers are decimal strings
// of 21 to 40 digits, leading zeros included; Order holds the sequence
// left-padded to 40 digits, so that DynamoDB's string comparison orders
// positions as numbers.
type checkpoint struct {
	keyspace.Library `dynamodbav:"-"` // kept in the reserved key space

	Shard    string `dynamodbav:"shard"`
	Sequence string `dynamodbav:"sequence"`
	Order    string `dynamodbav:"order"`
}

// NewTableCheckpoints returns checkpoints kept in table, whose key
// attributes must be strings, through client.
func NewTableCheckpoints(client repository.Client, table index.Table) (*TableCheckpoints, error) {
	var sk index.Template
	if !table.SortKey.IsZero() {
		sk = "SYNC-CHECKPOINT"
	}
	repo, err := repository.New[checkpoint](client, table,
		repository.WithNaturalKey("shard"), repository.WithKeys("SYNC-CHECKPOINT#{shard}", sk))
	if err != nil {
		return nil, fmt.Errorf("sync: checkpoints in %s: %w", table.Name, err)
	}
	return &TableCheckpoints{repo: repo}, nil
}

// TableName returns the name of the table the checkpoints are kept in.
func (c *TableCheckpoints) TableName() string { return c.repo.Table().Name }

func shardKey(streamARN, shardID string) string { return streamARN + "#" + shardID }

// Load returns the shard's checkpoint, or "" when there is none.
func (c *TableCheckpoints) Load(ctx context.Context, streamARN, shardID string) (string, error) {
	cp, err := c.repo.Get(ctx, shardKey(streamARN, shardID), repository.ConsistentRead())
	if errors.Is(err, repository.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return cp.Sequence, nil
}

// Save records sequence as the shard's checkpoint, unless a later one is
// saved already.
func (c *TableCheckpoints) Save(ctx context.Context, streamARN, shardID, sequence string) error {
	padded := padSequence(sequence)
	order := expression.Name("order")
	// Plain: a resend after a lost response fails the condition on its own
	// position, which is taken as saved.
	err := c.repo.Put(ctx, &checkpoint{Shard: shardKey(streamARN, shardID), Sequence: sequence, Order: padded},
		repository.If(expression.Or(expression.AttributeNotExists(order), order.LessThan(expression.Value(padded)))),
		repository.RetryUnsafe())
	if errors.Is(err, repository.ErrConditionFailed) {
		return nil // a later position is saved already
	}
	return err
}
