// Package sync keeps attributes duplicated between services consistent
// (principles 3, 6 and 9): the owner's DynamoDB stream becomes change
// events on an SNS topic, and each subscribing service applies them to the
// copies in its own tables. Neither service calls the other.
//
// The name follows the design card and shadows the standard library's sync
// package; import it under a name that reads well next to it:
//
//	import tssync "github.com/tablestakes/tablestakes/sync"
//
// # Owner side: stream to SNS
//
// A [Publisher] publishes [Change] values, one SNS message per change, in
// the JSON form of [Change.MarshalJSON] (images in DynamoDB JSON).
// [WithAttributes] limits it to the changes subscribers care about and cuts
// the images down to those attributes; [WithVersionAttribute] carries the
// owner item's optimistic-locking version, which orders changes exactly.
// In Lambda, [Publisher.HandleDynamoDBEvent] is the stream handler; in a
// long-running process, or against DynamoDB Local, a [StreamReader] follows
// the stream's shards and [Publisher.PublishStream] publishes what it reads;
// with [WithCheckpoints] ([TableCheckpoints]) a restarted process resumes
// where the last one stopped.
//
// # Subscriber side: SNS to the copies
//
// A [Subscriber] receives the changes from an SQS queue subscribed to the
// topic ([Subscriber.Receive], or [Subscriber.HandleSQSEvent] in Lambda) and
// applies them through [Handler] values. A [Copier] is the handler for
// duplicated attributes: it writes the copied attributes onto the
// subscriber's item with a conditional update keyed on [Change.Order], so a
// change applies once, and never over a later one, however SNS and SQS
// duplicate or reorder messages (principle 6: the copy is eventually
// consistent with the owner).
//
// Delivery is at least once from end to end: a change that fails to publish
// is handed over again, a message that fails to apply stays on its queue
// (and goes to the queue's dead-letter queue after its maxReceiveCount).
package sync
