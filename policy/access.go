package policy

import (
	"slices"

	"github.com/tablestakes/tablestakes/index"
)

// Kind is the kind of AWS resource an [Access] is to.
type Kind int

// The kinds of resources, with the ARN each renders to (partition, region
// and account from the [Env]).
const (
	// KindTable is a DynamoDB table: arn:…:dynamodb:…:table/NAME.
	KindTable Kind = iota + 1
	// KindIndex is a table's secondary index:
	// arn:…:dynamodb:…:table/NAME/index/INDEX.
	KindIndex
	// KindStream is a table's stream, whichever its label:
	// arn:…:dynamodb:…:table/NAME/stream/*.
	KindStream
	// KindTopic is an SNS topic: arn:…:sns:…:NAME.
	KindTopic
	// KindQueue is an SQS queue: arn:…:sqs:…:NAME.
	KindQueue
	// KindObjects is the S3 objects of a bucket whose keys match a
	// pattern: arn:…:s3:::BUCKET/PATTERN.
	KindObjects
)

// String returns the kind's name, e.g. "table".
func (k Kind) String() string {
	switch k {
	case KindTable:
		return "table"
	case KindIndex:
		return "index"
	case KindStream:
		return "stream"
	case KindTopic:
		return "topic"
	case KindQueue:
		return "queue"
	case KindObjects:
		return "objects"
	}
	return "unknown"
}

// Resource names one AWS resource; its ARN is built when a policy is
// rendered for an [Env].
type Resource struct {
	// Kind is the kind of resource.
	Kind Kind
	// Name is the table, topic, queue or bucket name.
	Name string
	// Sub is the index name of a [KindIndex] and the key pattern of
	// [KindObjects] ("reports/*"); empty otherwise.
	Sub string
}

// Access is one component's permission to send some actions to one
// resource.
type Access struct {
	// Actions are IAM actions with their service prefix, such as
	// "dynamodb:GetItem" or "sns:Publish".
	Actions []string
	// Resource is what they act on.
	Resource Resource
	// LeadingKeys, when set, limits the access to items whose partition
	// key value matches one of these patterns (the condition
	// ForAllValues:StringLike on dynamodb:LeadingKeys; * and ? are
	// wildcards). For item actions on a table only.
	LeadingKeys []string
}

// TableAccess returns the access to table that the actions need.
func TableAccess(table string, actions ...string) Access {
	return Access{Actions: actions, Resource: Resource{Kind: KindTable, Name: table}}
}

// IndexAccess returns the access to one index of table that the actions
// (Query, Scan) need.
func IndexAccess(table, index string, actions ...string) Access {
	return Access{Actions: actions, Resource: Resource{Kind: KindIndex, Name: table, Sub: index}}
}

// ReadStream returns the access a reader of table's DynamoDB stream needs:
// dynamodb:DescribeStream, GetShardIterator and GetRecords on the table's
// streams. (A Lambda event source mapping needs dynamodb:ListStreams
// too, which takes no resource but "*"; grant it in the function's own
// role, outside this policy.)
func ReadStream(table string) Access {
	return Access{
		Actions:  []string{"dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"},
		Resource: Resource{Kind: KindStream, Name: table},
	}
}

// Publish returns the access a publisher to topic needs: sns:Publish, which
// authorises Publish and PublishBatch.
func Publish(topic string) Access {
	return Access{Actions: []string{"sns:Publish"}, Resource: Resource{Kind: KindTopic, Name: topic}}
}

// Receive returns the access a consumer of queue needs: sqs:ReceiveMessage
// and sqs:DeleteMessage (which authorises DeleteMessageBatch), and any
// extra actions, such as sqs:GetQueueAttributes and
// sqs:ChangeMessageVisibility for a Lambda event source mapping.
func Receive(queue string, extra ...string) Access {
	return Access{
		Actions:  append([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage"}, extra...),
		Resource: Resource{Kind: KindQueue, Name: queue},
	}
}

// GetObjects returns the access that reading the objects of bucket whose
// keys match pattern needs: s3:GetObject, which authorises GetObject and
// HeadObject.
func GetObjects(bucket, pattern string) Access {
	return Access{Actions: []string{"s3:GetObject"}, Resource: Resource{Kind: KindObjects, Name: bucket, Sub: pattern}}
}

// PutObjects returns the access that writing objects to bucket under keys
// matching pattern needs: s3:PutObject.
func PutObjects(bucket, pattern string) Access {
	return Access{Actions: []string{"s3:PutObject"}, Resource: Resource{Kind: KindObjects, Name: bucket, Sub: pattern}}
}

// Verify returns the access that [index.Verify] of t needs:
// dynamodb:DescribeTable, and DescribeTimeToLive when t declares a TTL
// attribute, and DescribeContinuousBackups when it declares point-in-time
// recovery.
func Verify(t index.Table) []Access {
	actions := []string{"dynamodb:DescribeTable"}
	if t.TTL != "" {
		actions = append(actions, "dynamodb:DescribeTimeToLive")
	}
	if t.PointInTimeRecovery {
		actions = append(actions, "dynamodb:DescribeContinuousBackups")
	}
	return []Access{TableAccess(t.Name, actions...)}
}

// sameResource reports whether a and b are to one resource under the same
// conditions.
func sameResource(a, b Access) bool {
	return a.Resource == b.Resource && slices.Equal(a.LeadingKeys, b.LeadingKeys)
}
