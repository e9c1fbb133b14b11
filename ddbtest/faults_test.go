package ddbtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
)

// faultTable creates a table keyed by the string "pk" with a plain client,
// so that creating it goes through no faults.
func faultTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	plain := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, plain, index.Table{Name: "faults", PartitionKey: index.S("pk")})
	return plain, table.Name
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
}

// getItem reads an item with a strongly consistent read; nil if absent.
func getItem(t *testing.T, c *dynamodb.Client, table, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), Key: key(pk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem(%q) = %v; want nil", pk, err)
	}
	return out.Item
}

func putItem(ctx context.Context, c *dynamodb.Client, table, pk string) error {
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(pk)})
	return err
}

var isThrottle = retry.IsErrorThrottles(retry.DefaultThrottles)

func TestDynamoDBWithFaultsRetryer(t *testing.T) {
	t.Parallel()
	var f ddbtest.Faults
	if got := ddbtest.DynamoDBWithFaults(t, &f).Options().Retryer.MaxAttempts(); got != 4 {
		t.Errorf("default MaxAttempts = %d; want 4, the SDK's default for DynamoDB", got)
	}
	raised := ddbtest.DynamoDBWithFaults(t, &f, func(o *dynamodb.Options) { o.RetryMaxAttempts = 10 })
	if got := raised.Options().Retryer.MaxAttempts(); got != 10 {
		t.Errorf("MaxAttempts with RetryMaxAttempts = 10: %d; want 10", got)
	}
}

// TestFaultsErrors checks, for each kind answered without reaching the
// server, the error the SDK returns once its retries are exhausted, and that
// one fault is retried and the write then succeeds.
func TestFaultsErrors(t *testing.T) {
	t.Parallel()
	plain, table := faultTable(t)
	for _, tc := range []struct {
		kind     ddbtest.FaultKind
		as       func(error) bool
		status   int
		code     string
		throttle bool
	}{
		{
			kind:   ddbtest.ProvisionedThroughputExceeded,
			as:     func(err error) bool { var e *types.ProvisionedThroughputExceededException; return errors.As(err, &e) },
			status: 400, code: "ProvisionedThroughputExceededException", throttle: true,
		},
		{
			kind:   ddbtest.Throttling,
			as:     func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) },
			status: 400, code: "ThrottlingException", throttle: true,
		},
		{
			kind:   ddbtest.RequestLimitExceeded,
			as:     func(err error) bool { var e *types.RequestLimitExceeded; return errors.As(err, &e) },
			status: 400, code: "RequestLimitExceeded", throttle: true,
		},
		{
			kind:   ddbtest.InternalServerError,
			as:     func(err error) bool { var e *types.InternalServerError; return errors.As(err, &e) },
			status: 500, code: "InternalServerError",
		},
		{
			kind:   ddbtest.ServiceUnavailable,
			as:     func(err error) bool { var e *smithy.GenericAPIError; return errors.As(err, &e) },
			status: 503, code: "ServiceUnavailable",
		},
	} {
		t.Run(tc.kind.String()+"/exhausted", func(t *testing.T) {
			t.Parallel()
			var f ddbtest.Faults
			client := ddbtest.DynamoDBWithFaults(t, &f)
			attempts := client.Options().Retryer.MaxAttempts()
			f.Script("PutItem", slices.Repeat([]ddbtest.FaultKind{tc.kind}, attempts)...)
			pk := t.Name()
			err := putItem(context.Background(), client, table, pk)
			if !tc.as(err) {
				t.Fatalf("PutItem = %v (%T); want the %s error type", err, err, tc.code)
			}
			var maxErr *retry.MaxAttemptsError
			if !errors.As(err, &maxErr) || maxErr.Attempt != attempts {
				t.Errorf("PutItem = %v; want a *retry.MaxAttemptsError after %d attempts", err, attempts)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Errorf("PutItem error code = %v; want %s", apiErr, tc.code)
			}
			var respErr *smithyhttp.ResponseError
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tc.status {
				t.Errorf("PutItem HTTP status = %v; want %d", respErr, tc.status)
			}
			if got := isThrottle.IsErrorThrottle(err).Bool(); got != tc.throttle {
				t.Errorf("retryer's throttle check = %v; want %v", got, tc.throttle)
			}
			if got := f.Requests("PutItem"); got != attempts {
				t.Errorf("Requests(PutItem) = %d; want %d", got, attempts)
			}
			if got := f.Count("PutItem", tc.kind); got != attempts {
				t.Errorf("Count(PutItem, %s) = %d; want %d", tc.kind, got, attempts)
			}
			if item := getItem(t, plain, table, pk); item != nil {
				t.Errorf("item %q = %v; want none: no attempt reached the server", pk, item)
			}
		})
		t.Run(tc.kind.String()+"/retried", func(t *testing.T) {
			t.Parallel()
			var f ddbtest.Faults
			client := ddbtest.DynamoDBWithFaults(t, &f)
			f.Script("PutItem", tc.kind)
			pk := t.Name()
			if err := putItem(context.Background(), client, table, pk); err != nil {
				t.Fatalf("PutItem = %v; want nil after a retry", err)
			}
			if got := f.Requests("PutItem"); got != 2 {
				t.Errorf("Requests(PutItem) = %d; want 2", got)
			}
			if item := getItem(t, plain, table, pk); item == nil {
				t.Errorf("item %q is missing; want it written by the retry", pk)
			}
		})
	}
}

// TestLostResponse sends writes whose first response is lost after the
// server applied them. The SDK retries each one; what the retry returns,
// and what it does to the item, is what a service sees.
func TestLostResponse(t *testing.T) {
	t.Parallel()
	plain, table := faultTable(t)
	for _, tc := range []struct {
		name string
		op   string
		// write sends the write for item pk.
		write func(ctx context.Context, c *dynamodb.Client, pk string) error
		// check checks the call's error and the item.
		check func(t *testing.T, err error, item map[string]types.AttributeValue)
	}{
		{
			name: "PutItem",
			op:   "PutItem",
			write: func(ctx context.Context, c *dynamodb.Client, pk string) error {
				return putItem(ctx, c, table, pk)
			},
			check: func(t *testing.T, err error, item map[string]types.AttributeValue) {
				if err != nil {
					t.Errorf("PutItem = %v; want nil: the retry puts the same item again", err)
				}
				if item == nil {
					t.Error("item is missing; want it written")
				}
			},
		},
		{
			// The bug the library must fix: a create guarded by
			// attribute_not_exists succeeds, its response is lost, and the
			// SDK's retry fails its own condition. The caller is told the
			// item exists already, though it wrote it.
			name: "PutItem attribute_not_exists",
			op:   "PutItem",
			write: func(ctx context.Context, c *dynamodb.Client, pk string) error {
				_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
					TableName: aws.String(table), Item: key(pk),
					ConditionExpression: aws.String("attribute_not_exists(pk)"),
				})
				return err
			},
			check: func(t *testing.T, err error, item map[string]types.AttributeValue) {
				var ccf *types.ConditionalCheckFailedException
				if !errors.As(err, &ccf) {
					t.Errorf("conditional PutItem = %v; want ConditionalCheckFailedException from the SDK's retry", err)
				}
				if item == nil {
					t.Error("item is missing; want it written by the first attempt")
				}
			},
		},
		{
			// A counter is applied twice: ADD is not idempotent.
			name: "UpdateItem ADD",
			op:   "UpdateItem",
			write: func(ctx context.Context, c *dynamodb.Client, pk string) error {
				_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: aws.String(table), Key: key(pk),
					UpdateExpression:          aws.String("ADD n :one"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
				})
				return err
			},
			check: func(t *testing.T, err error, item map[string]types.AttributeValue) {
				if err != nil {
					t.Errorf("UpdateItem = %v; want nil", err)
				}
				if n, _ := item["n"].(*types.AttributeValueMemberN); n == nil || n.Value != "2" {
					t.Errorf("n = %v; want 2: the lost attempt and the retry both added 1", item["n"])
				}
			},
		},
		{
			// The SDK fills in ClientRequestToken once per call, so its retry
			// sends the same token and DynamoDB answers it as the
			// transaction already applied: the write is applied once.
			name: "TransactWriteItems attribute_not_exists",
			op:   "TransactWriteItems",
			write: func(ctx context.Context, c *dynamodb.Client, pk string) error {
				_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
					TransactItems: []types.TransactWriteItem{{Put: &types.Put{
						TableName: aws.String(table), Item: key(pk),
						ConditionExpression: aws.String("attribute_not_exists(pk)"),
					}}},
				})
				return err
			},
			check: func(t *testing.T, err error, item map[string]types.AttributeValue) {
				if err != nil {
					t.Errorf("TransactWriteItems = %v; want nil: the retry's token matches the applied one", err)
				}
				if item == nil {
					t.Error("item is missing; want it written")
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var f ddbtest.Faults
			client := ddbtest.DynamoDBWithFaults(t, &f)
			f.Script(tc.op, ddbtest.LostResponse)
			pk := t.Name()
			err := tc.write(context.Background(), client, pk)
			tc.check(t, err, getItem(t, plain, table, pk))
			if got := f.Requests(tc.op); got != 2 {
				t.Errorf("Requests(%s) = %d; want 2: the lost attempt and the SDK's retry", tc.op, got)
			}
			if got := f.Count(tc.op, ddbtest.LostResponse); got != 1 {
				t.Errorf("Count(%s, LostResponse) = %d; want 1", tc.op, got)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	plain, table := faultTable(t)
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		wantErr error
		written bool
	}{
		{name: "delayed", timeout: time.Minute, written: true},
		{name: "context done", timeout: 50 * time.Millisecond, wantErr: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const delay = 300 * time.Millisecond
			f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) { o.Latency = delay })
			client := ddbtest.DynamoDBWithFaults(t, f)
			f.Script("PutItem", ddbtest.Latency)
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			pk := t.Name()
			start := time.Now()
			err := putItem(ctx, client, table, pk)
			elapsed := time.Since(start)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("PutItem = %v; want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && elapsed < delay {
				t.Errorf("PutItem took %v; want at least %v", elapsed, delay)
			}
			if tc.wantErr != nil && elapsed >= delay {
				t.Errorf("PutItem took %v; want less than %v: the context ends the delay", elapsed, delay)
			}
			if got := f.Requests("PutItem"); got != 1 {
				t.Errorf("Requests(PutItem) = %d; want 1", got)
			}
			if item := getItem(t, plain, table, pk); (item != nil) != tc.written {
				t.Errorf("item %q written = %v; want %v", pk, item != nil, tc.written)
			}
		})
	}
}

// TestFaultsConcurrent writes from 8 goroutines through random faults and
// checks that the counters add up: every call that succeeded made exactly
// one attempt that was not failed by a fault, and its item is there.
func TestFaultsConcurrent(t *testing.T) {
	t.Parallel()
	plain, table := faultTable(t)
	f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) {
		o.Seed = 7
		o.Rates = map[ddbtest.FaultKind]float64{
			ddbtest.ProvisionedThroughputExceeded: 0.04,
			ddbtest.Throttling:                    0.02,
			ddbtest.InternalServerError:           0.04,
			ddbtest.ServiceUnavailable:            0.04,
			ddbtest.LostResponse:                  0.08,
			ddbtest.Latency:                       0.04,
		}
		o.Operations = ddbtest.WriteOperations()
		o.Latency = 5 * time.Millisecond
	})
	client := ddbtest.DynamoDBWithFaults(t, f)
	const goroutines, perGoroutine = 8, 25
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		succeeded []string
	)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				pk := fmt.Sprintf("g%d-%d", g, i)
				err := putItem(context.Background(), client, table, pk)
				if err != nil {
					var maxErr *retry.MaxAttemptsError
					if !errors.As(err, &maxErr) {
						t.Errorf("PutItem(%s) = %v; want nil or retries exhausted", pk, err)
					}
					continue
				}
				if _, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
					TableName: aws.String(table), Key: key(pk),
				}); err != nil {
					t.Errorf("GetItem(%s) = %v; want nil: reads get no faults", pk, err)
				}
				mu.Lock()
				succeeded = append(succeeded, pk)
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	failed := 0 // attempts a fault failed
	for _, k := range []ddbtest.FaultKind{ddbtest.ProvisionedThroughputExceeded, ddbtest.Throttling,
		ddbtest.InternalServerError, ddbtest.ServiceUnavailable, ddbtest.LostResponse} {
		failed += f.Count("PutItem", k)
	}
	if got, want := f.Requests("PutItem")-failed, len(succeeded); got != want {
		t.Errorf("Requests(PutItem) - faulted = %d; want %d, the calls that succeeded", got, want)
	}
	if got := f.Count("PutItem", ddbtest.LostResponse); got == 0 {
		t.Error("Count(PutItem, LostResponse) = 0; want at least one")
	}
	for k := ddbtest.ProvisionedThroughputExceeded; k <= ddbtest.Latency; k++ {
		if got := f.Count("GetItem", k); got != 0 {
			t.Errorf("Count(GetItem, %s) = %d; want 0: Operations are the writes", k, got)
		}
	}
	if got := f.Requests("GetItem"); got != len(succeeded) {
		t.Errorf("Requests(GetItem) = %d; want %d", got, len(succeeded))
	}
	for _, pk := range succeeded {
		if getItem(t, plain, table, pk) == nil {
			t.Errorf("item %q is missing; want it written", pk)
		}
	}
	t.Logf("%d of %d calls succeeded in %d requests; faults: %s", len(succeeded), goroutines*perGoroutine,
		f.Requests("PutItem"), faultCounts(f, "PutItem"))
}

func faultCounts(f *ddbtest.Faults, op string) string {
	var parts []string
	for k := ddbtest.ProvisionedThroughputExceeded; k <= ddbtest.Latency; k++ {
		parts = append(parts, k.String()+"="+strconv.Itoa(f.Count(op, k)))
	}
	return strings.Join(parts, " ")
}

// roundTripFunc is a stand-in for the server in tests that need none.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (fn roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }

// okServer answers 200 with an empty JSON object and counts what it answered.
type okServer struct {
	mu        sync.Mutex
	forwarded int
}

func (s *okServer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	s.mu.Lock()
	s.forwarded++
	s.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

func request(op string) *http.Request {
	r, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://dynamodb.local/", strings.NewReader(`{"TableName":"t"}`))
	if op != "" {
		r.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	}
	return r
}

// outcome sends a request of op through rt and returns the fault it got,
// told from f's counters, or 0.
func outcome(t *testing.T, f *ddbtest.Faults, rt http.RoundTripper, op string) ddbtest.FaultKind {
	t.Helper()
	before := make([]int, ddbtest.Latency+1)
	for k := ddbtest.ProvisionedThroughputExceeded; k <= ddbtest.Latency; k++ {
		before[k] = f.Count(op, k)
	}
	resp, err := rt.RoundTrip(request(op))
	if err == nil {
		_ = resp.Body.Close()
	}
	for k := ddbtest.ProvisionedThroughputExceeded; k <= ddbtest.Latency; k++ {
		if f.Count(op, k) != before[k] {
			return k
		}
	}
	return 0
}

func TestFaultsScript(t *testing.T) {
	t.Parallel()
	var f ddbtest.Faults
	rt := f.Transport(&okServer{})
	f.Script("PutItem", ddbtest.LostResponse, ddbtest.ProvisionedThroughputExceeded)
	f.Script("", ddbtest.ServiceUnavailable)
	f.Script("PutItem", ddbtest.FaultKind(0), ddbtest.FaultKind(99), ddbtest.InternalServerError)
	for i, want := range []struct {
		op   string
		kind ddbtest.FaultKind
	}{
		{"GetItem", ddbtest.ServiceUnavailable}, // the script for every operation
		{"GetItem", 0},
		{"PutItem", ddbtest.LostResponse},
		{"PutItem", ddbtest.ProvisionedThroughputExceeded},
		{"PutItem", 0}, // FaultKind(0)
		{"PutItem", 0}, // FaultKind(99)
		{"PutItem", ddbtest.InternalServerError},
		{"PutItem", 0},
		{"", 0}, // no X-Amz-Target
	} {
		if got := outcome(t, &f, rt, want.op); got != want.kind {
			t.Errorf("request %d (%s) got %v; want %v", i, want.op, got, want.kind)
		}
	}
	if got := f.Requests("PutItem"); got != 6 {
		t.Errorf("Requests(PutItem) = %d; want 6", got)
	}
	if got := f.Requests(""); got != 9 {
		t.Errorf(`Requests("") = %d; want 9, every operation`, got)
	}
	if got := f.Count("", ddbtest.ServiceUnavailable); got != 1 {
		t.Errorf(`Count("", ServiceUnavailable) = %d; want 1`, got)
	}
	if got := f.Count("PutItem", ddbtest.FaultKind(99)); got != 0 {
		t.Errorf("Count(PutItem, FaultKind(99)) = %d; want 0", got)
	}
}

// TestFaultsResponses checks what each kind hands the SDK, and that the body
// of a request is sent untouched or closed unread.
func TestFaultsResponses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind      ddbtest.FaultKind
		status    int // 0: an error
		forwarded bool
	}{
		{kind: ddbtest.ProvisionedThroughputExceeded, status: 400},
		{kind: ddbtest.Throttling, status: 400},
		{kind: ddbtest.RequestLimitExceeded, status: 400},
		{kind: ddbtest.InternalServerError, status: 500},
		{kind: ddbtest.ServiceUnavailable, status: 503},
		{kind: ddbtest.LostResponse, forwarded: true},
		{kind: ddbtest.Latency, status: 200, forwarded: true},
		{kind: 0, status: 200, forwarded: true},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			t.Parallel()
			const payload = `{"TableName":"t"}`
			var gotBody string
			next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				b, _ := io.ReadAll(r.Body)
				gotBody = string(b)
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
			})
			f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) { o.Latency = time.Millisecond })
			f.Script("PutItem", tc.kind)
			body := &trackedBody{r: strings.NewReader(payload)}
			req := request("PutItem")
			req.Body = body
			resp, err := f.Transport(next).RoundTrip(req)
			if tc.forwarded != (gotBody == payload) {
				t.Errorf("server got body %q; want forwarded = %v", gotBody, tc.forwarded)
			}
			if !tc.forwarded && (body.read || !body.closed) {
				t.Errorf("body read = %v, closed = %v; want closed unread", body.read, body.closed)
			}
			if tc.status == 0 {
				var opErr *net.OpError
				if resp != nil || !errors.As(err, &opErr) || !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("RoundTrip = %v, %v; want a *net.OpError wrapping ECONNRESET", resp, err)
				}
				if got := (retry.RetryableConnectionError{}).IsErrorRetryable(err); got != aws.TrueTernary {
					t.Errorf("RetryableConnectionError(%v) = %v; want true", err, got)
				}
				return
			}
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("RoundTrip = %v, %v; want status %d", resp, err, tc.status)
			}
			b, _ := io.ReadAll(resp.Body)
			if tc.status != 200 && !strings.Contains(string(b), `"__type":"com.amazonaws.dynamodb.v20120810#`) {
				t.Errorf("body = %s; want a DynamoDB error body", b)
			}
		})
	}
}

type trackedBody struct {
	r            io.Reader
	read, closed bool
}

func (b *trackedBody) Read(p []byte) (int, error) { b.read = true; return b.r.Read(p) }
func (b *trackedBody) Close() error               { b.closed = true; return nil }

// TestFaultsRandom checks that random faults are a function of the seed and
// each operation's own order of requests, keep to their operations, and
// come at about their rates.
func TestFaultsRandom(t *testing.T) {
	t.Parallel()
	rates := map[ddbtest.FaultKind]float64{
		ddbtest.ProvisionedThroughputExceeded: 0.08,
		ddbtest.InternalServerError:           0.04,
		ddbtest.ServiceUnavailable:            0.04,
		ddbtest.LostResponse:                  0.08,
	}
	// run sends n requests of each operation in ops, interleaved, and
	// returns the faults each operation got, in order.
	run := func(seed int64, n int, ops ...string) map[string][]ddbtest.FaultKind {
		f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) {
			o.Seed = seed
			o.Rates = rates
			o.Operations = ddbtest.WriteOperations()
		})
		rt := f.Transport(&okServer{})
		got := make(map[string][]ddbtest.FaultKind)
		for range n {
			for _, op := range ops {
				got[op] = append(got[op], outcome(t, f, rt, op))
			}
		}
		return got
	}
	const n = 2000
	a := run(1, n, "PutItem", "GetItem", "UpdateItem")
	b := run(1, n, "PutItem", "GetItem", "UpdateItem")
	alone := run(1, n, "PutItem")
	other := run(2, n, "PutItem")
	for _, op := range []string{"PutItem", "UpdateItem"} {
		if !slices.Equal(a[op], b[op]) {
			t.Errorf("%s faults differ between two runs with seed 1; want the same", op)
		}
	}
	if !slices.Equal(a["PutItem"], alone["PutItem"]) {
		t.Error("PutItem faults differ when other operations interleave; want the same")
	}
	if slices.Equal(a["PutItem"], other["PutItem"]) {
		t.Error("PutItem faults are the same with seeds 1 and 2; want different")
	}
	if slices.Equal(a["PutItem"], a["UpdateItem"]) {
		t.Error("PutItem and UpdateItem faults are the same; want a sequence each")
	}
	if i := slices.IndexFunc(a["GetItem"], func(k ddbtest.FaultKind) bool { return k != 0 }); i >= 0 {
		t.Errorf("GetItem request %d got %v; want no faults outside Operations", i, a["GetItem"][i])
	}
	for kind, rate := range rates {
		got := float64(count(a["PutItem"], kind)) / n
		// Four standard deviations of a binomial proportion.
		if tol := 4 * math.Sqrt(rate*(1-rate)/n); math.Abs(got-rate) > tol {
			t.Errorf("%s rate = %.3f; want %.3f ± %.3f", kind, got, rate, tol)
		}
	}
}

func count(kinds []ddbtest.FaultKind, kind ddbtest.FaultKind) int {
	n := 0
	for _, k := range kinds {
		if k == kind {
			n++
		}
	}
	return n
}

// TestFaultsOddInput checks that no input panics.
func TestFaultsOddInput(t *testing.T) {
	t.Parallel()
	f := ddbtest.NewFaults(nil, func(o *ddbtest.FaultOptions) {
		o.Rates = map[ddbtest.FaultKind]float64{
			ddbtest.FaultKind(-1): 1, ddbtest.Throttling: math.NaN(), ddbtest.InternalServerError: -3,
			ddbtest.ServiceUnavailable: math.Inf(1), ddbtest.LostResponse: 2,
		}
		o.Latency = -time.Second
	})
	rt := f.Transport(nil)
	if got := outcome(t, f, rt, "PutItem"); got != ddbtest.ServiceUnavailable {
		t.Errorf("with an infinite ServiceUnavailable rate, got %v; want ServiceUnavailable", got)
	}
	var nilFaults *ddbtest.Faults
	nilFaults.Script("PutItem", ddbtest.LostResponse)
	if got := nilFaults.Requests("PutItem") + nilFaults.Count("PutItem", ddbtest.LostResponse); got != 0 {
		t.Errorf("nil Faults counts %d; want 0", got)
	}
	next := &okServer{}
	if got := nilFaults.Transport(next); got != next {
		t.Errorf("nil Faults' Transport = %v; want next itself", got)
	}
	for _, k := range []ddbtest.FaultKind{-1, 0, 8, math.MaxInt} {
		if s := k.String(); !strings.HasPrefix(s, "FaultKind(") {
			t.Errorf("FaultKind(%d).String() = %q; want FaultKind(n)", int(k), s)
		}
	}
}

// TestFaultsConcurrentCounters hammers one Faults from 8 goroutines (run it
// with -race) and checks that requests, faults and forwarded requests add up.
func TestFaultsConcurrentCounters(t *testing.T) {
	t.Parallel()
	f := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) {
		o.Rates = map[ddbtest.FaultKind]float64{ddbtest.Throttling: 0.1, ddbtest.LostResponse: 0.1, ddbtest.Latency: 0.1}
		o.Latency = time.Microsecond
	})
	server := &okServer{}
	rt := f.Transport(server)
	const goroutines, perGoroutine = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				op := [...]string{"PutItem", "UpdateItem"}[(g+i)%2]
				if i%50 == 0 {
					f.Script(op, ddbtest.InternalServerError)
				}
				if resp, err := rt.RoundTrip(request(op)); err == nil {
					_ = resp.Body.Close()
				}
				_ = f.Count(op, ddbtest.Throttling)
			}
		})
	}
	wg.Wait()
	if got := f.Requests(""); got != goroutines*perGoroutine {
		t.Errorf(`Requests("") = %d; want %d`, got, goroutines*perGoroutine)
	}
	notSent := f.Count("", ddbtest.Throttling) + f.Count("", ddbtest.InternalServerError)
	if got, want := server.forwarded, f.Requests("")-notSent; got != want {
		t.Errorf("forwarded = %d; want %d, the requests not answered by a fault", got, want)
	}
	if got := f.Count("", ddbtest.InternalServerError); got != goroutines*perGoroutine/50 {
		t.Errorf("Count(InternalServerError) = %d; want %d scripted", got, goroutines*perGoroutine/50)
	}
}

// ExampleFaults loses the response to a PutItem once and answers its retry
// with a 500: the SDK retries both, and the third attempt succeeds. A
// stand-in server answers every request; in a test of your service, use
// [ddbtest.DynamoDBWithFaults] for DynamoDB Local.
func ExampleFaults() {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, "{}")
	}))
	defer server.Close()

	var faults ddbtest.Faults
	faults.Script("PutItem", ddbtest.LostResponse, ddbtest.InternalServerError)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("id", "secret", ""),
		HTTPClient:   &http.Client{Transport: faults.Transport(nil)},
	})

	_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String("companies"),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "COMPANY#1"}},
	})
	fmt.Println("PutItem:", err)
	fmt.Println("requests:", faults.Requests("PutItem"))
	fmt.Println("lost responses:", faults.Count("PutItem", ddbtest.LostResponse))
	fmt.Println("500s:", faults.Count("PutItem", ddbtest.InternalServerError))
	// Output:
	// PutItem: <nil>
	// requests: 3
	// lost responses: 1
	// 500s: 1
}
