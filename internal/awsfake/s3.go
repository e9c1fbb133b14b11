package awsfake

import (
	"bytes"
	"context"
	"io"
	stdsync "sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3 is an in-memory S3 for PutObject and GetObject. Buckets exist once
// [S3.CreateBucket] made them. The zero value is ready; it is safe for
// concurrent use.
type S3 struct {
	mu      stdsync.Mutex
	buckets map[string]map[string][]byte
}

// CreateBucket creates the bucket name.
func (s *S3) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = map[string]map[string][]byte{}
	}
	if s.buckets[name] == nil {
		s.buckets[name] = map[string][]byte{}
	}
}

// Object returns the object's bytes, or nil.
func (s *S3) Object(bucket, key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buckets[bucket][key]
}

// SetObject replaces an object's bytes, as another writer might.
func (s *S3) SetObject(bucket, key string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket][key] = b
}

// PutObject stores the object.
func (s *S3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.buckets[aws.ToString(in.Bucket)]
	if bk == nil {
		return nil, &s3types.NoSuchBucket{Message: aws.String("no bucket " + aws.ToString(in.Bucket))}
	}
	bk[aws.ToString(in.Key)] = b
	return &s3.PutObjectOutput{}, nil
}

// GetObject returns the object.
func (s *S3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.buckets[aws.ToString(in.Bucket)]
	if bk == nil {
		return nil, &s3types.NoSuchBucket{Message: aws.String("no bucket " + aws.ToString(in.Bucket))}
	}
	b, ok := bk[aws.ToString(in.Key)]
	if !ok {
		return nil, &s3types.NoSuchKey{Message: aws.String("no key " + aws.ToString(in.Key))}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ContentLength: aws.Int64(int64(len(b)))}, nil
}
