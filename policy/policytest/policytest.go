// Package policytest records the requests a service's AWS clients send, as
// the IAM authorisations each needs, and checks them against a
// [policy.Document]: every request allowed, every granted action used, no
// "*" action or resource. Attach a [Recorder] to the service's clients in
// its end-to-end test:
//
//	rec := policytest.NewRecorder(env)
//	db := dynamodb.New(client.Options(), func(o *dynamodb.Options) {
//		o.APIOptions = append(o.APIOptions, rec.Middleware)
//	})
//	... run the service ...
//	for _, problem := range policytest.Check(doc, rec.Requests()) {
//		t.Error(problem)
//	}
package policytest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/tablestakes/tablestakes/policy"
)

// Recorder records the authorisations the requests of the clients it is
// attached to need, with ARNs built for its [policy.Env] (so that a local
// server's own region and account, such as DynamoDB Local's "ddblocal",
// do not matter). It is safe for concurrent use.
type Recorder struct {
	env policy.Env

	mu       sync.Mutex
	requests []policy.Request
	// iterators maps shard iterators to their stream's table, since
	// GetRecords names no stream.
	iterators map[string]string
}

// NewRecorder returns a recorder whose ARNs are in env, whose fields must
// all be set.
func NewRecorder(env policy.Env) *Recorder {
	return &Recorder{env: env, iterators: map[string]string{}}
}

// Middleware adds the recorder to an SDK client's middleware stack; put it
// in the client's APIOptions (any service's).
func (r *Recorder) Middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("tablestakes/policytest",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.record(in.Parameters)
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				r.follow(in.Parameters, out.Result)
			}
			return out, md, err
		}), middleware.After)
}

// Requests returns what was recorded, in order.
func (r *Recorder) Requests() []policy.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

// Reset forgets what was recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = nil
}

func (r *Recorder) add(action string, res policy.Resource) {
	r.requests = append(r.requests, policy.Request{Action: action, Resource: r.env.ARN(res)})
}

func table(name *string) policy.Resource {
	return policy.Resource{Kind: policy.KindTable, Name: tableName(aws.ToString(name))}
}

// tableName returns the name of a table given by name or ARN.
func tableName(s string) string {
	if _, after, ok := strings.Cut(s, ":table/"); ok {
		s, _, _ = strings.Cut(after, "/")
	}
	return s
}

func tableOrIndex(name, ix *string) policy.Resource {
	if aws.ToString(ix) != "" {
		return policy.Resource{Kind: policy.KindIndex, Name: tableName(aws.ToString(name)), Sub: aws.ToString(ix)}
	}
	return table(name)
}

func stream(arn string) policy.Resource {
	return policy.Resource{Kind: policy.KindStream, Name: tableName(arn)}
}

func objects(bucket, key *string) policy.Resource {
	return policy.Resource{Kind: policy.KindObjects, Name: aws.ToString(bucket), Sub: aws.ToString(key)}
}

// last returns what follows the last sep in s.
func last(s, sep string) string { return s[strings.LastIndex(s, sep)+1:] }

func topic(arn *string) policy.Resource {
	return policy.Resource{Kind: policy.KindTopic, Name: last(aws.ToString(arn), ":")}
}

func queue(u *string) policy.Resource {
	name := aws.ToString(u)
	if p, err := url.Parse(name); err == nil {
		name = strings.TrimSuffix(p.Path, "/")
	}
	return policy.Resource{Kind: policy.KindQueue, Name: last(name, "/")}
}

// record notes the authorisations params needs.
func (r *Recorder) record(params any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch in := params.(type) {
	// DynamoDB: one action per operation, on its table or index.
	case *dynamodb.GetItemInput:
		r.add("dynamodb:GetItem", table(in.TableName))
	case *dynamodb.PutItemInput:
		r.add("dynamodb:PutItem", table(in.TableName))
	case *dynamodb.UpdateItemInput:
		r.add("dynamodb:UpdateItem", table(in.TableName))
	case *dynamodb.DeleteItemInput:
		r.add("dynamodb:DeleteItem", table(in.TableName))
	case *dynamodb.QueryInput:
		r.add("dynamodb:Query", tableOrIndex(in.TableName, in.IndexName))
	case *dynamodb.ScanInput:
		r.add("dynamodb:Scan", tableOrIndex(in.TableName, in.IndexName))
	case *dynamodb.BatchGetItemInput:
		for _, name := range sortedKeys(in.RequestItems) {
			r.add("dynamodb:BatchGetItem", table(aws.String(name)))
		}
	case *dynamodb.BatchWriteItemInput:
		for _, name := range sortedKeys(in.RequestItems) {
			r.add("dynamodb:BatchWriteItem", table(aws.String(name)))
		}
	case *dynamodb.TransactWriteItemsInput:
		// Authorised item by item.
		for _, it := range in.TransactItems {
			r.transactItem(it)
		}
	case *dynamodb.TransactGetItemsInput:
		for _, it := range in.TransactItems {
			if it.Get != nil {
				r.add("dynamodb:GetItem", table(it.Get.TableName))
			}
		}
	case *dynamodb.DescribeTableInput:
		r.add("dynamodb:DescribeTable", table(in.TableName))
	case *dynamodb.DescribeTimeToLiveInput:
		r.add("dynamodb:DescribeTimeToLive", table(in.TableName))
	case *dynamodb.DescribeContinuousBackupsInput:
		r.add("dynamodb:DescribeContinuousBackups", table(in.TableName))
	case *dynamodb.CreateTableInput:
		r.add("dynamodb:CreateTable", table(in.TableName))
	case *dynamodb.UpdateTimeToLiveInput:
		r.add("dynamodb:UpdateTimeToLive", table(in.TableName))
	case *dynamodb.DeleteTableInput:
		r.add("dynamodb:DeleteTable", table(in.TableName))
	// DynamoDB Streams.
	case *dynamodbstreams.DescribeStreamInput:
		r.add("dynamodb:DescribeStream", stream(aws.ToString(in.StreamArn)))
	case *dynamodbstreams.GetShardIteratorInput:
		r.add("dynamodb:GetShardIterator", stream(aws.ToString(in.StreamArn)))
	case *dynamodbstreams.GetRecordsInput:
		r.add("dynamodb:GetRecords", stream(r.iterators[aws.ToString(in.ShardIterator)]))
	// SNS: Publish authorises PublishBatch too.
	case *sns.PublishInput:
		r.add("sns:Publish", topic(in.TopicArn))
	case *sns.PublishBatchInput:
		r.add("sns:Publish", topic(in.TopicArn))
	// SQS: the batch operations are authorised as their single forms.
	case *sqs.ReceiveMessageInput:
		r.add("sqs:ReceiveMessage", queue(in.QueueUrl))
	case *sqs.DeleteMessageInput:
		r.add("sqs:DeleteMessage", queue(in.QueueUrl))
	case *sqs.DeleteMessageBatchInput:
		r.add("sqs:DeleteMessage", queue(in.QueueUrl))
	case *sqs.ChangeMessageVisibilityInput:
		r.add("sqs:ChangeMessageVisibility", queue(in.QueueUrl))
	case *sqs.ChangeMessageVisibilityBatchInput:
		r.add("sqs:ChangeMessageVisibility", queue(in.QueueUrl))
	case *sqs.GetQueueAttributesInput:
		r.add("sqs:GetQueueAttributes", queue(in.QueueUrl))
	case *sqs.SendMessageInput:
		r.add("sqs:SendMessage", queue(in.QueueUrl))
	case *sqs.SendMessageBatchInput:
		r.add("sqs:SendMessage", queue(in.QueueUrl))
	// S3: HeadObject is authorised as GetObject.
	case *s3.GetObjectInput:
		r.add("s3:GetObject", objects(in.Bucket, in.Key))
	case *s3.HeadObjectInput:
		r.add("s3:GetObject", objects(in.Bucket, in.Key))
	case *s3.PutObjectInput:
		r.add("s3:PutObject", objects(in.Bucket, in.Key))
	default:
		// Unknown to the recorder: recorded so that a check fails on it.
		r.requests = append(r.requests, policy.Request{Action: fmt.Sprintf("unrecorded:%T", params), Resource: "unknown"})
	}
}

func (r *Recorder) transactItem(it ddbtypes.TransactWriteItem) {
	switch {
	case it.Put != nil:
		r.add("dynamodb:PutItem", table(it.Put.TableName))
	case it.Update != nil:
		r.add("dynamodb:UpdateItem", table(it.Update.TableName))
	case it.Delete != nil:
		r.add("dynamodb:DeleteItem", table(it.Delete.TableName))
	case it.ConditionCheck != nil:
		r.add("dynamodb:ConditionCheckItem", table(it.ConditionCheck.TableName))
	}
}

// follow remembers which stream the shard iterators of a response belong to.
func (r *Recorder) follow(params, result any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch out := result.(type) {
	case *dynamodbstreams.GetShardIteratorOutput:
		if in, ok := params.(*dynamodbstreams.GetShardIteratorInput); ok && out.ShardIterator != nil {
			r.iterators[*out.ShardIterator] = aws.ToString(in.StreamArn)
		}
	case *dynamodbstreams.GetRecordsOutput:
		if in, ok := params.(*dynamodbstreams.GetRecordsInput); ok && out.NextShardIterator != nil {
			r.iterators[*out.NextShardIterator] = r.iterators[aws.ToString(in.ShardIterator)]
			delete(r.iterators, aws.ToString(in.ShardIterator))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Check returns the problems of doc for the recorded requests, one line
// each, none when doc is exactly what they need: a request doc does not
// allow; an action granted on a resource that no request used; a "*" action
// or resource (a wildcard inside an ARN, such as a stream label, is fine);
// a resource that is not a plain ARN string.
func Check(doc policy.Document, requests []policy.Request) []string {
	var problems []string
	seen := map[string]bool{}
	for _, req := range requests {
		if seen[req.String()] {
			continue
		}
		seen[req.String()] = true
		if !doc.Allows(req) {
			problems = append(problems, "not allowed: "+req.String())
		}
	}
	for _, st := range doc.Statement {
		res, ok := st.Resource.(string)
		if !ok {
			problems = append(problems, fmt.Sprintf("resource %v is not a plain ARN: render for a complete policy.Env", st.Resource))
			continue
		}
		if res == "*" {
			problems = append(problems, "a statement grants on resource *")
		}
		for _, act := range st.Action {
			if strings.Contains(act, "*") {
				problems = append(problems, "wildcard action "+act)
				continue
			}
			one := policy.Document{Version: doc.Version, Statement: []policy.Statement{{Effect: "Allow", Action: []string{act}, Resource: res, Condition: st.Condition}}}
			if !slices.ContainsFunc(requests, one.Allows) {
				problems = append(problems, "granted but never used: "+act+" on "+res)
			}
		}
	}
	return problems
}
