package repository_test

// The impl=guregu variants run the same operations through
// github.com/guregu/dynamo/v2 on the same stub and SDK client, for a side
// by side comparison with the library Go teams reach for today:
//
//	go test -run '^$' -bench 'Benchmark(Get|Put|Create|Query)$' -benchmem -count 6 ./repository/ > bench.txt
//	benchstat -col /impl bench.txt
//
// guregu/dynamo reads its own struct tags ("dynamo"), so it has its own copy
// of the model, with the keys as fields, as its users write it.

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/guregu/dynamo/v2"
)

// guCompany is benchCompany as a guregu/dynamo user declares it.
type guCompany struct {
	PK        string            `dynamo:"pk,hash"`
	SK        string            `dynamo:"sk,range"`
	ID        string            `dynamo:"id"`
	Name      string            `dynamo:"name"`
	Industry  string            `dynamo:"industry"`
	Founded   string            `dynamo:"founded"`
	Website   string            `dynamo:"website"`
	Email     string            `dynamo:"email"`
	Employees int               `dynamo:"employees"`
	Revenue   float64           `dynamo:"revenue"`
	Public    bool              `dynamo:"public"`
	CreatedAt time.Time         `dynamo:"createdAt"`
	UpdatedAt time.Time         `dynamo:"updatedAt"`
	Tags      []string          `dynamo:"tags"`
	Address   guAddress         `dynamo:"address"`
	Metadata  map[string]string `dynamo:"metadata"`
	Score     int64             `dynamo:"score"`
}

type guAddress struct {
	Street   string `dynamo:"street"`
	City     string `dynamo:"city"`
	Postcode string `dynamo:"postcode"`
	Country  string `dynamo:"country"`
}

// guFixture is benchFixture(i) in guregu's model.
func guFixture(i int) guCompany {
	c := benchFixture(i)
	return guCompany{
		PK: "COMPANY#" + c.ID, SK: "PROFILE",
		ID: c.ID, Name: c.Name, Industry: c.Industry, Founded: c.Founded, Website: c.Website, Email: c.Email,
		Employees: c.Employees, Revenue: c.Revenue, Public: c.Public, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Tags: c.Tags, Address: guAddress(c.Address), Metadata: c.Metadata, Score: c.Score,
	}
}

func (e *benchEnv) guregu() dynamo.Table { return dynamo.NewFromIface(e.client).Table(benchTableName) }

func guGet(ctx context.Context, t dynamo.Table, id string) (guCompany, error) {
	var c guCompany
	err := t.Get("pk", "COMPANY#"+id).Range("sk", dynamo.Equal, "PROFILE").One(ctx, &c)
	return c, err
}

func guCreate(ctx context.Context, t dynamo.Table, c *guCompany) error {
	u, err := uuid.NewV7()
	if err != nil {
		return err
	}
	c.ID, c.PK = u.String(), "COMPANY#"+u.String()
	return t.Put(c).If("attribute_not_exists($)", "pk").Run(ctx)
}

func guQuery(ctx context.Context, t dynamo.Table) ([]guCompany, error) {
	var out []guCompany
	err := t.Get("industry", benchIndustry).Index(benchIndex).Order(dynamo.Descending).All(ctx, &out)
	return out, err
}

// TestBenchGuregu checks that the guregu variants read the stub's items
// with the values the repository reads.
func TestBenchGuregu(t *testing.T) {
	env := newBenchEnv(t)
	ctx := t.Context()
	want := benchFixture(0)
	got, err := guGet(ctx, env.guregu(), want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g := guFixture(0); got.Name != g.Name || !got.CreatedAt.Equal(g.CreatedAt) || got.Address != g.Address || len(got.Tags) != len(g.Tags) {
		t.Errorf("guregu Get = %+v; want %+v", got, g)
	}
	items, err := guQuery(ctx, env.guregu())
	if err != nil || len(items) != benchPageItems {
		t.Fatalf("guregu Query = %d items, %v; want %d", len(items), err, benchPageItems)
	}
	item := guFixture(0)
	if err := env.guregu().Put(&item).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := guCreate(ctx, env.guregu(), &item); err != nil {
		t.Fatal(err)
	}
}

func benchGuregu(b *testing.B, name string) {
	env := newBenchEnv(b)
	ctx := b.Context()
	table := env.guregu()
	b.ReportAllocs()
	switch name {
	case "Get":
		id := benchFixture(0).ID
		for b.Loop() {
			if _, err := guGet(ctx, table, id); err != nil {
				b.Fatal(err)
			}
		}
	case "Put":
		item := guFixture(0)
		for b.Loop() {
			if err := table.Put(&item).Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	case "Create":
		item := guFixture(0)
		for b.Loop() {
			if err := guCreate(ctx, table, &item); err != nil {
				b.Fatal(err)
			}
		}
	case "Query":
		for b.Loop() {
			items, err := guQuery(ctx, table)
			if err != nil || len(items) != benchPageItems {
				b.Fatal(len(items), err)
			}
		}
	}
}

// benchGureguEncode is BenchmarkEncode's impl=guregu: dynamo.MarshalItem of
// the model, whose keys are fields.
func benchGureguEncode(b *testing.B) {
	item := guFixture(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dynamo.MarshalItem(&item); err != nil {
			b.Fatal(err)
		}
	}
}

// benchGureguDecode is BenchmarkDecode's impl=guregu: dynamo.UnmarshalItem
// of the stored item, checked once against the fixture.
func benchGureguDecode(b *testing.B) {
	stored := benchStored(b, 0)
	var got guCompany
	if err := dynamo.UnmarshalItem(stored, &got); err != nil {
		b.Fatal(err)
	}
	if want := guFixture(0); !reflect.DeepEqual(got, want) {
		b.Fatalf("guregu decoded %+v; want %+v", got, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		var c guCompany
		if err := dynamo.UnmarshalItem(stored, &c); err != nil {
			b.Fatal(err)
		}
	}
}
