package conditional_test

import (
	"os"
	"testing"

	"github.com/tablestakes/tablestakes/ddbtest"
)

// TestMain skips the examples, which need DynamoDB Local, when no server
// is configured, as the tests skip themselves (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }
