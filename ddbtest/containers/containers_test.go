package containers_test

import (
	"context"
	"os"
	"testing"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/ddbtest/containers"
	"github.com/tablestakes/tablestakes/index"
)

func TestMain(m *testing.M) { os.Exit(containers.Run(m)) }

// TestServersAnswer creates a table on whatever DynamoDB the binary has:
// one set in the environment, or the container Run started. Without
// either, ddbtest skips it (or fails it under CI).
func TestServersAnswer(t *testing.T) {
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, index.Table{Name: "containers", PartitionKey: index.S("pk")})
	if err := index.Verify(context.Background(), client, table); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// TestStartKeepsSetEndpoints: a server whose variable is set is not started.
func TestStartKeepsSetEndpoints(t *testing.T) {
	for _, env := range []string{containers.EnvDynamoDB, containers.EnvSNS, containers.EnvSQS, containers.EnvS3} {
		t.Setenv(env, "http://127.0.0.1:1")
	}
	stop, err := containers.Start(context.Background())
	defer stop()
	if err != nil {
		t.Fatalf("Start with every endpoint set = %v; want nil, nothing started", err)
	}
	if got := os.Getenv(containers.EnvDynamoDB); got != "http://127.0.0.1:1" {
		t.Errorf("%s = %q; want it kept", containers.EnvDynamoDB, got)
	}
}
