package ddbtest

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/tablestakes/tablestakes/internal/localaws"
)

// Main runs a package's tests as [DynamoDB] and its siblings treat them:
// call it from TestMain when the package has Example functions that need
// the local servers, which, unlike tests, cannot skip themselves.
//
//	func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }
//
// When DYNAMODB_ENDPOINT is unset, and neither CI nor
// TABLESTAKES_REQUIRE_SERVERS is true, it skips the package's examples
// (adding ^Example to -skip) and says so on standard error; tests that need
// a server skip themselves through ddbtest. Under CI nothing is skipped, and
// the examples fail as they should. It returns m.Run's exit code.
func Main(m *testing.M) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	if os.Getenv(localaws.EnvDynamoDB) == "" && !required() {
		skip := "^Example"
		if f := flag.Lookup("test.skip"); f != nil && f.Value.String() != "" {
			skip = f.Value.String() + "|" + skip
		}
		if err := flag.Set("test.skip", skip); err == nil {
			fmt.Fprintf(os.Stderr, "ddbtest: examples skipped: %s is not set; %s\n", localaws.EnvDynamoDB, startHint)
		}
	}
	return m.Run()
}
