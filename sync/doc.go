// Package sync keeps duplicated attributes consistent between services
// (principles 3, 6 and 9): a stream consumer turns DynamoDB Streams records
// of an owner table into change events and publishes them to SNS, and a
// subscriber applies them, idempotently and tolerant of reordering, to the
// copies in its own tables.
//
// The name matches the design card and shadows the standard library's sync
// package; import it under a name that reads well at the call site, e.g.
//
//	import tssync "github.com/tablestakes/tablestakes/sync"
//
// Its implementation is tracked in its own issue and lands after the
// repository and conditional packages, whose write path carries the version
// numbers it relies on.
package sync
