package conditional_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/conditional"
)

func TestConditions(t *testing.T) {
	tests := []struct {
		name  string
		cond  conditional.Condition
		want  string
		names map[string]string
	}{
		{"exists", conditional.Exists("status"), "attribute_exists (#0)", map[string]string{"#0": "status"}},
		{"not exists", conditional.NotExists("a.b"), "attribute_not_exists (#0)", map[string]string{"#0": "a.b"}},
		{"equal", conditional.Equal("name", "x"), "#0 = :0", map[string]string{"#0": "name"}},
		{"not equal", conditional.NotEqual("name", "x"), "#0 <> :0", map[string]string{"#0": "name"}},
		{"less", conditional.Compare("n", conditional.Less, 1), "#0 < :0", map[string]string{"#0": "n"}},
		{"less or equal", conditional.Compare("n", conditional.LessOrEqual, 1), "#0 <= :0", map[string]string{"#0": "n"}},
		{"greater", conditional.Compare("n", conditional.Greater, 1), "#0 > :0", map[string]string{"#0": "n"}},
		{"greater or equal", conditional.Compare("n", conditional.GreaterOrEqual, 1), "#0 >= :0", map[string]string{"#0": "n"}},
		{"between", conditional.Between("n", 1, 5), "#0 BETWEEN :0 AND :1", map[string]string{"#0": "n"}},
		{"begins with", conditional.BeginsWith("sk", "YEAR#"), "begins_with (#0, :0)", map[string]string{"#0": "sk"}},
		{"contains", conditional.Contains("tags", "x"), "contains (#0, :0)", map[string]string{"#0": "tags"}},
		{"size <", conditional.SizeOf("tags", conditional.Less, 10), "size (#0) < :0", map[string]string{"#0": "tags"}},
		{"size <=", conditional.SizeOf("tags", conditional.LessOrEqual, 10), "size (#0) <= :0", map[string]string{"#0": "tags"}},
		{"size >", conditional.SizeOf("tags", conditional.Greater, 0), "size (#0) > :0", map[string]string{"#0": "tags"}},
		{"size >=", conditional.SizeOf("tags", conditional.GreaterOrEqual, 1), "size (#0) >= :0", map[string]string{"#0": "tags"}},
		{"type", conditional.HasType("n", conditional.Number), "attribute_type (#0, :0)", map[string]string{"#0": "n"}},
		{"and", expression.And(conditional.Exists("a"), conditional.Exists("b"), conditional.Exists("c")),
			"(attribute_exists (#0)) AND (attribute_exists (#1)) AND (attribute_exists (#2))", map[string]string{"#0": "a", "#1": "b", "#2": "c"}},
		{"or", expression.Or(conditional.Exists("a"), conditional.Exists("b")),
			"(attribute_exists (#0)) OR (attribute_exists (#1))", map[string]string{"#0": "a", "#1": "b"}},
		{"not", expression.Not(conditional.Exists("a")), "NOT (attribute_exists (#0))", map[string]string{"#0": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := expression.NewBuilder().WithCondition(tt.cond).Build()
			if err != nil {
				t.Fatalf("Build() error = %v", err)
			}
			if got := *e.Condition(); got != tt.want {
				t.Errorf("Condition() = %q; want %q", got, tt.want)
			}
			for k, v := range tt.names {
				if e.Names()[k] != v {
					t.Errorf("Names()[%s] = %q; want %q", k, e.Names()[k], v)
				}
			}
		})
	}
}

func TestConditionValues(t *testing.T) {
	e, err := expression.NewBuilder().WithCondition(conditional.HasType("n", conditional.StringSet)).Build()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := e.Values()[":0"].(*types.AttributeValueMemberS); !ok || v.Value != "SS" {
		t.Errorf("attribute_type value = %#v; want S SS", e.Values()[":0"])
	}
}

func TestZeroConditionFailsToBuild(t *testing.T) {
	var zero conditional.Condition
	if _, err := expression.NewBuilder().WithCondition(zero).Build(); err == nil {
		t.Error("Build() of the zero Condition succeeded; want an error")
	}
	if _, err := expression.NewBuilder().WithCondition(conditional.Compare("n", conditional.Op(99), 1)).Build(); err == nil {
		t.Error("Build() of an unknown operator succeeded; want an error")
	}
}
