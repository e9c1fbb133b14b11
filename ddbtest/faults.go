package ddbtest

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/internal/localaws"
)

// FaultKind is a fault that [Faults] injects into one request.
type FaultKind int

// The kinds of fault. The first five answer the request as DynamoDB would,
// with an awsJson 1.0 error body, without sending it to the server: nothing
// is written. [LostResponse] sends the request, so the write is applied,
// and then loses the response. [Latency] delays the request and then sends it.
const (
	// ProvisionedThroughputExceeded answers HTTP 400 with
	// ProvisionedThroughputExceededException, DynamoDB's throttling of a
	// table or index. The SDK returns it as
	// *types.ProvisionedThroughputExceededException and retries it as a
	// throttle (backoff from 1s).
	ProvisionedThroughputExceeded FaultKind = iota + 1
	// Throttling answers HTTP 400 with ThrottlingException (*types.ThrottlingException),
	// retried as a throttle.
	Throttling
	// RequestLimitExceeded answers HTTP 400 with RequestLimitExceeded
	// (*types.RequestLimitExceeded), the account's throughput limit, retried
	// as a throttle.
	RequestLimitExceeded
	// InternalServerError answers HTTP 500 with InternalServerError
	// (*types.InternalServerError), retried.
	InternalServerError
	// ServiceUnavailable answers HTTP 503 with ServiceUnavailable, which the
	// SDK does not model: a *smithy.GenericAPIError with that code, retried.
	ServiceUnavailable
	// LostResponse sends the request to the server, reads and discards its
	// response, and fails the round trip with a connection reset (a
	// *net.OpError wrapping syscall.ECONNRESET), which the SDK retries: the
	// server applied the request but the caller cannot know.
	LostResponse
	// Latency delays the request by [FaultOptions.Latency], or until the
	// request's context is done, and then sends it.
	Latency
)

// String returns the kind's constant name, or "FaultKind(n)" for a value
// that names no kind.
func (k FaultKind) String() string {
	if k.valid() {
		return [...]string{"", "ProvisionedThroughputExceeded", "Throttling", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable", "LostResponse", "Latency"}[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

func (k FaultKind) valid() bool { return k >= ProvisionedThroughputExceeded && k <= Latency }

// WriteOperations returns the names of DynamoDB's item write operations, for
// [FaultOptions.Operations]: PutItem, UpdateItem, DeleteItem, BatchWriteItem
// and TransactWriteItems.
func WriteOperations() []string {
	return []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
}

// FaultOptions configures the random faults and the delay of [NewFaults].
// Scripted faults ([Faults.Script]) need no options.
type FaultOptions struct {
	// Rates maps a kind of fault to the probability, from 0 to 1, that a
	// request gets it. Rates outside [0, 1] are clamped; if they add up to
	// more than 1, kinds later in [FaultKind] order get what is left. Kinds
	// that name no fault are ignored. Default: none, no random faults.
	Rates map[FaultKind]float64

	// Seed seeds the random faults. Each operation draws from its own
	// sequence, derived from the seed and the operation's name, one number
	// per request: for a given seed the n-th request of an operation always
	// gets the same fault, however requests of different operations
	// interleave. Default 0.
	Seed int64

	// Operations limits random faults to requests of these operations, named
	// as in the X-Amz-Target header ("PutItem"; see [WriteOperations]).
	// Default: every operation.
	Operations []string

	// Latency is how long a [Latency] fault delays its request. Default,
	// and when not positive: 100ms.
	Latency time.Duration
}

// defaultLatency is the delay of a [Latency] fault when
// [FaultOptions.Latency] is not positive.
const defaultLatency = 100 * time.Millisecond

// Faults injects faults into the DynamoDB requests that go through its
// [Faults.Transport]: scripted faults first ([Faults.Script]), then random
// ones by rate ([FaultOptions]); every other request passes through. It
// counts requests and faults per operation ([Faults.Requests],
// [Faults.Count]).
//
// A request's operation is read from its X-Amz-Target header
// ("DynamoDB_20120810.PutItem" is "PutItem"), never from its body: a
// request answered by a fault is closed unread, and one that is sent goes
// as the SDK built it. A request without the header, which no DynamoDB
// client sends, has the empty operation name.
//
// The zero value is ready to use and injects only scripted faults; a nil
// *Faults injects and counts nothing. A Faults is safe for concurrent use;
// it must not be copied after first use.
type Faults struct {
	opts FaultOptions

	mu       sync.Mutex
	scripts  map[string][]FaultKind       // by operation; "" is every operation
	randoms  map[string]*rand.Rand        // by operation, created on first draw
	requests map[string]int               // by operation
	faults   map[string]map[FaultKind]int // by operation, then kind
}

// NewFaults returns a [Faults] configured by optFns, which are applied in
// order to a zero [FaultOptions].
func NewFaults(optFns ...func(*FaultOptions)) *Faults {
	var o FaultOptions
	for _, fn := range optFns {
		if fn != nil {
			fn(&o)
		}
	}
	// Copied so that the caller's map and slice can change afterwards.
	rates := make(map[FaultKind]float64, len(o.Rates))
	for k, r := range o.Rates {
		rates[k] = r
	}
	o.Rates = rates
	o.Operations = append([]string(nil), o.Operations...)
	return &Faults{opts: o}
}

// Script queues faults for the next requests of operation op ("PutItem"),
// one per request in the order given; requests after them pass through, or
// get random faults. An empty op queues faults for the next requests of any
// operation, used once the operation's own script is spent. Kinds that name
// no fault pass their request through uncounted. Script adds to what is
// already queued.
func (f *Faults) Script(op string, kinds ...FaultKind) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.scripts == nil {
		f.scripts = make(map[string][]FaultKind)
	}
	f.scripts[op] = append(f.scripts[op], kinds...)
}

// Requests returns how many requests of operation op have gone through the
// transport, each attempt of the SDK's retries counted, faulted or not. An
// empty op counts the requests of every operation.
func (f *Faults) Requests(op string) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if op != "" {
		return f.requests[op]
	}
	n := 0
	for _, c := range f.requests {
		n += c
	}
	return n
}

// Count returns how many faults of kind were injected into requests of
// operation op. An empty op counts those of every operation. A
// [LostResponse] is counted once the server has answered, so the request
// was applied; a [Latency] fault once the delay starts.
func (f *Faults) Count(op string, kind FaultKind) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if op != "" {
		return f.faults[op][kind]
	}
	n := 0
	for _, byKind := range f.faults {
		n += byKind[kind]
	}
	return n
}

// Transport returns an [http.RoundTripper] that injects f's faults into the
// requests it sends through next, or through [http.DefaultTransport] when
// next is nil. Transports of one Faults share its scripts and counters.
func (f *Faults) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if f == nil {
		return next
	}
	return &faultTransport{faults: f, next: next}
}

// DynamoDBWithFaults returns a client for DynamoDB Local, found as
// [DynamoDB] finds it, whose requests go through f's [Faults.Transport].
// Unlike [DynamoDB]'s client it keeps the SDK's default retryer for
// DynamoDB (standard mode: 4 attempts, backoff from 25ms, 1s for
// throttles, and the retry quota), so that a test sees what a service with
// the default configuration sees. optFns change the client's options after
// that, for example func(o *dynamodb.Options) { o.RetryMaxAttempts = 10 }.
//
// The retryer's quota is the SDK's too: a retry costs 14 tokens of 500 (5
// after a throttle), refunded when the retry succeeds, so high fault rates
// over many calls can end a call with "retry quota exceeded", as they would
// in production.
func DynamoDBWithFaults(t testing.TB, f *Faults, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	ep := endpoint(t, dynamoService)
	cfg := localaws.Config()
	cfg.RetryMaxAttempts = 0 // the SDK's default
	cfg.HTTPClient = &http.Client{Transport: f.Transport(awshttp.NewBuildableClient().GetTransport())}
	fns := append([]func(*dynamodb.Options){func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) }}, optFns...)
	return dynamodb.NewFromConfig(cfg, fns...)
}

type faultTransport struct {
	faults *Faults
	next   http.RoundTripper
}

// RoundTrip implements [http.RoundTripper].
func (t *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := operation(req)
	kind := t.faults.next(op)
	switch kind {
	case ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded, InternalServerError, ServiceUnavailable:
		closeBody(req)
		t.faults.count(op, kind)
		return errorResponse(req, kind), nil
	case LostResponse:
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err // a real fault: the request may not have been applied
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		t.faults.count(op, kind)
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	case Latency:
		t.faults.count(op, kind)
		timer := time.NewTimer(t.faults.latency())
		select {
		case <-timer.C:
		case <-req.Context().Done():
			timer.Stop()
			closeBody(req)
			return nil, req.Context().Err()
		}
	}
	return t.next.RoundTrip(req)
}

// operation returns the operation named by the request's X-Amz-Target
// header ("DynamoDB_20120810.PutItem" is "PutItem"), or "".
func operation(req *http.Request) string {
	target := req.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[i+1:]
	}
	return target
}

// closeBody closes the body of a request that is not sent, as a
// RoundTripper must, without reading it.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// next counts a request of op and decides its fault, or 0 for none.
func (f *Faults) next(op string) FaultKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests == nil {
		f.requests = make(map[string]int)
	}
	f.requests[op]++
	for _, key := range []string{op, ""} {
		if q := f.scripts[key]; len(q) > 0 {
			f.scripts[key] = q[1:]
			return q[0]
		}
	}
	if !f.randomFor(op) {
		return 0
	}
	r := f.randoms[op]
	if r == nil {
		if f.randoms == nil {
			f.randoms = make(map[string]*rand.Rand)
		}
		h := fnv.New64a()
		_, _ = io.WriteString(h, op)
		r = rand.New(rand.NewPCG(uint64(f.opts.Seed), h.Sum64()))
		f.randoms[op] = r
	}
	u, sum := r.Float64(), 0.0
	for k := ProvisionedThroughputExceeded; k <= Latency; k++ {
		rate := f.opts.Rates[k]
		if !(rate > 0) { // also NaN
			continue
		}
		sum += min(rate, 1)
		if u < sum {
			return k
		}
	}
	return 0
}

// randomFor reports whether requests of op draw random faults.
func (f *Faults) randomFor(op string) bool {
	if len(f.opts.Rates) == 0 {
		return false
	}
	if len(f.opts.Operations) == 0 {
		return true
	}
	for _, o := range f.opts.Operations {
		if o == op {
			return true
		}
	}
	return false
}

func (f *Faults) count(op string, kind FaultKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.faults == nil {
		f.faults = make(map[string]map[FaultKind]int)
	}
	if f.faults[op] == nil {
		f.faults[op] = make(map[FaultKind]int)
	}
	f.faults[op][kind]++
}

func (f *Faults) latency() time.Duration {
	if f.opts.Latency > 0 {
		return f.opts.Latency
	}
	return defaultLatency
}

// errorResponse is DynamoDB's answer for an error kind: its HTTP status,
// its awsJson 1.0 error body, and the headers DynamoDB sends with it.
func errorResponse(req *http.Request, kind FaultKind) *http.Response {
	status, code, message := http.StatusBadRequest, "", ""
	switch kind {
	case ProvisionedThroughputExceeded:
		code = "ProvisionedThroughputExceededException"
		message = "The level of configured provisioned throughput for the table was exceeded. " +
			"Consider increasing your provisioning level with the UpdateTable API."
	case Throttling:
		code, message = "ThrottlingException", "Rate of requests exceeds the allowed throughput."
	case RequestLimitExceeded:
		code = "RequestLimitExceeded"
		message = "Throughput exceeds the current throughput limit for your account. " +
			"Please contact AWS Support at https://aws.amazon.com/support request a limit increase"
	case InternalServerError:
		status, code, message = http.StatusInternalServerError, "InternalServerError", "Internal server error"
	case ServiceUnavailable:
		status, code, message = http.StatusServiceUnavailable, "ServiceUnavailable",
			"DynamoDB is currently unavailable. (This should be a temporary state.)"
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{"com.amazonaws.dynamodb.v20120810#" + code, message + " (injected by ddbtest)"})
	h := make(http.Header)
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("X-Amzn-Requestid", "ddbtest-"+kind.String())
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
