package itemsize_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/itemsize"
)

func TestCheck(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	m := func(k string, v types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{k: v}}
	}
	deep := func(levels int) types.AttributeValue {
		v := s("x")
		for range levels {
			v = m("m", v)
		}
		return v
	}
	tests := []struct {
		name string
		v    types.AttributeValue
		path string // "" with ok
		ok   bool
	}{
		{"string", s("日本"), "", true},
		{"invalid UTF-8", s("a\xff"), "a", false},
		{"numbers DynamoDB accepts", &types.AttributeValueMemberNS{Value: []string{"+1", ".5", "5.", "1E+5", "-0.25", "00012"}}, "", true},
		{"38 digits", n("12345678901234567890123456789012345678"), "", true},
		{"38 digits and trailing zeros", n("1234567890123456789012345678901234567800000"), "", true},
		{"39 digits", n("123456789012345678901234567890123456789"), "a", false},
		{"largest", n("9.9999999999999999999999999999999999999E+125"), "", true},
		{"overflow", n("1E+126"), "a", false},
		{"smallest", n("1E-130"), "", true},
		{"underflow", n("1E-131"), "a", false},
		{"NaN", n("NaN"), "a", false},
		{"Inf", n("+Inf"), "a", false},
		{"space", n(" 1"), "a", false},
		{"empty set", &types.AttributeValueMemberSS{}, "a", false},
		{"duplicate numbers", &types.AttributeValueMemberNS{Value: []string{"1", "1.0"}}, "a", false},
		{"duplicate binaries", &types.AttributeValueMemberBS{Value: [][]byte{{1}, {1}}}, "a", false},
		{"set element", &types.AttributeValueMemberSS{Value: []string{"x", "\xff"}}, "a[1]", false},
		{"list element", &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x"), n("NaN")}}, "a[1]", false},
		{"map value", m("k", m("j", n("1e999"))), "a.k.j", false},
		{"empty name", m("", s("x")), "a", false},
		{"long name", m(strings.Repeat("n", itemsize.MaxNameLen+1), s("x")), "a.nnnn", false},
		{"NULL false", &types.AttributeValueMemberNULL{}, "a", false},
		{"32 levels", deep(31), "", true},
		{"33 levels", deep(32), "a.m", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item := map[string]types.AttributeValue{"a": tt.v}
			size, f := itemsize.Check(item)
			if tt.ok {
				if f != nil {
					t.Fatalf("Check = %+v; want no fault", f)
				}
				if want := itemsize.Of(item); size != want {
					t.Errorf("Check size = %d; want %d, as Of", size, want)
				}
				return
			}
			if f == nil || !strings.HasPrefix(f.Path, tt.path) {
				t.Errorf("Check = %+v; want a fault at %q", f, tt.path)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	item := map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "0190c7d2-5c1e-7cc3-9a6e-1f0a6d3f2b11"},
		"n":  &types.AttributeValueMemberN{Value: "123.456"},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "a"}}},
		"m":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, f := itemsize.Check(item); f != nil {
			b.Fatal(f)
		}
	}
}
