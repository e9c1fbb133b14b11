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
//
// # Keeping up
//
// Each stage works on several things at once, never on two changes of one
// item (one owner table and key) at once, so that an item's changes stay
// in order. A [StreamReader] reads up to [WithReaderConcurrency] shards at
// once (a child only after its parent); [Publisher.Publish] sends up to
// [WithPublisherConcurrency] PublishBatch requests at once; a [Subscriber]
// applies up to [WithSubscriberConcurrency] changes at once, and
// [Subscriber.Receive] receives ahead while it applies. A [Copier] creates
// the copy of an Insert in one write, and is a [Superseder]: of the updates
// of one item the subscriber holds at once — more of them the further it
// falls behind — it applies only the latest, which writes every copied
// attribute as the owner held it then (Removes, and Inserts when Create is
// set, are applied all the same). Handlers must therefore be safe for
// concurrent use.
//
// # Tracing
//
// [WithReaderTracerProvider], [WithPublisherTracerProvider] and
// [WithSubscriberTracerProvider] record spans through the OpenTelemetry API:
// one per batch of stream records handed over, one per PublishBatch
// request (nested in the first when the publisher runs under a reader),
// one per batch of messages received and one per change applied, under
// which a handler's repository calls nest. Without a provider nothing is
// recorded.
//
// # AWS's limits
//
// SNS refuses a message over 262,144 bytes and a PublishBatch whose
// messages together exceed it, counting bodies and message attributes
// (name, data type and value); a PublishBatch takes at most ten entries.
// [Publisher.Publish] splits batches by count and by bytes, counted as SNS
// counts them ([MessageSize]), and refuses a change too large for one
// message ([ErrMessageTooLarge]) before sending anything, so that a stream
// never stalls on a request SNS will refuse every time.
//
// A change larger than that travels through S3 — the claim-check pattern:
// a publisher [WithS3] stores it in a bucket and publishes a pointer
// ([Claim]); a subscriber [WithS3Claims] fetches and checks it before its
// handlers see the change. The objects are not deleted by the library (a
// message may be delivered again for as long as its queue keeps it): a
// lifecycle rule on the bucket is the owner's to set.
//
// A stream of view type NEW_IMAGE or KEYS_ONLY carries a Remove with the
// item's keys only: it is published all the same, and a [Copier] finds the
// copy by its keys (Copier.SourceKey).
//
// # Whom a subscriber trusts
//
// A message names the table it comes from; anyone who can publish to the
// topic, or send to the queue, can name any table. Declare what a
// [Subscriber] accepts ([FromTopics], [FromTables]) and let the queue's
// access policy admit only the topic: anything else is skipped, logged and
// counted ([Subscriber.Counts]), never applied. A change whose order no
// owner can produce (a version past [MaxVersion]) is refused, so that one
// forged message cannot hold a copy for good. Bodies that are not change
// events at all are skipped the same way by every entry point; see
// [Subscriber].
//
// # Scaling past one process
//
// In production, publish from a Lambda function on the table's stream
// ([Publisher.HandleDynamoDBEvent] behind an event source mapping): Lambda
// polls each shard, follows splits, and retries a batch from the first
// record the handler reports failed (FunctionResponseTypes
// ReportBatchItemFailures). Throughput grows with the table's shards and
// with the mapping's ParallelizationFactor (1 to 10 concurrent batches per
// shard; Lambda keeps the changes of one item in order); BatchSize (up to
// 10,000, default 100) and MaximumBatchingWindowInSeconds trade latency
// for fewer, fuller invocations, and the publisher splits whatever it
// gets into PublishBatch requests of ten messages and 256 KiB. Leave
// MaximumRetryAttempts and MaximumRecordAgeInSeconds at -1 (retry until
// the record ages out after 24 hours), or give the mapping an on-failure
// destination: a record dropped otherwise is a change lost. On the
// subscriber side, an SQS event source mapping, or any number of
// processes running [Subscriber.Receive] on the queue, apply changes
// concurrently: the Copier's conditional writes keep the copies right
// whatever the order.
//
// A [StreamReader] is the form for a single long-running process, and for
// DynamoDB Local. It reads every shard itself, so two readers of one
// stream do not share the work: each reads and publishes every change.
// Subscribers absorb the duplicates — the Copier's conditional update
// skips a change applied already — but each one costs an SNS publish, an
// SQS delivery and a failed conditional write (one write capacity unit).
// DynamoDB Streams also throttles more than two readers of a shard. Run a
// second reader only as a standby (with [TableCheckpoints] shared, neither
// moves the other's position back), and move to the Lambda form when one
// process no longer keeps up.
package sync
