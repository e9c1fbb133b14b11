package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tablestakes/tablestakes/examples/profile"
	"github.com/tablestakes/tablestakes/examples/statistics"
	"github.com/tablestakes/tablestakes/index"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// deployment is both services running, and what they run on.
type deployment struct {
	env          Env
	profileURL   string
	statsURL     string
	bucket       string
	uploadsQueue string
	undo         []func(context.Context) error // in reverse order of setup
	cancel       context.CancelFunc
	loops        sync.WaitGroup
	loopErrs     chan error
	servers      []*http.Server
}

// deploy creates the tables, topic, queues and bucket, and starts the
// services: their HTTP APIs on loopback ports, the profile service's stream
// publisher, and the statistics service's two queue consumers.
func deploy(ctx context.Context, out io.Writer, env Env) (d *deployment, err error) {
	d = &deployment{env: env, loopErrs: make(chan error, 3)}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.stop())
		}
	}()
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Each service's own table, created from its declaration and checked
	// by the service at start-up, with its own clients.
	pn, sn := profile.NamesFor(env.Prefix), statistics.NamesFor(env.Prefix)
	pe, se := env.service("profile"), env.service("statistics")
	profileTable := profile.Table(pn.Table)
	statsTable := statistics.Table(sn.Table)
	// The publisher's stream positions: a table of their own, since
	// writes to the companies table are records of its stream.
	checkpointTable := profile.CheckpointTable(pn.Checkpoints)
	for _, t := range []struct {
		decl  index.Table
		owner *dynamodb.Client
	}{{profileTable, pe.DB}, {statsTable, se.DB}, {checkpointTable, pe.DB}} {
		if err := index.Create(ctx, env.DB, t.decl); err != nil {
			return d, err
		}
		name := t.decl.Name
		d.undo = append(d.undo, func(ctx context.Context) error {
			_, err := env.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
			return err
		})
		if err := index.Verify(ctx, t.owner, t.decl); err != nil {
			return d, err
		}
	}
	desc, err := env.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(profileTable.Name)})
	if err != nil {
		return d, err
	}
	streamARN := aws.ToString(desc.Table.LatestStreamArn)

	// The topic the profile service publishes to, and the statistics
	// service's queue subscribed to it.
	topic, err := env.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(pn.Topic)})
	if err != nil {
		return d, err
	}
	d.undo = append(d.undo, func(ctx context.Context) error {
		_, err := env.SNS.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
		return err
	})
	changesQueue, changesARN, err := d.queue(ctx, sn.Changes)
	if err != nil {
		return d, err
	}
	if _, err := env.SNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(changesARN),
	}); err != nil {
		return d, err
	}

	// The reports bucket, and the queue its notifications go to.
	d.bucket = sn.Bucket
	if _, err := env.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(d.bucket)}); err != nil {
		return d, err
	}
	d.undo = append(d.undo, d.emptyBucket)
	if d.uploadsQueue, _, err = d.queue(ctx, sn.Uploads); err != nil {
		return d, err
	}

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return d, err
	}
	profiles, err := profile.New(pe.DB, profileTable, secret)
	if err != nil {
		return d, err
	}
	stats, err := statistics.New(se.DB, statsTable, se.S3)
	if err != nil {
		return d, err
	}
	if d.profileURL, err = d.serve(profiles.Handler(logger)); err != nil {
		return d, err
	}
	if d.statsURL, err = d.serve(stats.Handler(logger)); err != nil {
		return d, err
	}

	loopCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	// The publisher keeps its stream positions, so a restarted profile
	// service resumes where it stopped.
	checkpoints, err := tssync.NewTableCheckpoints(pe.DB, checkpointTable)
	if err != nil {
		return d, err
	}
	reader := tssync.NewStreamReader(pe.Streams, streamARN, tssync.WithCheckpoints(checkpoints),
		tssync.WithPollInterval(100*time.Millisecond), tssync.WithReaderLogger(logger))
	publisher := profile.NewPublisher(pe.SNS, aws.ToString(topic.TopicArn), tssync.WithPublisherLogger(logger))
	d.loop(func() error { return publisher.PublishStream(loopCtx, reader) })
	subscriber := stats.Subscriber(logger)
	d.loop(func() error {
		return subscriber.Receive(loopCtx, se.SQS, changesQueue, tssync.WithWaitTime(time.Second))
	})
	d.loop(func() error { return stats.ReceiveUploads(loopCtx, se.SQS, d.uploadsQueue, logger) })
	fmt.Fprintf(out, "profile service on %s, statistics service on %s\n", d.profileURL, d.statsURL)
	return d, nil
}

// queue creates an SQS queue, returning its URL and ARN. A message that
// fails is delivered again after a second; after five failures it moves to
// the queue's dead-letter queue, name-dlq, for someone to look at.
func (d *deployment) queue(ctx context.Context, name string) (url, arn string, err error) {
	attrs := map[string]string{string(sqstypes.QueueAttributeNameVisibilityTimeout): "1"}
	if !strings.HasSuffix(name, "-dlq") {
		_, dlq, err := d.queue(ctx, name+"-dlq")
		if err != nil {
			return "", "", err
		}
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, dlq)
	}
	q, err := d.env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", err
	}
	d.undo = append(d.undo, func(ctx context.Context) error {
		_, err := d.env.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
		return err
	})
	got, err := d.env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", err
	}
	return aws.ToString(q.QueueUrl), got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// serve starts h on a loopback port and returns its base URL.
func (d *deployment) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	d.servers = append(d.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// loop runs a background consumer until stop.
func (d *deployment) loop(fn func() error) {
	d.loops.Add(1)
	go func() {
		defer d.loops.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			d.loopErrs <- err
		}
	}()
}

// emptyBucket deletes the bucket's objects, then the bucket.
func (d *deployment) emptyBucket(ctx context.Context) error {
	list, err := d.env.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(d.bucket)})
	if err != nil {
		return err
	}
	for _, o := range list.Contents {
		if _, err := d.env.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(d.bucket), Key: o.Key}); err != nil {
			return err
		}
	}
	_, err = d.env.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(d.bucket)})
	return err
}

// stop stops the consumers and servers and removes what deploy created. It
// returns a consumer's failure, if one failed.
func (d *deployment) stop() error {
	if d.cancel != nil {
		d.cancel()
	}
	d.loops.Wait()
	close(d.loopErrs)
	var errs []error
	for err := range d.loopErrs {
		errs = append(errs, fmt.Errorf("background consumer: %w", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, srv := range d.servers {
		_ = srv.Shutdown(ctx)
	}
	for i := len(d.undo) - 1; i >= 0; i-- {
		if err := d.undo[i](ctx); err != nil {
			errs = append(errs, fmt.Errorf("clean up: %w", err))
		}
	}
	return errors.Join(errs...)
}
