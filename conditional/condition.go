package conditional

import (
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// Condition is a condition on an item's attributes, for [repository.If]:
//
//	repo.Delete(ctx, id, repository.If(conditional.Equal("status", "closed")))
//
// It is the expression package's condition builder; the functions below
// build it with attribute names taken literally (reserved words, dots and
// other odd characters are fine), and the expression package's own
// functions combine them (expression.And, expression.Or, expression.Not). The zero Condition is invalid and makes the
// write fail before sending.
type Condition = expression.ConditionBuilder

func name(attr string) expression.NameBuilder { return expression.NameNoDotSplit(attr) }

func cond(b expression.ConditionBuilder) Condition { return b }

// Exists holds when the item has attr.
func Exists(attr string) Condition { return cond(expression.AttributeExists(name(attr))) }

// NotExists holds when the item lacks attr.
func NotExists(attr string) Condition { return cond(expression.AttributeNotExists(name(attr))) }

// Equal holds when attr equals v.
func Equal(attr string, v any) Condition { return cond(name(attr).Equal(expression.Value(v))) }

// NotEqual holds when attr differs from v (or is absent).
func NotEqual(attr string, v any) Condition { return cond(name(attr).NotEqual(expression.Value(v))) }

// Op is a comparison operator for [Compare].
type Op int

// The comparison operators.
const (
	Less Op = iota
	LessOrEqual
	Greater
	GreaterOrEqual
)

// Compare holds when attr compares to v by op, e.g. Compare("stock", Greater, 0).
func Compare(attr string, op Op, v any) Condition {
	n, val := name(attr), expression.Value(v)
	switch op {
	case Less:
		return cond(n.LessThan(val))
	case LessOrEqual:
		return cond(n.LessThanEqual(val))
	case Greater:
		return cond(n.GreaterThan(val))
	case GreaterOrEqual:
		return cond(n.GreaterThanEqual(val))
	}
	return Condition{}
}

// Between holds when lo <= attr <= hi.
func Between(attr string, lo, hi any) Condition {
	return cond(name(attr).Between(expression.Value(lo), expression.Value(hi)))
}

// BeginsWith holds when the string attr starts with prefix.
func BeginsWith(attr, prefix string) Condition { return cond(name(attr).BeginsWith(prefix)) }

// Contains holds when the string attr contains v, or the set or list attr has the element v.
func Contains(attr string, v any) Condition { return cond(expression.Contains(name(attr), v)) }

// SizeOf holds when the size of attr (string length, bytes of a binary,
// elements of a collection) compares to n by op.
func SizeOf(attr string, op Op, n int) Condition {
	s, val := expression.Size(name(attr)), expression.Value(n)
	switch op {
	case Less:
		return cond(s.LessThan(val))
	case LessOrEqual:
		return cond(s.LessThanEqual(val))
	case Greater:
		return cond(s.GreaterThan(val))
	case GreaterOrEqual:
		return cond(s.GreaterThanEqual(val))
	}
	return Condition{}
}

// Type is a DynamoDB attribute type for [HasType].
type Type = expression.DynamoDBAttributeType

// The attribute types.
const (
	String    Type = expression.String
	StringSet Type = expression.StringSet
	Number    Type = expression.Number
	NumberSet Type = expression.NumberSet
	Binary    Type = expression.Binary
	BinarySet Type = expression.BinarySet
	Boolean   Type = expression.Boolean
	Null      Type = expression.Null
	List      Type = expression.List
	Map       Type = expression.Map
)

// HasType holds when attr is of type t.
func HasType(attr string, t Type) Condition { return cond(expression.AttributeType(name(attr), t)) }
