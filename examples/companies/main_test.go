package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tablestakes/tablestakes/ddbtest"
)

// TestRun runs the example end to end against the test servers, so that
// the test command keeps the main job honest.
func TestRun(t *testing.T) {
	t.Parallel()
	env := Env{
		DB:      ddbtest.DynamoDB(t),
		Streams: ddbtest.Streams(t),
		SNS:     ddbtest.SNS(t),
		SQS:     ddbtest.SQS(t),
		S3:      ddbtest.S3(t),
		Prefix:  fmt.Sprintf("test%d", time.Now().UnixNano()),
	}
	var out strings.Builder
	if err := Run(t.Context(), &out, env); err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	for _, want := range []string{
		"409", "tampered cursor: 400", "Bolt, Acme", "Acme Holdings", "412", "2 reports, 6144 bytes", "latest reports, in one query: 2 reports", "deleted Cobalt",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
