package repository_test

// Benchmarks of what the repository costs over hand-written SDK calls.
//
// Both sides call the same *dynamodb.Client, whose HTTP client is a stub
// (ddbStub) that speaks just enough of the DynamoDB JSON protocol to return
// canned, valid responses. It answers in the calling goroutine, without a
// socket: the SDK's client stack runs in full, the kernel and the network
// do not, so that the times measure client-side work and little noise. The
// stub exists only to measure client overhead; correctness is tested
// against DynamoDB Local elsewhere.
//
// Every benchmark has sub-benchmarks named impl=<variant>, so that
//
//	go test -run '^$' -bench . -benchmem -count 6 ./repository/ > bench.txt
//	benchstat -col /impl -filter '-.name:/^(Encode|Decode)$/' bench.txt
//	benchstat -col /impl -filter '.name:/^(Encode|Decode)$/' bench.txt
//
// prints the variants side by side with ratios against the first column
// (sdk, or the hand-written codec for the codec benchmarks; one unfiltered
// benchstat -col /impl would take sdk as the base of all rows and show the
// codec rows without ratios). The "sdk" variants do the
// work a careful user would write by hand — build the key, call the
// operation, attributevalue.(Un)MarshalMap — and send the same request on
// the wire as the repository does (TestBenchRequestsMatch checks this), so
// the difference between the two is client-side work only. The stub runs in
// the same process: its (small, equal) work is in both sides' numbers, so
// the ratios understate the relative overhead; the difference is exact.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// benchAddress is the nested map of benchCompany.
type benchAddress struct {
	Street   string `dynamodbav:"street"`
	City     string `dynamodbav:"city"`
	Postcode string `dynamodbav:"postcode"`
	Country  string `dynamodbav:"country"`
}

// benchCompany is a realistic model: 15 attributes, among them a nested
// map, a list, a map of strings, numbers, a bool and times. Stored items
// also hold the table keys pk and sk.
type benchCompany struct {
	ID        string            `dynamodbav:"id"`
	Name      string            `dynamodbav:"name"`
	Industry  string            `dynamodbav:"industry"`
	Founded   string            `dynamodbav:"founded"`
	Website   string            `dynamodbav:"website"`
	Email     string            `dynamodbav:"email"`
	Employees int               `dynamodbav:"employees"`
	Revenue   float64           `dynamodbav:"revenue"`
	Public    bool              `dynamodbav:"public"`
	CreatedAt time.Time         `dynamodbav:"createdAt"`
	UpdatedAt time.Time         `dynamodbav:"updatedAt"`
	Tags      []string          `dynamodbav:"tags"`
	Address   benchAddress      `dynamodbav:"address"`
	Metadata  map[string]string `dynamodbav:"metadata"`
	Score     int64             `dynamodbav:"score"`
}

const (
	benchTableName = "companies"
	benchIndex     = "by-industry"
	benchIndustry  = "fintech"
	benchPageItems = 25
)

var benchByIndustry = index.AccessPattern{
	Name:       "companies by industry, newest first",
	Index:      benchIndex,
	Descending: true,
}

var benchTable = index.Table{
	Name:         benchTableName,
	PartitionKey: index.S("pk"),
	SortKey:      index.S("sk"),
	Indexes: []index.Index{{
		Name:         benchIndex,
		PartitionKey: index.S("industry"),
		SortKey:      index.S("founded"),
	}},
	Patterns: []index.AccessPattern{benchByIndustry},
}

// benchFixture returns the i-th canned company.
func benchFixture(i int) benchCompany {
	created := time.Date(2019, 3, 14, 9, 26, 53, 589793000, time.UTC).Add(time.Duration(i) * time.Hour)
	return benchCompany{
		// A fixed version 7 UUID, varied by i.
		ID:        fmt.Sprintf("0193a8c2-7a4e-7d3c-9f00-%012x", 0x0123456789ab+i),
		Name:      fmt.Sprintf("Acme Payments %d Ltd", i),
		Industry:  benchIndustry,
		Founded:   strconv.Itoa(2000 + i),
		Website:   "https://acme.example.com",
		Email:     "contact@acme.example.com",
		Employees: 250 + i,
		Revenue:   12345678.9 + float64(i),
		Public:    i%2 == 0,
		CreatedAt: created,
		UpdatedAt: created.Add(36 * time.Hour),
		Tags:      []string{"payments", "b2b", "europe", "series-b"},
		Address: benchAddress{
			Street:   "1 Infinite Loop",
			City:     "Dublin",
			Postcode: "D02 X285",
			Country:  "IE",
		},
		Metadata: map[string]string{"source": "import", "owner": "sales-emea", "tier": "gold"},
		Score:    int64(9000 + i),
	}
}

// benchKey is the table key the repository composes with
// WithKeys("COMPANY#{id}", "PROFILE"), written by hand.
func benchKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "COMPANY#" + id},
		"sk": &types.AttributeValueMemberS{Value: "PROFILE"},
	}
}

// benchStored returns the i-th company as stored: its attributes and keys.
func benchStored(tb testing.TB, i int) map[string]types.AttributeValue {
	c := benchFixture(i)
	m, err := attributevalue.MarshalMap(&c)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range benchKey(c.ID) {
		m[k] = v
	}
	m[repository.EntityTypeAttribute] = &types.AttributeValueMemberS{Value: "benchCompany"}
	return m
}

// ddbStub answers GetItem, PutItem and Query with canned responses. It is
// the SDK client's aws.HTTPClient: it answers each request in the caller's
// goroutine, without a socket, so that the SDK's whole client stack runs
// (serialization, signing, middleware, the CRC check, deserialization) and
// no kernel or network time is measured. It records request bodies only
// when record is set.
type ddbStub struct {
	responses map[string]stubResponse // by X-Amz-Target

	mu     sync.Mutex
	record bool
	bodies map[string][]byte // last request body by operation
	// sent and requests count the request body bytes and the requests
	// the stub received.
	sent, requests atomic.Int64
	// latency delays every response, as a network would.
	latency time.Duration
}

var _ aws.HTTPClient = (*ddbStub)(nil)

type stubResponse struct {
	body []byte
	crc  []string // the X-Amz-Crc32 header value
}

var (
	stubContentType = []string{"application/x-amz-json-1.0"}
	stubUnsupported = []byte(`{"__type":"com.amazon.coral.service#UnknownOperationException","message":"stub: unsupported operation"}`)
)

func newDDBStub(tb testing.TB) *ddbStub {
	tb.Helper()
	item, err := attributevalue.MarshalMapJSON(benchStored(tb, 0))
	if err != nil {
		tb.Fatal(err)
	}
	items := make([]json.RawMessage, benchPageItems)
	for i := range items {
		if items[i], err = attributevalue.MarshalMapJSON(benchStored(tb, i)); err != nil {
			tb.Fatal(err)
		}
	}
	query, err := json.Marshal(map[string]any{"Count": len(items), "ScannedCount": len(items), "Items": items})
	if err != nil {
		tb.Fatal(err)
	}
	get, err := json.Marshal(map[string]json.RawMessage{"Item": item})
	if err != nil {
		tb.Fatal(err)
	}
	update, err := json.Marshal(map[string]json.RawMessage{"Attributes": item})
	if err != nil {
		tb.Fatal(err)
	}
	return &ddbStub{
		responses: map[string]stubResponse{
			"DynamoDB_20120810.GetItem": stubAnswer(get),
			"DynamoDB_20120810.PutItem": stubAnswer([]byte("{}")),
			"DynamoDB_20120810.Query":   stubAnswer(query),
			// Exactly-once writes (bench_exactlyonce_test.go).
			"DynamoDB_20120810.UpdateItem":         stubAnswer(update),
			"DynamoDB_20120810.TransactWriteItems": stubAnswer([]byte("{}")),
			// Bulk writes (bench_batchwrite_test.go).
			"DynamoDB_20120810.BatchWriteItem": stubAnswer([]byte("{}")),
		},
		bodies: map[string][]byte{},
	}
}

// stubAnswer returns the canned response of body, with its checksum.
func stubAnswer(body []byte) stubResponse {
	return stubResponse{body: body, crc: []string{strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)}}
}

// Do reads the request, waits the latency and returns the canned response
// of the operation, as an HTTP round trip would. It is safe for concurrent
// use; the canned bodies are read, never copied or written.
func (s *ddbStub) Do(r *http.Request) (*http.Response, error) {
	target := r.Header.Get("X-Amz-Target")
	s.mu.Lock()
	record := s.record
	s.mu.Unlock()
	var n int64
	if r.Body != nil {
		if record {
			body, _ := io.ReadAll(r.Body)
			n = int64(len(body))
			s.mu.Lock()
			s.bodies[target] = body
			s.mu.Unlock()
		} else {
			n, _ = io.Copy(io.Discard, r.Body)
		}
		_ = r.Body.Close()
	}
	s.sent.Add(n)
	s.requests.Add(1)
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	status, h, body := http.StatusOK, http.Header{"Content-Type": stubContentType}, stubUnsupported
	if resp, ok := s.responses[target]; ok {
		h["X-Amz-Crc32"] = resp.crc
		body = resp.body
	} else {
		status = http.StatusBadRequest
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// client returns an SDK client of the stub: static credentials, no
// retries, the stub as its HTTP client.
func (s *ddbStub) client() *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("a", "b", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       s,
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://dynamodb.stub") })
}

// loopbackClient returns an SDK client of the stub served over HTTP on
// loopback (an httptest server), as issue 12 first measured bulk writes:
// each request then pays a socket round trip, which is what batching saves.
func (s *ddbStub) loopbackClient(tb testing.TB) *dynamodb.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, _ := s.Do(r)
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	tb.Cleanup(srv.Close)
	return dynamodb.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("a", "b", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       loopbackSafeClient{awshttp.NewBuildableClient()},
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// loopbackSafeClient works around a race between the SDK and net/http that
// only a server as fast as an in-process stub wins (aws/aws-sdk-go-v2#2737):
// smithy-go closes the request body as soon as the response headers
// arrive, while the transport's write loop may still be draining it; the
// SDK's body then returns io.EOF from WriteTo, and the transport closes the
// connection — under a response the caller is still reading ("use of
// closed network connection", fatal without retries), and otherwise one
// new TCP connection every few requests. Hiding WriteTo makes the drain
// use Read, which ends cleanly on a closed body. It costs one small
// allocation per request, on both sides alike.
type loopbackSafeClient struct{ c aws.HTTPClient }

func (c loopbackSafeClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return c.c.Do(req)
}

// benchEnv is one stub, one client and the repository on it.
type benchEnv struct {
	stub   *ddbStub
	client *dynamodb.Client
	// repo sends the plain PutItem a hand-written Create sends
	// (WithRetryUnsafeWrites), so that the two compare client-side work;
	// bench_exactlyonce_test.go compares it with the default.
	repo *repository.Repository[benchCompany]
}

func newBenchEnv(tb testing.TB) *benchEnv {
	tb.Helper()
	stub := newDDBStub(tb)
	return newBenchEnvOn(tb, stub, stub.client())
}

// newBenchEnvOn is newBenchEnv with the client given.
func newBenchEnvOn(tb testing.TB, stub *ddbStub, client *dynamodb.Client) *benchEnv {
	tb.Helper()
	repo, err := repository.New[benchCompany](client, benchTable, repository.WithKeys("COMPANY#{id}", "PROFILE"),
		repository.WithRetryUnsafeWrites())
	if err != nil {
		tb.Fatal(err)
	}
	return &benchEnv{stub: stub, client: client, repo: repo}
}

// The hand-written SDK calls. Each sends the request the repository sends:
// same attributes, same expression placeholders (#0, :0 as the expression
// builder names them), and the repository's explicit ConsistentRead=false
// and ReturnValuesOnConditionCheckFailure=ALL_OLD, so that the wire work
// is equal.

func sdkGet(ctx context.Context, client *dynamodb.Client, id string) (benchCompany, error) {
	var c benchCompany
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(benchTableName),
		Key:            benchKey(id),
		ConsistentRead: aws.Bool(false),
	})
	if err != nil {
		return c, err
	}
	if out.Item == nil {
		return c, fmt.Errorf("no item %q", id)
	}
	err = attributevalue.UnmarshalMap(out.Item, &c)
	return c, err
}

// sdkEncoder stores times as the repository does, fixed-width UTC, which
// a careful user needs for times that must sort (a GSI sort key).
var sdkEncoder = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) {
	o.EncodeTime = func(t time.Time) (types.AttributeValue, error) { return repository.TimeValue(t), nil }
})

func sdkPutInput(c *benchCompany) (*dynamodb.PutItemInput, error) {
	av, err := sdkEncoder.Encode(c)
	if err != nil {
		return nil, err
	}
	m := av.(*types.AttributeValueMemberM).Value
	m["pk"] = &types.AttributeValueMemberS{Value: "COMPANY#" + c.ID}
	m["sk"] = &types.AttributeValueMemberS{Value: "PROFILE"}
	m["_et"] = &types.AttributeValueMemberS{Value: "benchCompany"} // the entity type, for a table of several
	return &dynamodb.PutItemInput{
		TableName:                           aws.String(benchTableName),
		Item:                                m,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

func sdkPut(ctx context.Context, client *dynamodb.Client, c *benchCompany) error {
	in, err := sdkPutInput(c)
	if err != nil {
		return err
	}
	// Never over another entity type's item at the key.
	in.ConditionExpression = aws.String("(attribute_not_exists (#0)) OR (#0 = :0)")
	in.ExpressionAttributeNames = map[string]string{"#0": "_et"}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":0": &types.AttributeValueMemberS{Value: "benchCompany"}}
	_, err = client.PutItem(ctx, in)
	return err
}

func sdkCreate(ctx context.Context, client *dynamodb.Client, c *benchCompany) error {
	u, err := uuid.NewV7()
	if err != nil {
		return err
	}
	c.ID = u.String()
	in, err := sdkPutInput(c)
	if err != nil {
		return err
	}
	in.ConditionExpression = aws.String("attribute_not_exists (#0)")
	in.ExpressionAttributeNames = map[string]string{"#0": "pk"}
	_, err = client.PutItem(ctx, in)
	return err
}

// sdkQuery reads every page of the by-industry query, decoding each page
// with UnmarshalListOfMaps and passing its items to each. limit > 0 sets
// the request's Limit, as a page of that size would.
func sdkQuery(ctx context.Context, client *dynamodb.Client, limit int32, each func(*benchCompany)) error {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(benchTableName),
		IndexName:                 aws.String(benchIndex),
		KeyConditionExpression:    aws.String("#0 = :0"),
		ExpressionAttributeNames:  map[string]string{"#0": "industry"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":0": &types.AttributeValueMemberS{Value: benchIndustry}},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(false),
	}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	for {
		out, err := client.Query(ctx, in)
		if err != nil {
			return err
		}
		var page []benchCompany
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return err
		}
		for i := range page {
			each(&page[i])
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// TestBenchRequestsMatch checks what the benchmarks rely on: that the stub
// answers, that both sides decode the same values, and that the sdk
// variants send the same requests as the repository.
func TestBenchRequestsMatch(t *testing.T) {
	env := newBenchEnv(t)
	ctx := t.Context()
	want := benchFixture(0)

	// capture runs fn and returns the JSON request body of op.
	capture := func(op string, fn func() error) any {
		t.Helper()
		env.stub.mu.Lock()
		env.stub.record = true
		delete(env.stub.bodies, "DynamoDB_20120810."+op)
		env.stub.mu.Unlock()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		env.stub.mu.Lock()
		defer env.stub.mu.Unlock()
		env.stub.record = false
		var v any
		if err := json.Unmarshal(env.stub.bodies["DynamoDB_20120810."+op], &v); err != nil {
			t.Fatalf("%s request: %v", op, err)
		}
		return v
	}
	same := func(op string, sdk, repo any) {
		t.Helper()
		if !reflect.DeepEqual(sdk, repo) {
			s, _ := json.Marshal(sdk)
			r, _ := json.Marshal(repo)
			t.Errorf("%s requests differ:\n sdk:        %s\n repository: %s", op, s, r)
		}
	}

	var got1, got2 benchCompany
	same("GetItem",
		capture("GetItem", func() (err error) { got1, err = sdkGet(ctx, env.client, want.ID); return err }),
		capture("GetItem", func() (err error) { got2, err = env.repo.Get(ctx, want.ID); return err }))
	if !reflect.DeepEqual(got1, want) || !reflect.DeepEqual(got2, want) {
		t.Errorf("Get decoded\n sdk:        %+v\n repository: %+v\nwant %+v", got1, got2, want)
	}

	item := benchFixture(1)
	same("PutItem (Put)",
		capture("PutItem", func() error { return sdkPut(ctx, env.client, &item) }),
		capture("PutItem", func() error { return env.repo.Put(ctx, &item) }))

	// Create generates ids; compare with the ids blanked out.
	created := func(v any) any {
		in := v.(map[string]any)
		it := in["Item"].(map[string]any)
		if _, err := uuid.Parse(it["id"].(map[string]any)["S"].(string)); err != nil {
			t.Errorf("Create sent id %v: %v", it["id"], err)
		}
		delete(it, "id")
		delete(it, "pk")
		return in
	}
	c1, c2 := benchFixture(2), benchFixture(2)
	c1.ID, c2.ID = "", ""
	same("PutItem (Create)",
		created(capture("PutItem", func() error { return sdkCreate(ctx, env.client, &c1) })),
		created(capture("PutItem", func() error { return env.repo.Create(ctx, &c2) })))

	var fromSDK, fromRepo []benchCompany
	same("Query",
		capture("Query", func() error {
			return sdkQuery(ctx, env.client, 0, func(c *benchCompany) { fromSDK = append(fromSDK, *c) })
		}),
		capture("Query", func() error {
			for c, err := range env.repo.Query(ctx, benchByIndustry.Partition(benchIndustry)) {
				if err != nil {
					return err
				}
				fromRepo = append(fromRepo, c)
			}
			return nil
		}))
	if len(fromSDK) != benchPageItems || !reflect.DeepEqual(fromSDK, fromRepo) {
		t.Errorf("Query decoded %d items (sdk) and %d (repository); want %d equal ones", len(fromSDK), len(fromRepo), benchPageItems)
	}
	var page []benchCompany
	same("Query (Page)",
		capture("Query", func() error {
			return sdkQuery(ctx, env.client, repository.DefaultPageSize, func(*benchCompany) {})
		}),
		capture("Query", func() (err error) {
			page, _, err = env.repo.Page(ctx, benchByIndustry.Partition(benchIndustry), "")
			return err
		}))
	if !reflect.DeepEqual(page, fromSDK) {
		t.Errorf("Page decoded %d items, unlike Query", len(page))
	}
}

func BenchmarkGet(b *testing.B) {
	env := newBenchEnv(b)
	ctx := b.Context()
	id := benchFixture(0).ID
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sdkGet(ctx, env.client, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := env.repo.Get(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=guregu", func(b *testing.B) { benchGuregu(b, "Get") })
}

func BenchmarkPut(b *testing.B) {
	env := newBenchEnv(b)
	ctx := b.Context()
	item := benchFixture(0)
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := sdkPut(ctx, env.client, &item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := env.repo.Put(ctx, &item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=guregu", func(b *testing.B) { benchGuregu(b, "Put") })
}

func BenchmarkCreate(b *testing.B) {
	env := newBenchEnv(b)
	ctx := b.Context()
	item := benchFixture(0)
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			item.ID = ""
			if err := sdkCreate(ctx, env.client, &item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			item.ID = ""
			if err := env.repo.Create(ctx, &item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=guregu", func(b *testing.B) { benchGuregu(b, "Create") })
}

func BenchmarkQuery(b *testing.B) {
	env := newBenchEnv(b)
	ctx := b.Context()
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			if err := sdkQuery(ctx, env.client, 0, func(*benchCompany) { n++ }); err != nil {
				b.Fatal(err)
			}
			if n != benchPageItems {
				b.Fatalf("read %d items; want %d", n, benchPageItems)
			}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		q := benchByIndustry.Partition(benchIndustry)
		for b.Loop() {
			n := 0
			for _, err := range env.repo.Query(ctx, q) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != benchPageItems {
				b.Fatalf("read %d items; want %d", n, benchPageItems)
			}
		}
	})
	b.Run("impl=guregu", func(b *testing.B) { benchGuregu(b, "Query") })
}

// BenchmarkPage reads the first page (the stub's 25 items, no next page).
// The sdk variant is the same query with the page's Limit, decoded into a
// slice; it signs no cursor because the stub returns no LastEvaluatedKey.
func BenchmarkPage(b *testing.B) {
	env := newBenchEnv(b)
	ctx := b.Context()
	b.Run("impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			items := make([]benchCompany, 0, benchPageItems)
			if err := sdkQuery(ctx, env.client, repository.DefaultPageSize, func(c *benchCompany) { items = append(items, *c) }); err != nil {
				b.Fatal(err)
			}
			if len(items) != benchPageItems {
				b.Fatalf("read %d items; want %d", len(items), benchPageItems)
			}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		q := benchByIndustry.Partition(benchIndustry)
		for b.Loop() {
			items, next, err := env.repo.Page(ctx, q, "")
			if err != nil {
				b.Fatal(err)
			}
			if len(items) != benchPageItems || next != "" {
				b.Fatalf("read %d items, next %q; want %d and none", len(items), next, benchPageItems)
			}
		}
	})
}

// BenchmarkEncode compares encoding one item for a put, without a request.
// The repository's encode is unexported; PlanPut is the public path to it
// (precompute hooks, encode, keys, derived attributes, bounds, size check,
// and the Write it returns). The attributevalue variant does what a user
// must do by hand for the same item: MarshalMap and add the two keys.
func BenchmarkEncode(b *testing.B) {
	env := newBenchEnv(b)
	ctx := b.Context()
	item := benchFixture(0)
	b.Run("impl=hand", func(b *testing.B) { // bench_codec_test.go
		b.ReportAllocs()
		for b.Loop() {
			_ = handEncode(&item)
		}
	})
	b.Run("impl=attributevalue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := attributevalue.MarshalMap(&item)
			if err != nil {
				b.Fatal(err)
			}
			m["pk"] = &types.AttributeValueMemberS{Value: "COMPANY#" + item.ID}
			m["sk"] = &types.AttributeValueMemberS{Value: "PROFILE"}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := env.repo.PlanPut(ctx, &item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=guregu", benchGureguEncode) // bench_guregu_test.go
}

// BenchmarkDecode compares decoding one stored item (with its keys) into
// the model, without a request. The repository's decode is unexported, but
// Repository.Decode is its exported wrapper (it adds only the error
// wrapping); impl=decoder is what decode does inside: one
// attributevalue.Decoder, made at New and reused, where UnmarshalMap makes
// a new Decoder per call.
func BenchmarkDecode(b *testing.B) {
	env := newBenchEnv(b)
	stored := benchStored(b, 0)
	b.Run("impl=hand", func(b *testing.B) { // bench_codec_test.go
		b.ReportAllocs()
		for b.Loop() {
			var c benchCompany
			if err := handDecode(stored, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=attributevalue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c benchCompany
			if err := attributevalue.UnmarshalMap(stored, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=decoder", func(b *testing.B) {
		b.ReportAllocs()
		dec := attributevalue.NewDecoder()
		for b.Loop() {
			var c benchCompany
			if err := dec.Decode(&types.AttributeValueMemberM{Value: stored}, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=repository", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := env.repo.Decode(stored); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=guregu", benchGureguDecode) // bench_guregu_test.go
}
