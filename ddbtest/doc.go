// Package ddbtest runs tests against real local AWS servers: DynamoDB Local
// for tables, streams and transactions, and an SNS/SQS/S3 server (fauxqs or
// LocalStack) for the sync helper. Import it in your own service's tests.
//
// Each client function resolves its server in this order:
//
//  1. an endpoint from the environment: DYNAMODB_ENDPOINT (DynamoDB and
//     DynamoDB Streams), SNS_ENDPOINT, SQS_ENDPOINT, S3_ENDPOINT, as printed
//     by `scripts/local-aws.sh start` in the tablestakes repository;
//  2. otherwise the test is skipped with a message saying how to start the
//     servers — unless CI or TABLESTAKES_REQUIRE_SERVERS is set to a true
//     value, in which case the test fails: a CI run never skips silently.
//
// Containers are a module of their own, so that the library's users who
// never start one do not have testcontainers and Docker's client in their
// module graph: github.com/tablestakes/tablestakes/ddbtest/containers
// starts amazon/dynamodb-local and LocalStack from TestMain where a Docker
// engine answers, and sets the endpoint variables above for the test
// binary:
//
//	func TestMain(m *testing.M) { os.Exit(containers.Run(m)) }
//
// Clients use static dummy credentials and region us-east-1; they never read
// real AWS credentials. [Table] creates a uniquely named table from an
// [index.Table] declaration and deletes it when the test ends, so tests can
// run in parallel against one shared server; [Subscribe] does the same for
// an SNS topic with an SQS queue subscribed to it, for tests of services
// that publish or receive change events.
//
//	func TestCompanies(t *testing.T) {
//		client := ddbtest.DynamoDB(t)
//		table := ddbtest.Table(t, client, profiles) // profiles is an index.Table
//		repo, err := repository.New[Company](client, table, repository.WithKeys("COMPANY#{id}", "PROFILE"))
//		...
//	}
//
// [Faults] puts real faults between a client and DynamoDB Local:
// throttling, 500s and 503s as DynamoDB sends them, latency, and responses
// lost after the server applied the write, scripted per operation or random
// by rate with a seed, and counted. [DynamoDBWithFaults] returns a client
// that goes through them with the SDK's default retryer:
//
//	faults := ddbtest.NewFaults()
//	client := ddbtest.DynamoDBWithFaults(t, faults)
//	faults.Script("PutItem", ddbtest.LostResponse) // applied, then the SDK retries
package ddbtest
