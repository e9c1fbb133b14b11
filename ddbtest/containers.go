package ddbtest

import (
	"context"
	"fmt"

	"github.com/testcontainers/testcontainers-go"
	tcdynamodb "github.com/testcontainers/testcontainers-go/modules/dynamodb"
	"github.com/testcontainers/testcontainers-go/modules/localstack"
)

// Container images used when no endpoint is given and Docker answers.
const (
	DynamoDBImage   = "amazon/dynamodb-local:3.3.1"
	LocalStackImage = "localstack/localstack:4.4"
)

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

func startDynamoDB(ctx context.Context) (ep string, err error) {
	if err := dockerHealthy(ctx); err != nil {
		return "", err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start %s: %v", DynamoDBImage, r)
		}
	}()
	c, err := tcdynamodb.Run(ctx, DynamoDBImage, tcdynamodb.WithSharedDB(), tcdynamodb.WithDisableTelemetry())
	if err != nil {
		return "", fmt.Errorf("start %s: %w", DynamoDBImage, err)
	}
	hostPort, err := c.ConnectionString(ctx)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", DynamoDBImage, err)
	}
	return "http://" + hostPort, nil
}

func startLocalStack(ctx context.Context) (ep string, err error) {
	if err := dockerHealthy(ctx); err != nil {
		return "", err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start %s: %v", LocalStackImage, r)
		}
	}()
	c, err := localstack.Run(ctx, LocalStackImage)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	host, err := c.Host(ctx)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	port, err := c.MappedPort(ctx, "4566/tcp")
	if err != nil {
		return "", fmt.Errorf("start %s: %w", LocalStackImage, err)
	}
	return fmt.Sprintf("http://%s:%s", host, port.Port()), nil
}
