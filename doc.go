// Package tablestakes turns the twelve DynamoDB design principles for
// serverless microservices into Go packages that services import. This
// package holds only documentation; the code lives in its subpackages:
//
//   - [github.com/tablestakes/tablestakes/index] declares tables, indexes,
//     projections and named access patterns, creates tables from the
//     declaration and verifies live tables against it (principles 8, 10).
//   - [github.com/tablestakes/tablestakes/repository] provides
//     Repository[T]: generated UUID keys, query-only access through declared
//     patterns, refused scans, derived attributes on every write, item size
//     and growth checks, batches that return their leftovers
//     (principles 1, 2, 4, 5, 6, 10, 11, 12).
//   - [github.com/tablestakes/tablestakes/conditional] adds optimistic
//     locking, typed conditions, transactions and unique attributes
//     (principles 1 and 7).
//   - [github.com/tablestakes/tablestakes/sync] propagates duplicated
//     attributes between services through DynamoDB Streams and SNS
//     (principles 3, 6 and 9).
//   - [github.com/tablestakes/tablestakes/ddbtest] runs your tests against
//     DynamoDB Local and a local SNS/SQS server.
//
// The twelve principles:
//
//  1. Use GUIDs or unique attributes, not incremental ids.
//  2. Don't normalize.
//  3. Duplicates are fine if they are kept in sync.
//  4. Keep precomputed data up to date on every write.
//  5. Keep cross-table relationships few.
//  6. Embrace eventual consistency.
//  7. Build transactions from conditional writes.
//  8. Design tables and indexes around the queries.
//  9. Propagate changes with streams and triggers.
//  10. Mind item sizes and index projections.
//  11. Nest a bounded collection; move an unbounded one to its own items.
//  12. Avoid Scan.
package tablestakes
