package itemsize_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/itemsize"
)

func TestValue(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	tests := []struct {
		name string
		v    types.AttributeValue
		want int
	}{
		{"string", s("hello"), 5},
		{"unicode string", s("日本"), 6},
		{"empty string", s(""), 0},
		{"binary", &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}, 3},
		{"bool", &types.AttributeValueMemberBOOL{Value: true}, 1},
		{"null", &types.AttributeValueMemberNULL{Value: true}, 1},
		{"zero", n("0"), 1},
		{"negative zero", n("-0.0"), 1},
		{"one", n("1"), 2},
		{"ten", n("10"), 2},
		{"hundred", n("100"), 2},
		{"thousand", n("1000"), 2},
		{"12345", n("12345"), 4},
		{"one and a half", n("1.5"), 3},
		{"half", n("0.5"), 2},
		{"0.05", n("0.05"), 2},
		{"0.001", n("0.001"), 2},
		{"exponent", n("1E+3"), 2},
		{"small exponent", n("1.23E-7"), 3},
		{"negative", n("-7"), 3},
		{"negative decimal", n("-123.456"), 6},
		{"38 digits", n("12345678901234567890123456789012345678"), 20},
		{"malformed", n("abc"), 3},
		{"string set", &types.AttributeValueMemberSS{Value: []string{"a", "bcd"}}, 4},
		{"number set", &types.AttributeValueMemberNS{Value: []string{"1", "12345"}}, 6},
		{"binary set", &types.AttributeValueMemberBS{Value: [][]byte{{1, 2}, {3}}}, 3},
		{"empty list", &types.AttributeValueMemberL{}, 3},
		{"list", &types.AttributeValueMemberL{Value: []types.AttributeValue{s("xyz"), n("42")}}, 3 + 1 + 3 + 1 + 2},
		{"map", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": s("xyz"), "bb": n("42")}}, 3 + 1 + 1 + 3 + 1 + 2 + 2},
		{"nested", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberL{}}}, 3 + 1 + 3},
		{"nil", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := itemsize.Value(tt.v); got != tt.want {
				t.Errorf("Value(%v) = %d; want %d", tt.v, got, tt.want)
			}
		})
	}
}

func TestOfCountsNames(t *testing.T) {
	item := map[string]types.AttributeValue{
		"pk":   &types.AttributeValueMemberS{Value: "COMPANY#1"},
		"näme": &types.AttributeValueMemberS{Value: "Acme"},
	}
	if got, want := itemsize.Of(item), 2+9+5+4; got != want {
		t.Errorf("Of(%v) = %d; want %d", item, got, want)
	}
}

func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "1E+3", "1e-130", "12345678901234567890", "", "-", ".", "1e99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := itemsize.Value(&types.AttributeValueMemberN{Value: s}); got < 0 || got > max(len(s), 1)+2 {
			t.Fatalf("Value(N %q) = %d; want within [0, %d]", s, got, max(len(s), 1)+2)
		}
	})
}

func BenchmarkOf(b *testing.B) {
	item := map[string]types.AttributeValue{}
	for i := range 25 {
		item["attribute"+strings.Repeat("x", i)] = &types.AttributeValueMemberS{Value: strings.Repeat("v", 40)}
	}
	item["count"] = &types.AttributeValueMemberN{Value: "123456.789"}
	item["address"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"street": &types.AttributeValueMemberS{Value: "1 Main St"},
		"city":   &types.AttributeValueMemberS{Value: "Springfield"},
	}}
	item["tags"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{
		&types.AttributeValueMemberS{Value: "a"}, &types.AttributeValueMemberS{Value: "b"},
	}}
	b.ReportAllocs()
	for b.Loop() {
		itemsize.Of(item)
	}
}
