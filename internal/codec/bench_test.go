package codec

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// benchModel is repository's benchCompany: the reference model of issue 12.
type benchModel struct {
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

type benchAddress struct {
	Street   string `dynamodbav:"street"`
	City     string `dynamodbav:"city"`
	Postcode string `dynamodbav:"postcode"`
	Country  string `dynamodbav:"country"`
}

func benchValue() benchModel {
	created := time.Date(2019, 3, 14, 9, 26, 53, 589793000, time.UTC)
	return benchModel{
		ID: "0193a8c2-7a4e-7d3c-9f00-0123456789ab", Name: "Acme Payments 0 Ltd", Industry: "fintech", Founded: "2000",
		Website: "https://acme.example.com", Email: "contact@acme.example.com", Employees: 250, Revenue: 12345678.9,
		Public: true, CreatedAt: created, UpdatedAt: created.Add(36 * time.Hour), Tags: []string{"payments", "b2b", "europe", "series-b"},
		Address:  benchAddress{Street: "1 Infinite Loop", City: "Dublin", Postcode: "D02 X285", Country: "IE"},
		Metadata: map[string]string{"source": "import", "owner": "sales-emea", "tier": "gold"}, Score: 9000,
	}
}

func handItem(c *benchModel) map[string]types.AttributeValue {
	tags := make([]types.AttributeValue, len(c.Tags))
	for i, t := range c.Tags {
		tags[i] = &types.AttributeValueMemberS{Value: t}
	}
	meta := make(map[string]types.AttributeValue, len(c.Metadata))
	for k, v := range c.Metadata {
		meta[k] = &types.AttributeValueMemberS{Value: v}
	}
	const layout = "2006-01-02T15:04:05.000000000Z"
	return map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: c.ID}, "name": &types.AttributeValueMemberS{Value: c.Name},
		"industry": &types.AttributeValueMemberS{Value: c.Industry}, "founded": &types.AttributeValueMemberS{Value: c.Founded},
		"website": &types.AttributeValueMemberS{Value: c.Website}, "email": &types.AttributeValueMemberS{Value: c.Email},
		"employees": &types.AttributeValueMemberN{Value: strconv.Itoa(c.Employees)},
		"revenue":   &types.AttributeValueMemberN{Value: strconv.FormatFloat(c.Revenue, 'f', -1, 64)},
		"public":    &types.AttributeValueMemberBOOL{Value: c.Public},
		"createdAt": &types.AttributeValueMemberS{Value: c.CreatedAt.UTC().Format(layout)},
		"updatedAt": &types.AttributeValueMemberS{Value: c.UpdatedAt.UTC().Format(layout)},
		"tags":      &types.AttributeValueMemberL{Value: tags},
		"address": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"street": &types.AttributeValueMemberS{Value: c.Address.Street}, "city": &types.AttributeValueMemberS{Value: c.Address.City},
			"postcode": &types.AttributeValueMemberS{Value: c.Address.Postcode}, "country": &types.AttributeValueMemberS{Value: c.Address.Country},
		}},
		"metadata": &types.AttributeValueMemberM{Value: meta},
		"score":    &types.AttributeValueMemberN{Value: strconv.FormatInt(c.Score, 10)},
	}
}

// BenchmarkCodec compares the codec with hand-written code on the
// reference model, without the repository around it:
//
//	go test -run '^$' -bench Codec -benchmem -count 10 ./internal/codec/ | benchstat -col /impl -
func BenchmarkCodec(b *testing.B) {
	c, err := For[benchModel]()
	if err != nil {
		b.Fatal(err)
	}
	v := benchValue()
	item := handItem(&v)
	b.Run("op=encode/impl=hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = handItem(&v)
		}
	})
	b.Run("op=encode/impl=codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.Encode(&v, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=decode/impl=hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d benchModel
			m := item
			d.ID = m["id"].(*types.AttributeValueMemberS).Value
			d.Name = m["name"].(*types.AttributeValueMemberS).Value
			d.Industry = m["industry"].(*types.AttributeValueMemberS).Value
			d.Founded = m["founded"].(*types.AttributeValueMemberS).Value
			d.Website = m["website"].(*types.AttributeValueMemberS).Value
			d.Email = m["email"].(*types.AttributeValueMemberS).Value
			d.Employees, _ = strconv.Atoi(m["employees"].(*types.AttributeValueMemberN).Value)
			d.Revenue, _ = strconv.ParseFloat(m["revenue"].(*types.AttributeValueMemberN).Value, 64)
			d.Score, _ = strconv.ParseInt(m["score"].(*types.AttributeValueMemberN).Value, 10, 64)
			d.Public = m["public"].(*types.AttributeValueMemberBOOL).Value
			d.CreatedAt, _ = time.Parse(time.RFC3339, m["createdAt"].(*types.AttributeValueMemberS).Value)
			d.UpdatedAt, _ = time.Parse(time.RFC3339, m["updatedAt"].(*types.AttributeValueMemberS).Value)
			l := m["tags"].(*types.AttributeValueMemberL).Value
			d.Tags = make([]string, len(l))
			for i, e := range l {
				d.Tags[i] = e.(*types.AttributeValueMemberS).Value
			}
			a := m["address"].(*types.AttributeValueMemberM).Value
			d.Address = benchAddress{a["street"].(*types.AttributeValueMemberS).Value, a["city"].(*types.AttributeValueMemberS).Value,
				a["postcode"].(*types.AttributeValueMemberS).Value, a["country"].(*types.AttributeValueMemberS).Value}
			md := m["metadata"].(*types.AttributeValueMemberM).Value
			d.Metadata = make(map[string]string, len(md))
			for k, e := range md {
				d.Metadata[k] = e.(*types.AttributeValueMemberS).Value
			}
		}
	})
	b.Run("op=decode/impl=codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d benchModel
			if err := c.Decode(item, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAllocs guards the allocations of the codec alone on the reference
// model: encode takes one slab per member kind per struct, list and map,
// so its count is fixed by the model's shape; decode allocates the decoded
// value, its tags and its metadata.
func TestAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("allocation counts differ under -cover")
	}
	c, err := For[benchModel]()
	if err != nil {
		t.Fatal(err)
	}
	v := benchValue()
	item := handItem(&v)
	enc := testing.AllocsPerRun(100, func() {
		if _, _, err := c.Encode(&v, 3); err != nil {
			t.Fatal(err)
		}
	})
	dec := testing.AllocsPerRun(100, func() {
		var d benchModel
		if err := c.Decode(item, &d); err != nil {
			t.Fatal(err)
		}
	})
	hand := testing.AllocsPerRun(100, func() { _ = handItem(&v) })
	t.Logf("allocations: encode %.0f (hand-written %.0f), decode %.0f", enc, hand, dec)
	if enc > 23 {
		t.Errorf("Encode allocates %.0f times; want at most 23", enc)
	}
	if dec > 4 {
		t.Errorf("Decode allocates %.0f times; want at most 4", dec)
	}
}
