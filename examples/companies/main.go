// Command companies runs the example services end to end against DynamoDB
// Local and fauxqs (SNS, SQS, S3), as they would run in production, each
// with its own table and neither calling the other:
//
//   - the profile service (examples/profile) serves companies over HTTP
//     (pattern 1: direct access from a REST API) and publishes name changes
//     from its table's stream to an SNS topic;
//   - the statistics service (examples/statistics) receives those changes
//     from an SQS queue subscribed to the topic and keeps a copy of each
//     company's name (pattern 3: data synchronization between services),
//     and records report files uploaded to S3 from S3's notifications
//     (pattern 2: event-driven updates).
//
// A client then drives both APIs over HTTP and checks what each principle
// promises: generated UUIDs and a unique registration number, optimistic
// locking through ETags, pages with signed cursors, eventually consistent
// copies that follow renames and deletes, and counts kept on upload.
//
// Run it with scripts/run-examples.sh, or with the servers started by hand:
//
//	eval "$(scripts/local-aws.sh start)"
//	go run ./examples/companies
//
// It exits non-zero when anything it shows does not happen.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tablestakes/tablestakes/internal/localaws"
)

// Env holds the clients of the servers the services run against.
type Env struct {
	DB      *dynamodb.Client
	Streams *dynamodbstreams.Client
	SNS     *sns.Client
	SQS     *sqs.Client
	S3      *s3.Client
	// Prefix makes the names of tables, topic, queues and bucket unique:
	// lower-case letters and digits.
	Prefix string
	// Clients, when set, returns the clients the service named ("profile"
	// or "statistics") runs with, such as clients that record what the
	// service sends; the deployment around the services uses the fields
	// above. Without it the services use them too.
	Clients func(service string) Env
}

// service returns the clients the named service runs with.
func (e Env) service(name string) Env {
	if e.Clients == nil {
		return e
	}
	return e.Clients(name)
}

func main() {
	log.SetFlags(0)
	env, err := envFromEnvironment()
	if err != nil {
		log.Fatalf("companies: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := Run(ctx, os.Stdout, env); err != nil {
		log.Fatalf("companies: %v", err)
	}
	fmt.Println("companies: ok")
}

// envFromEnvironment builds the clients from the endpoints that
// scripts/local-aws.sh prints.
func envFromEnvironment() (Env, error) {
	eps := map[string]string{}
	for _, name := range []string{localaws.EnvDynamoDB, localaws.EnvSNS, localaws.EnvSQS, localaws.EnvS3} {
		eps[name] = localaws.Endpoint(name)
		if eps[name] == "" {
			return Env{}, errors.New(name + ` is not set: eval "$(scripts/local-aws.sh start)"`)
		}
	}
	return Env{
		DB:      localaws.DynamoDB(eps[localaws.EnvDynamoDB]),
		Streams: localaws.Streams(eps[localaws.EnvDynamoDB]),
		SNS:     localaws.SNS(eps[localaws.EnvSNS]),
		SQS:     localaws.SQS(eps[localaws.EnvSQS]),
		S3:      localaws.S3(eps[localaws.EnvS3]),
		Prefix:  fmt.Sprintf("ex%d", time.Now().UnixNano()),
	}, nil
}

// Run sets up both services, drives them and tears everything down; it
// writes what happens to out and returns the first expectation not met.
// The services log to out from their own goroutines while the driver
// writes to it, so every write goes through one lock: out need not be safe
// for concurrent use.
func Run(ctx context.Context, out io.Writer, env Env) error {
	out = &lockedWriter{w: out}
	d, err := deploy(ctx, out, env)
	if err != nil {
		return err
	}
	err = drive(ctx, out, d)
	if serr := d.stop(); err == nil {
		err = serr
	}
	return err
}

// lockedWriter serialises writes to w, which may not be safe for
// concurrent use (a strings.Builder, a bytes.Buffer).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
