// Package cli is the tablestakes command for a service's declarations: it
// creates and verifies the service's tables, describes them, and writes
// their CloudFormation template and the service's least-privilege IAM
// policy, all from the same [index.Table] values and [policy.Access] lists
// the service runs with (principles 8 and 12).
//
// A Go binary cannot load another program's declarations, so each service
// builds its own small command — a main package calling [Main] with the
// service's [Declaration] — and cmd/tablestakes is that command for the
// example services:
//
//	func main() {
//		cli.Main(cli.Program{Name: "companies-infra", Prefix: "dev", Services: []cli.Declaration{profile.Declaration}})
//	}
//
// Usage: NAME [-prefix p] [-service s] COMMAND [flags]
//
//	create          create the tables that do not exist, and wait until active
//	verify          check the live tables against the declarations (index.Verify)
//	describe        print the live tables (DescribeTable, DescribeTimeToLive) as JSON
//	cloudformation  print the CloudFormation template of the tables (-format json|yaml, -policy, -name-parameters)
//	policy          print each service's IAM policy (-partition, -region, -account; CloudFormation references for those not given)
//
// Commands that reach DynamoDB use DynamoDB Local when DYNAMODB_ENDPOINT is
// set (as package ddbtest does), and otherwise the AWS SDK's default
// configuration (environment, shared files, instance role). The exit code
// is 0 on success, 1 on a failure (a table that does not match its
// declaration, a failed call) and 2 on a usage error; errors go to
// standard error.
package cli
