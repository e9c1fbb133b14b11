package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MaxClaimSize is the largest change, in bytes of its JSON form, that a
// [Subscriber] fetches from S3 ([WithS3Claims]): 16 MiB. A change holds at
// most two images of a DynamoDB item (400 KB each), well below it; a
// pointer claiming more is refused.
const MaxClaimSize = 16 << 20

// S3PutClient is the part of *s3.Client a [Publisher] with [WithS3] uses.
type S3PutClient interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3GetClient is the part of *s3.Client a [Subscriber] with [WithS3Claims]
// uses.
type S3GetClient interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var (
	_ S3PutClient = (*s3.Client)(nil)
	_ S3GetClient = (*s3.Client)(nil)
)

// Claim says where a change too large for one SNS message was stored: the
// claim-check pattern, which AWS's extended client libraries implement for
// Java and Python. The message carries the change without its images (the
// event, table, keys, version and sequence stay, so filters and trust
// checks work without S3) and this pointer; the object holds the whole
// change in its JSON form ([Change.MarshalJSON]).
type Claim struct {
	// Bucket and Key locate the object.
	Bucket, Key string
	// Size is the object's length in bytes.
	Size int64
	// SHA256 is the hex SHA-256 of the object, checked when it is fetched.
	SHA256 string
}

// claimWire is the JSON form of a Claim in a message.
type claimWire struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// WithS3 makes the publisher store each change whose message would exceed
// [MaxMessageSize] as an object in bucket, under
// prefix + "<table>/<event id>.json", and publish a pointer to it instead
// ([Claim]); subscribers declared [WithS3Claims] fetch it transparently.
// The object is written before the message is published, and written
// again, identical, when publishing is retried.
//
// The library never deletes these objects: a message may be delivered
// again until its queue's retention period ends (up to 14 days, plus the
// dead-letter queue's), and every subscribed queue reads the same object.
// Give the bucket a lifecycle rule that expires the prefix after longer
// than that — that rule, and the bucket's encryption and access policy
// (publisher: s3:PutObject; subscribers: s3:GetObject), are the owner's to
// set.
func WithS3(client S3PutClient, bucket, prefix string) PublisherOption {
	return func(p *Publisher) { p.s3, p.bucket, p.prefix = client, bucket, prefix }
}

// WithS3Claims makes the subscriber fetch the changes published as
// pointers to S3 ([WithS3]) from the buckets named, through client. A
// pointer to another bucket is skipped as untrusted. Without WithS3Claims
// such a change is refused with [ErrClaim], and stays on its queue.
func WithS3Claims(client S3GetClient, buckets ...string) SubscriberOption {
	return func(s *Subscriber) {
		s.s3 = client
		if s.buckets == nil {
			s.buckets = map[string]bool{}
		}
		for _, b := range buckets {
			s.buckets[b] = true
		}
	}
}

// claimKey returns the object key of c's stored form.
func (p *Publisher) claimKey(c Change, body []byte) string {
	name := c.EventID
	if name == "" || strings.ContainsAny(name, "/\\") {
		h := sha256.Sum256(body)
		name = hex.EncodeToString(h[:])
	}
	table := c.Table
	if table == "" {
		table = "unknown-table"
	}
	return p.prefix + table + "/" + name + ".json"
}

// store puts c's JSON form, body, in the publisher's bucket and returns the
// change to publish in its place.
func (p *Publisher) store(ctx context.Context, c Change, body []byte) (Change, error) {
	sum := sha256.Sum256(body)
	claim := &Claim{Bucket: p.bucket, Key: p.claimKey(c, body), Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
	_, err := p.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(claim.Bucket), Key: aws.String(claim.Key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(claim.Size), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return Change{}, fmt.Errorf("sync: store change %s of %s in s3://%s/%s: %w", c.EventID, c.Table, claim.Bucket, claim.Key, err)
	}
	ptr := c
	ptr.Old, ptr.New, ptr.Claim = nil, nil, claim
	return ptr, nil
}

// FetchClaim returns the whole change c points to ([Change.Claim]), read
// from S3 through client and checked against the pointer: its size and
// SHA-256, and the event id, event, table, sequence and version the
// message carries. A change without a Claim is returned as it is. Errors
// match [ErrClaim].
func FetchClaim(ctx context.Context, client S3GetClient, c Change) (Change, error) {
	cl := c.Claim
	if cl == nil {
		return c, nil
	}
	fail := func(format string, args ...any) (Change, error) {
		return Change{}, fmt.Errorf("%w: change %s of %s at s3://%s/%s: %s", ErrClaim, c.EventID, c.Table, cl.Bucket, cl.Key, fmt.Sprintf(format, args...))
	}
	if client == nil {
		return fail("no S3 client to fetch it with (WithS3Claims)")
	}
	if cl.Size < 0 || cl.Size > MaxClaimSize {
		return fail("size %d is beyond %d bytes", cl.Size, MaxClaimSize)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(cl.Bucket), Key: aws.String(cl.Key)})
	if err != nil {
		return fail("%v", err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, cl.Size+1))
	if err != nil {
		return fail("read: %v", err)
	}
	sum := sha256.Sum256(body)
	if int64(len(body)) != cl.Size || hex.EncodeToString(sum[:]) != cl.SHA256 {
		return fail("the object is not the one the message points to (size %d, want %d; or another SHA-256)", len(body), cl.Size)
	}
	var full Change
	if err := full.UnmarshalJSON(body); err != nil {
		return fail("%v", err)
	}
	if full.Claim != nil || full.EventID != c.EventID || full.Event != c.Event || full.Table != c.Table ||
		full.Sequence != c.Sequence || full.Version != c.Version {
		return fail("the stored change is not the one the message describes")
	}
	return full, nil
}

// fetchClaim fetches c's images for the subscriber; untrusted reports a
// pointer to a bucket the subscriber does not accept.
func (s *Subscriber) fetchClaim(ctx context.Context, c Change) (full Change, untrusted bool, err error) {
	if s.s3 != nil && !s.buckets[c.Claim.Bucket] {
		return Change{}, true, nil
	}
	full, err = FetchClaim(ctx, s.s3, c)
	if errors.Is(err, ErrClaim) && s.s3 == nil {
		err = fmt.Errorf("%w; declare the subscriber WithS3Claims", err)
	}
	return full, false, err
}
