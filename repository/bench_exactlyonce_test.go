package repository_test

// What exactly-once writes cost beside plain ones: the same writes through
// the default repository (conditional and counter writes as one-item
// TransactWriteItems under an idempotency token) and through one built
// WithRetryUnsafeWrites (plain PutItem and UpdateItem), on the in-process
// stub of bench_test.go. Besides time and allocations each reports the
// request bytes the stub received (sent-B/op) and the requests per write
// (req/op); the write capacity DynamoDB charges is measured on DynamoDB
// Local by TestExactlyOnceCapacity.
//
//	go test -run '^$' -bench BenchmarkExactlyOnce -benchmem -count 8 ./repository/ > eo.txt
//	benchstat -col /impl eo.txt

import (
	"testing"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// benchAccount is a small versioned model.
type benchAccount struct {
	ID      string `dynamodbav:"id"`
	Name    string `dynamodbav:"name"`
	Count   int    `dynamodbav:"count"`
	Version int64  `dynamodbav:"version"`
}

func BenchmarkExactlyOnce(b *testing.B) {
	stub := newDDBStub(b)
	client := stub.client()
	table := index.Table{Name: benchTableName, PartitionKey: index.S("pk"), SortKey: index.S("sk")}
	repos := map[string]*repository.Repository[benchAccount]{}
	for impl, opts := range map[string][]repository.Option{
		"plain":        {repository.WithRetryUnsafeWrites()},
		"exactly-once": nil,
	} {
		r, err := repository.New[benchAccount](client, table,
			append(opts, repository.WithKeys("ACCOUNT#{id}", "PROFILE"), repository.WithVersion("version"),
				// The stub answers GetItem with a benchCompany item.
				repository.WithEntityType("benchCompany"))...)
		if err != nil {
			b.Fatal(err)
		}
		repos[impl] = r
	}
	const id = "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	ops := []struct {
		name string
		fn   func(b *testing.B, r *repository.Repository[benchAccount]) error
	}{
		{"Create", func(b *testing.B, r *repository.Repository[benchAccount]) error {
			return r.Create(b.Context(), &benchAccount{Name: "Acme"})
		}},
		{"Put", func(b *testing.B, r *repository.Repository[benchAccount]) error {
			return r.Put(b.Context(), &benchAccount{ID: id, Name: "Acme", Version: 3})
		}},
		{"Update", func(b *testing.B, r *repository.Repository[benchAccount]) error {
			_, err := r.Update(b.Context(), id, repository.Set("name", "Acme Ltd"), repository.IfVersion(3))
			return err
		}},
		{"Add", func(b *testing.B, r *repository.Repository[benchAccount]) error {
			_, err := r.Update(b.Context(), id, repository.Add("count", 1))
			return err
		}},
	}
	for _, op := range ops {
		for _, impl := range []string{"plain", "exactly-once"} {
			b.Run("op="+op.name+"/impl="+impl, func(b *testing.B) {
				r := repos[impl]
				b.ReportAllocs()
				sent0, req0 := stub.sent.Load(), stub.requests.Load()
				for b.Loop() {
					if err := op.fn(b, r); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(stub.sent.Load()-sent0)/float64(b.N), "sent-B/op")
				b.ReportMetric(float64(stub.requests.Load()-req0)/float64(b.N), "req/op")
			})
		}
	}
}
