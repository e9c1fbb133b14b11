// Package policy derives least-privilege IAM policies from what a service's
// components send: the repositories, stream readers, publishers and
// subscribers it builds report each kind of request they make as an
// [Access] (an action on one table, index, stream, topic, queue or set of
// objects), and [New] turns a service's accesses into one policy document
// that allows exactly those actions on exactly those resources — no "*"
// action, no "*" resource, no Scan unless a repository opted in.
//
// It serves principles 8 and 12 beyond the code: the declarations that say
// how a table is read also say who may read it, and a Scan that the
// repository refuses is not granted either.
//
// # One service, end to end
//
// The profile service reads companies by id and by industry, writes them
// with optimistic locking, and publishes name changes from its stream:
//
//	accesses := slices.Concat(
//		companies.Permissions(repository.MethodGet, repository.MethodQuery,
//			repository.MethodCreate, repository.MethodUpdate, repository.MethodDelete),
//		policy.Verify(companies.Table()),     // index.Verify at start-up
//		reader.Permissions(),                 // dynamodb:GetRecords … on its stream
//		publisher.Permissions(),              // sns:Publish on its topic
//	)
//	doc, err := policy.New(accesses...).Document(policy.Env{}) // CloudFormation references
//
// With a zero [Env] each ARN is a CloudFormation Fn::Sub of
// ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId}, ready for an
// AWS::IAM::ManagedPolicy or a SAM function's Policies; with every field
// of Env set, ARNs are plain strings for `aws iam create-policy`.
//
// Transactions have no IAM action of their own: a TransactWriteItems is
// authorised item by item as PutItem, UpdateItem, DeleteItem and
// ConditionCheckItem on each item's table, and that is what the accesses
// name. PublishBatch is authorised as sns:Publish, DeleteMessageBatch as
// sqs:DeleteMessage and HeadObject as s3:GetObject.
//
// Package policytest records what a service's clients send (an SDK
// middleware) and checks the requests against a policy in tests.
package policy
