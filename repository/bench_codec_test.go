package repository_test

// The impl=hand variants of BenchmarkEncode and BenchmarkDecode: the
// benchCompany item written and read by hand, attribute by attribute, as
// the baseline of the codec's goals (issue 12). They produce and read the
// item the repository stores (TestHandCodec checks this).

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/repository"
)

const handTimeLayout = "2006-01-02T15:04:05.000000000Z"

// handEncode writes c as the repository stores it, keys included.
func handEncode(c *benchCompany) map[string]types.AttributeValue {
	tags := make([]types.AttributeValue, len(c.Tags))
	for i, t := range c.Tags {
		tags[i] = &types.AttributeValueMemberS{Value: t}
	}
	meta := make(map[string]types.AttributeValue, len(c.Metadata))
	for k, v := range c.Metadata {
		meta[k] = &types.AttributeValueMemberS{Value: v}
	}
	return map[string]types.AttributeValue{
		"pk":        &types.AttributeValueMemberS{Value: "COMPANY#" + c.ID},
		"sk":        &types.AttributeValueMemberS{Value: "PROFILE"},
		"_et":       &types.AttributeValueMemberS{Value: "benchCompany"},
		"id":        &types.AttributeValueMemberS{Value: c.ID},
		"name":      &types.AttributeValueMemberS{Value: c.Name},
		"industry":  &types.AttributeValueMemberS{Value: c.Industry},
		"founded":   &types.AttributeValueMemberS{Value: c.Founded},
		"website":   &types.AttributeValueMemberS{Value: c.Website},
		"email":     &types.AttributeValueMemberS{Value: c.Email},
		"employees": &types.AttributeValueMemberN{Value: strconv.Itoa(c.Employees)},
		"revenue":   &types.AttributeValueMemberN{Value: strconv.FormatFloat(c.Revenue, 'f', -1, 64)},
		"public":    &types.AttributeValueMemberBOOL{Value: c.Public},
		"createdAt": &types.AttributeValueMemberS{Value: c.CreatedAt.UTC().Format(handTimeLayout)},
		"updatedAt": &types.AttributeValueMemberS{Value: c.UpdatedAt.UTC().Format(handTimeLayout)},
		"tags":      &types.AttributeValueMemberL{Value: tags},
		"address": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"street":   &types.AttributeValueMemberS{Value: c.Address.Street},
			"city":     &types.AttributeValueMemberS{Value: c.Address.City},
			"postcode": &types.AttributeValueMemberS{Value: c.Address.Postcode},
			"country":  &types.AttributeValueMemberS{Value: c.Address.Country},
		}},
		"metadata": &types.AttributeValueMemberM{Value: meta},
		"score":    &types.AttributeValueMemberN{Value: strconv.FormatInt(c.Score, 10)},
	}
}

func handString(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func handNumber(item map[string]types.AttributeValue, name string) string {
	if n, ok := item[name].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return "0"
}

// handDecode reads a stored item into c.
func handDecode(item map[string]types.AttributeValue, c *benchCompany) error {
	c.ID = handString(item, "id")
	c.Name = handString(item, "name")
	c.Industry = handString(item, "industry")
	c.Founded = handString(item, "founded")
	c.Website = handString(item, "website")
	c.Email = handString(item, "email")
	var err error
	if c.Employees, err = strconv.Atoi(handNumber(item, "employees")); err != nil {
		return err
	}
	if c.Revenue, err = strconv.ParseFloat(handNumber(item, "revenue"), 64); err != nil {
		return err
	}
	if c.Score, err = strconv.ParseInt(handNumber(item, "score"), 10, 64); err != nil {
		return err
	}
	if b, ok := item["public"].(*types.AttributeValueMemberBOOL); ok {
		c.Public = b.Value
	}
	if c.CreatedAt, err = time.Parse(time.RFC3339, handString(item, "createdAt")); err != nil {
		return err
	}
	if c.UpdatedAt, err = time.Parse(time.RFC3339, handString(item, "updatedAt")); err != nil {
		return err
	}
	if l, ok := item["tags"].(*types.AttributeValueMemberL); ok {
		c.Tags = make([]string, len(l.Value))
		for i, v := range l.Value {
			s, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return fmt.Errorf("tags[%d] is %T", i, v)
			}
			c.Tags[i] = s.Value
		}
	}
	if m, ok := item["address"].(*types.AttributeValueMemberM); ok {
		c.Address.Street = handString(m.Value, "street")
		c.Address.City = handString(m.Value, "city")
		c.Address.Postcode = handString(m.Value, "postcode")
		c.Address.Country = handString(m.Value, "country")
	}
	if m, ok := item["metadata"].(*types.AttributeValueMemberM); ok {
		c.Metadata = make(map[string]string, len(m.Value))
		for k, v := range m.Value {
			s, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return fmt.Errorf("metadata.%s is %T", k, v)
			}
			c.Metadata[k] = s.Value
		}
	}
	return nil
}

// TestHandCodec checks that the hand-written baseline writes the item the
// repository writes and reads it back.
func TestHandCodec(t *testing.T) {
	env := newBenchEnv(t)
	c := benchFixture(3)
	w, err := env.repo.PlanPut(t.Context(), &c)
	if err != nil {
		t.Fatal(err)
	}
	put := w.Item()
	if got := handEncode(&c); !reflect.DeepEqual(got, put) {
		t.Errorf("handEncode = %v\nrepository: %v", got, put)
	}
	var back benchCompany
	if err := handDecode(put, &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("handDecode = %+v, %v; want %+v", back, err, c)
	}
}

// Allocation budgets of the repository's encode (PlanPut) and decode
// (Decode) of benchCompany, measured with the codec (Go 1.26, amd64). The
// goals of issue 12 are at most 1.35 times the hand-written encode's
// allocations and at most 4 more than the hand-written decode's; the
// budgets hold the codec to what it does today, well inside them, so that
// a regression fails here rather than in a benchmark nobody reads.
const (
	encodeAllocBudget = 29
	decodeAllocBudget = 4
)

// TestCodecAllocs guards the allocation counts of encode and decode.
func TestCodecAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("allocation counts differ under -cover")
	}
	env := newBenchEnv(t)
	ctx := t.Context()
	c := benchFixture(0)
	stored := benchStored(t, 0)
	hand := struct{ enc, dec float64 }{
		testing.AllocsPerRun(100, func() { _ = handEncode(&c) }),
		testing.AllocsPerRun(100, func() {
			var d benchCompany
			_ = handDecode(stored, &d)
		}),
	}
	enc := testing.AllocsPerRun(100, func() {
		if _, err := env.repo.PlanPut(ctx, &c); err != nil {
			t.Fatal(err)
		}
	})
	dec := testing.AllocsPerRun(100, func() {
		if _, err := env.repo.Decode(stored); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations: encode %.0f (hand-written %.0f), decode %.0f (hand-written %.0f)", enc, hand.enc, dec, hand.dec)
	if enc > encodeAllocBudget || enc > math.Ceil(1.35*hand.enc) {
		t.Errorf("PlanPut allocates %.0f times; budget %d, goal at most 1.35 × hand-written %.0f", enc, encodeAllocBudget, hand.enc)
	}
	if dec > decodeAllocBudget || dec > hand.dec+4 {
		t.Errorf("Decode allocates %.0f times; budget %d, goal at most hand-written %.0f + 4", dec, decodeAllocBudget, hand.dec)
	}
}

var _ = repository.EntityTypeAttribute
