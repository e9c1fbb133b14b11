package ddbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/localaws"
)

// Environment variables that steer the helper.
const (
	// EnvRequire, when true, turns a missing server into a test failure.
	// CI=true does the same.
	EnvRequire = "TABLESTAKES_REQUIRE_SERVERS"
)

const startHint = "start the local servers with `scripts/local-aws.sh start` from the tablestakes repository " +
	"and export what it prints (eval \"$(scripts/local-aws.sh env)\"), or start containers from TestMain " +
	"with github.com/tablestakes/tablestakes/ddbtest/containers where a Docker engine answers"

// DynamoDB returns a client for DynamoDB Local, or skips or fails t as the
// package documentation describes.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	return localaws.DynamoDB(endpoint(t, dynamoService))
}

// Streams returns a DynamoDB Streams client for the same server as [DynamoDB].
func Streams(t testing.TB) *dynamodbstreams.Client {
	t.Helper()
	return localaws.Streams(endpoint(t, dynamoService))
}

// SNS returns an SNS client for the local messaging server.
func SNS(t testing.TB) *sns.Client {
	t.Helper()
	return localaws.SNS(endpoint(t, snsService))
}

// SQS returns an SQS client for the local messaging server. It sends every
// request to the server's endpoint, whatever host a queue URL names.
func SQS(t testing.TB) *sqs.Client {
	t.Helper()
	return localaws.SQS(endpoint(t, sqsService))
}

// S3 returns a path-style S3 client for the local messaging server.
func S3(t testing.TB) *s3.Client {
	t.Helper()
	return localaws.S3(endpoint(t, s3Service))
}

// TableAPI is the part of the DynamoDB API that [Table] uses.
type TableAPI interface {
	index.Client
	DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}

// Table creates a table from decl under a unique name derived from decl.Name
// and the test's name, waits until it is active, and deletes it when t ends.
// It returns the declaration with the unique name. Any failure fails t.
func Table(t testing.TB, c TableAPI, decl index.Table) index.Table {
	t.Helper()
	decl.Name = UniqueName(t, decl.Name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Registered first: Create can fail after creating the table.
	t.Cleanup(func() { deleteTable(t, c, decl.Name) })
	if err := index.Create(ctx, c, decl); err != nil {
		t.Fatalf("ddbtest: create table: %v", err)
	}
	return decl
}

// CreateTable creates a table from a raw CreateTableInput under a unique name
// derived from its TableName, waits until it is active, and deletes it when
// t ends. It returns the unique name.
func CreateTable(t testing.TB, c TableAPI, in *dynamodb.CreateTableInput) string {
	t.Helper()
	cp := *in
	cp.TableName = aws.String(UniqueName(t, aws.ToString(in.TableName)))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.CreateTable(ctx, &cp); err != nil {
		t.Fatalf("ddbtest: create table %s: %v", aws.ToString(cp.TableName), err)
	}
	t.Cleanup(func() { deleteTable(t, c, aws.ToString(cp.TableName)) })
	if err := index.WaitActive(ctx, c, aws.ToString(cp.TableName)); err != nil {
		t.Fatalf("ddbtest: %v", err)
	}
	return aws.ToString(cp.TableName)
}

func deleteTable(t testing.TB, c TableAPI, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		t.Errorf("ddbtest: delete table %s: %v", name, err)
	}
}

// unsafeChars are those SNS topic and SQS queue names refuse; DynamoDB
// allows "." besides, but the names must suit all three.
var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// UniqueName returns a name for a table, topic or queue that no other test
// uses: base, the test's name and a random suffix, within DynamoDB's 255
// characters and SNS's and SQS's 80, using only characters all three allow.
func UniqueName(t testing.TB, base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(base+"-"+t.Name(), "-")
	if len(name) > 70 {
		name = name[:70]
	}
	return strings.Trim(name, "-") + "-" + hex.EncodeToString(b[:])
}

type service int

const (
	dynamoService service = iota
	snsService
	sqsService
	s3Service
)

func (s service) env() string {
	return [...]string{localaws.EnvDynamoDB, localaws.EnvSNS, localaws.EnvSQS, localaws.EnvS3}[s]
}

// String names the service.
func (s service) String() string {
	return [...]string{"DynamoDB", "SNS", "SQS", "S3"}[s]
}

// endpoint resolves a service's endpoint once per test binary.
func endpoint(t testing.TB, s service) string {
	t.Helper()
	if ep := os.Getenv(s.env()); ep != "" {
		return ep
	}
	msg := fmt.Sprintf("ddbtest: no %s server: %s is not set; %s", s, s.env(), startHint)
	if required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func required() bool {
	for _, env := range []string{"CI", EnvRequire} {
		if v, err := strconv.ParseBool(os.Getenv(env)); err == nil && v {
			return true
		}
	}
	return false
}
