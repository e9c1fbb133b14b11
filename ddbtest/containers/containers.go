// Package containers starts the local AWS servers that
// github.com/tablestakes/tablestakes/ddbtest needs in Docker containers,
// for machines without the servers installed: amazon/dynamodb-local for
// DynamoDB and DynamoDB Streams, LocalStack for SNS, SQS and S3. It is a
// module of its own, so that only the tests that start containers bring
// testcontainers-go and Docker's client into a module graph.
//
// Call [Run] from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(containers.Run(m)) }
//
// Servers whose endpoint variable is already set (DYNAMODB_ENDPOINT,
// SNS_ENDPOINT, SQS_ENDPOINT, S3_ENDPOINT) are used as they are; the others
// are started once for the test binary, their endpoints exported to it, and
// removed when it ends. Without a Docker engine the tests run as ddbtest
// decides: skipped, or failed under CI.
package containers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcdynamodb "github.com/testcontainers/testcontainers-go/modules/dynamodb"
	"github.com/testcontainers/testcontainers-go/modules/localstack"
)

// The container images started.
const (
	DynamoDBImage   = "amazon/dynamodb-local:3.3.1"
	LocalStackImage = "localstack/localstack:4.4"
)

// The endpoint variables ddbtest reads.
const (
	EnvDynamoDB = "DYNAMODB_ENDPOINT"
	EnvSNS      = "SNS_ENDPOINT"
	EnvSQS      = "SQS_ENDPOINT"
	EnvS3       = "S3_ENDPOINT"
)

// Run starts the servers whose endpoint variables are unset, exports their
// endpoints, runs the tests and removes the containers. It returns m.Run's
// exit code. A server that cannot be started (no Docker engine) is
// reported on standard error and left unset.
func Run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	stop, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "containers: %v\n", err)
	}
	defer stop()
	return m.Run()
}

// Start starts the servers whose endpoint variables are unset and sets the
// variables in this process. It returns a function that removes what it
// started, and the errors of the servers it could not start; it never
// panics, even where testcontainers would without a Docker engine.
func Start(ctx context.Context) (stop func(), err error) {
	var started []testcontainers.Container
	stop = func() {
		for _, c := range started {
			_ = testcontainers.TerminateContainer(c)
		}
	}
	var errs []error
	if os.Getenv(EnvDynamoDB) == "" {
		c, ep, err := startDynamoDB(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			started = append(started, c)
			errs = append(errs, os.Setenv(EnvDynamoDB, ep))
		}
	}
	if os.Getenv(EnvSNS) == "" || os.Getenv(EnvSQS) == "" || os.Getenv(EnvS3) == "" {
		c, ep, err := startLocalStack(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			started = append(started, c)
			for _, env := range []string{EnvSNS, EnvSQS, EnvS3} {
				if os.Getenv(env) == "" {
					errs = append(errs, os.Setenv(env, ep))
				}
			}
		}
	}
	return stop, errors.Join(errs...)
}

// dockerHealthy reports whether a Docker engine answers. testcontainers can
// panic when no engine is configured, so the panic is turned into an error.
func dockerHealthy(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker is not available: %v", r)
		}
	}()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("docker is not available: %w", err)
	}
	if err := p.Health(ctx); err != nil {
		return fmt.Errorf("docker is not available: %w", err)
	}
	return nil
}

func startDynamoDB(ctx context.Context) (c testcontainers.Container, ep string, err error) {
	if err := dockerHealthy(ctx); err != nil {
		return nil, "", err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start %s: %v", DynamoDBImage, r)
		}
	}()
	dc, err := tcdynamodb.Run(ctx, DynamoDBImage, tcdynamodb.WithSharedDB(), tcdynamodb.WithDisableTelemetry())
	if err != nil {
		return nil, "", fmt.Errorf("start %s: %w", DynamoDBImage, err)
	}
	hostPort, err := dc.ConnectionString(ctx)
	if err != nil {
		return dc, "", fmt.Errorf("start %s: %w", DynamoDBImage, err)
	}
	return dc, "http://" + hostPort, nil
}

func startLocalStack(ctx context.Context) (c testcontainers.Container, ep string, err error) {
	if err := dockerHealthy(ctx); err != nil {
		return nil, "", err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start %s: %v", LocalStackImage, r)
		}
	}()
	lc, err := localstack.Run(ctx, LocalStackImage)
	if err != nil {
		return nil, "", fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	host, err := lc.Host(ctx)
	if err != nil {
		return lc, "", fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	port, err := lc.MappedPort(ctx, "4566/tcp")
	if err != nil {
		return lc, "", fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	return lc, fmt.Sprintf("http://%s:%s", host, port.Port()), nil
}
