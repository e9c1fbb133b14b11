package policy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/policy"
)

var aws = policy.Env{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}

func TestDocument(t *testing.T) {
	p := policy.New(
		policy.TableAccess("orders", "dynamodb:PutItem", "dynamodb:GetItem"),
		policy.TableAccess("orders", "dynamodb:GetItem", "dynamodb:Query"),
		policy.IndexAccess("orders", "by-customer", "dynamodb:Query"),
		policy.ReadStream("orders"),
		policy.Publish("changes"),
		policy.Receive("inbox"),
		policy.GetObjects("bucket", "claims/*"),
	)
	doc, err := p.Document(aws)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(doc)
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:eu-west-1:123456789012:table/orders"},` +
		`{"Effect":"Allow","Action":["dynamodb:Query"],"Resource":"arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/by-customer"},` +
		`{"Effect":"Allow","Action":["dynamodb:DescribeStream","dynamodb:GetRecords","dynamodb:GetShardIterator"],"Resource":"arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/*"},` +
		`{"Effect":"Allow","Action":["sns:Publish"],"Resource":"arn:aws:sns:eu-west-1:123456789012:changes"},` +
		`{"Effect":"Allow","Action":["sqs:DeleteMessage","sqs:ReceiveMessage"],"Resource":"arn:aws:sqs:eu-west-1:123456789012:inbox"},` +
		`{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket/claims/*"}]}`
	if string(got) != want {
		t.Errorf("Document =\n%s\nwant\n%s", got, want)
	}
	// Fields left to CloudFormation are pseudo parameters in an Fn::Sub.
	cf, err := p.Document(policy.Env{Partition: "aws"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cf.Statement[0].Resource)
	if want := `{"Fn::Sub":"arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"}`; string(b) != want {
		t.Errorf("Resource with a partial Env = %s; want %s", b, want)
	}
}

func TestDocumentRefuses(t *testing.T) {
	for name, a := range map[string]policy.Access{
		"wildcard action": policy.TableAccess("t", "dynamodb:*"),
		"no prefix":       policy.TableAccess("t", "GetItem"),
		"no actions":      policy.TableAccess("t"),
		"no name":         policy.TableAccess("", "dynamodb:GetItem"),
		"wildcard name":   policy.TableAccess("*", "dynamodb:GetItem"),
		"no index name":   policy.IndexAccess("t", "", "dynamodb:Query"),
		"keys on a topic": {Actions: []string{"sns:Publish"}, Resource: policy.Resource{Kind: policy.KindTopic, Name: "x"}, LeadingKeys: []string{"a"}},
	} {
		_, err := policy.New(a).Document(aws)
		var ae *policy.AccessError
		if !errors.Is(err, policy.ErrInvalidAccess) || !errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "policy: ") {
			t.Errorf("%s: Document = %v; want an *AccessError", name, err)
		}
	}
	if _, err := policy.New().Document(aws); !errors.Is(err, policy.ErrEmpty) {
		t.Errorf("Document of no access = %v; want ErrEmpty", err)
	}
}

func TestAllows(t *testing.T) {
	scoped := policy.TableAccess("users", "dynamodb:GetItem")
	scoped.LeadingKeys = []string{"USER#*"}
	doc, err := policy.New(
		policy.TableAccess("orders", "dynamodb:PutItem"),
		policy.ReadStream("orders"),
		policy.GetObjects("b", "claims/*"),
		scoped,
	).Document(aws)
	if err != nil {
		t.Fatal(err)
	}
	const ddb = "arn:aws:dynamodb:eu-west-1:123456789012:table/"
	for _, c := range []struct {
		req  policy.Request
		want bool
	}{
		{policy.Request{Action: "dynamodb:PutItem", Resource: ddb + "orders"}, true},
		{policy.Request{Action: "dynamodb:putitem", Resource: ddb + "orders"}, true},
		{policy.Request{Action: "dynamodb:PutItem", Resource: ddb + "orders-archive"}, false},
		{policy.Request{Action: "dynamodb:DeleteItem", Resource: ddb + "orders"}, false},
		{policy.Request{Action: "dynamodb:PutItem", Resource: ddb + "orders/index/x"}, false},
		{policy.Request{Action: "dynamodb:GetRecords", Resource: ddb + "orders/stream/2026-11-30T00:00:00.000"}, true},
		{policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/claims/t/1.json"}, true},
		{policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/other/1.json"}, false},
		{policy.Request{Action: "dynamodb:GetItem", Resource: ddb + "users", LeadingKeys: []string{"USER#1"}}, true},
		{policy.Request{Action: "dynamodb:GetItem", Resource: ddb + "users", LeadingKeys: []string{"ADMIN#1"}}, false},
	} {
		if got := doc.Allows(c.req); got != c.want {
			t.Errorf("Allows(%v, keys %q) = %v; want %v", c.req, c.req.LeadingKeys, got, c.want)
		}
	}
	if cf, _ := policy.New(policy.TableAccess("orders", "dynamodb:PutItem")).Document(policy.Env{}); cf.Allows(policy.Request{Action: "dynamodb:PutItem", Resource: ddb + "orders"}) {
		t.Error("a document of CloudFormation references allows a request")
	}
}

func TestVerify(t *testing.T) {
	got := policy.Verify(index.Table{Name: "t", PartitionKey: index.S("pk"), TTL: "exp", PointInTimeRecovery: true})
	if len(got) != 1 || strings.Join(got[0].Actions, ",") != "dynamodb:DescribeTable,dynamodb:DescribeTimeToLive,dynamodb:DescribeContinuousBackups" {
		t.Errorf("Verify = %+v", got)
	}
}
