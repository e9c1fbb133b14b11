package index

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/avtime"
)

// AccessPattern is a named way to read many items: one partition of the base
// table or of one declared index, optionally narrowed by a sort key
// condition. Multi-item reads go through access patterns only (principle 8).
//
// List a table's patterns in [Table.Patterns] so that [Verify] and
// [Table.Validate] check them; the repository queries only patterns listed
// there. Build queries with [AccessPattern.Partition].
type AccessPattern struct {
	// Name says what the pattern is for, e.g. "companies by industry,
	// newest first". It also binds pagination cursors to the pattern.
	Name string
	// Index is the GSI or LSI the pattern reads; empty for the base table.
	Index string
	// Descending returns items in descending sort key order.
	Descending bool
	// PartitionPrefix is prepended to string partition values, so that
	// Partition("fintech") reads "INDUSTRY#fintech" when it is "INDUSTRY#".
	PartitionPrefix string
	// SortPrefix is prepended to string sort key values in conditions, and
	// a query returns only the items whose sort key begins with it: one
	// kind of item of the partition, such as a company's reports under
	// "REPORT#" (see repository.WithParent). Without a sort condition, or
	// with Eq, Between or BeginsWith, it reads only those; a range
	// condition (Lt, Le, Gt, Ge) may read past them, and the repository
	// drops what it read beyond, as a filter would.
	SortPrefix string
	// Reads lists the attributes the pattern's callers read. [Verify] and
	// [Table.Validate] fail when the index does not project one of them.
	// Empty means "whatever the index projects".
	Reads []string
}

// Children returns the access pattern over the base table that reads one
// parent's children: the items keyed by the templates partition and sort
// (those given to repository.WithKeys), in sort key order (descending when
// descending is true). Its PartitionPrefix and SortPrefix are the
// templates' literal prefixes, so that they cannot disagree with the keys
// the items are written under:
//
//	const reportPK, reportSK index.Template = "COMPANY#{companyId}", "REPORT#{id}"
//	var reportsOf = index.Children("a company's reports, newest first", reportPK, reportSK, true)
func Children(name string, partition, sort Template, descending bool) AccessPattern {
	return AccessPattern{Name: name, PartitionPrefix: partition.Prefix(), SortPrefix: sort.Prefix(), Descending: descending}
}

// Partition returns a query of the partition whose key is value (a string,
// number or []byte matching the key's declared type).
func (p AccessPattern) Partition(value any) Query {
	return Query{Pattern: p, Value: value}
}

// check reports whether p can run on t.
func (p AccessPattern) check(t Table) error {
	if p.Name == "" {
		return fmt.Errorf("%w: pattern on table %q has no name", ErrInvalidPattern, t.Name)
	}
	if p.Index == "" {
		return nil
	}
	ix, ok := t.Index(p.Index)
	if !ok {
		return fmt.Errorf("%w: pattern %q reads index %q, which table %q does not declare",
			ErrUndeclaredIndex, p.Name, p.Index, t.Name)
	}
	if missing := t.unprojected(ix, p.Reads); len(missing) > 0 {
		return fmt.Errorf("%w: pattern %q reads %v, which index %q does not project",
			ErrInvalidPattern, p.Name, missing, p.Index)
	}
	return nil
}

// Check reports whether p can run on t: its index is declared and projects
// every attribute p reads. The error matches [ErrUndeclaredIndex] or
// [ErrInvalidPattern].
func (t Table) Check(p AccessPattern) error { return p.check(t) }

// unprojected returns the attributes of reads that ix does not project.
func (t Table) unprojected(ix Index, reads []string) []string {
	if ix.Projection.ProjectionType() == types.ProjectionTypeAll {
		return nil
	}
	have := map[string]bool{}
	pk, sk, _ := t.KeysOf(ix.Name)
	for _, k := range []Key{t.PartitionKey, t.SortKey, pk, sk} {
		have[k.Name] = true
	}
	if ix.Projection.ProjectionType() == types.ProjectionTypeInclude {
		for _, a := range ix.Projection.Attributes {
			have[a] = true
		}
	}
	var missing []string
	for _, a := range reads {
		if !have[a] {
			missing = append(missing, a)
		}
	}
	return missing
}

// Query is one partition of an [AccessPattern] with an optional sort key
// condition. Build it with [AccessPattern.Partition] and [Query.Where].
type Query struct {
	// Pattern is the access pattern the query runs through.
	Pattern AccessPattern
	// Value is the partition key value, before Pattern.PartitionPrefix.
	Value any
	// Sort narrows the partition; the zero value matches every item.
	Sort SortCondition
}

// Where returns a copy of q narrowed by the sort key condition c.
func (q Query) Where(c SortCondition) Query {
	q.Sort = c
	return q
}

// PartitionValue returns the partition key value with the pattern's prefix applied.
func (q Query) PartitionValue() (any, error) {
	return prefixed(q.Pattern.PartitionPrefix, q.Value, "partition")
}

// KeyCondition returns the key condition of q on table t. It fails with
// [ErrUndeclaredIndex] when the pattern's index is not declared on t, and
// with [ErrInvalidPattern] when the partition value is missing, a sort
// condition is given for an index without a sort key, a prefix is applied
// to a non-string value, or [BeginsWith] is used on a number sort key.
func (q Query) KeyCondition(t Table) (expression.KeyConditionBuilder, error) {
	var none expression.KeyConditionBuilder
	if err := q.Pattern.check(t); err != nil {
		return none, err
	}
	pk, sk, err := t.KeysOf(q.Pattern.Index)
	if err != nil {
		return none, err
	}
	if q.Value == nil {
		return none, fmt.Errorf("%w: pattern %q: no partition value", ErrInvalidPattern, q.Pattern.Name)
	}
	pv, err := q.PartitionValue()
	if err != nil {
		return none, err
	}
	kc := expression.Key(pk.Name).Equal(expression.Value(pv))
	if q.Sort.op == sortNone && q.Pattern.SortPrefix == "" {
		return kc, nil
	}
	if sk.IsZero() {
		return none, fmt.Errorf("%w: pattern %q: sort condition or prefix on an index without a sort key",
			ErrInvalidPattern, q.Pattern.Name)
	}
	if q.Sort.op == sortNone {
		// The pattern reads one kind of item of the partition.
		if sk.ScalarType() != types.ScalarAttributeTypeS {
			return none, fmt.Errorf("%w: pattern %q: sort prefix %q on %s sort key %q",
				ErrInvalidPattern, q.Pattern.Name, q.Pattern.SortPrefix, sk.ScalarType(), sk.Name)
		}
		return kc.And(expression.Key(sk.Name).BeginsWith(q.Pattern.SortPrefix)), nil
	}
	vals := make([]any, len(q.Sort.values))
	for i, v := range q.Sort.values {
		if vals[i], err = prefixed(q.Pattern.SortPrefix, v, "sort"); err != nil {
			return none, err
		}
	}
	key := expression.Key(sk.Name)
	var sc expression.KeyConditionBuilder
	switch q.Sort.op {
	case sortEq:
		sc = key.Equal(expression.Value(vals[0]))
	case sortLt:
		sc = key.LessThan(expression.Value(vals[0]))
	case sortLe:
		sc = key.LessThanEqual(expression.Value(vals[0]))
	case sortGt:
		sc = key.GreaterThan(expression.Value(vals[0]))
	case sortGe:
		sc = key.GreaterThanEqual(expression.Value(vals[0]))
	case sortBetween:
		sc = key.Between(expression.Value(vals[0]), expression.Value(vals[1]))
	case sortBeginsWith:
		s, ok := vals[0].(string)
		if !ok || sk.ScalarType() == types.ScalarAttributeTypeN {
			return none, fmt.Errorf("%w: pattern %q: begins_with needs a string and a string or binary sort key", ErrInvalidPattern, q.Pattern.Name)
		}
		sc = key.BeginsWith(s)
	}
	return kc.And(sc), nil
}

func prefixed(prefix string, v any, what string) (any, error) {
	if t, ok := v.(time.Time); ok {
		// Compare with times as the repository stores them.
		s, err := avtime.Format(t)
		if err != nil {
			return nil, fmt.Errorf("%w: %s value: %v", ErrInvalidPattern, what, err)
		}
		v = s
	}
	if prefix == "" {
		return v, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: %s prefix %q applies to strings, not %T", ErrInvalidPattern, what, prefix, v)
	}
	return prefix + s, nil
}

type sortOp int

const (
	sortNone sortOp = iota
	sortEq
	sortLt
	sortLe
	sortGt
	sortGe
	sortBetween
	sortBeginsWith
)

// SortCondition narrows a [Query] by its sort key. The zero value matches
// every item of the partition.
type SortCondition struct {
	op     sortOp
	values []any
}

// Eq matches sort keys equal to v.
func Eq(v any) SortCondition { return SortCondition{sortEq, []any{v}} }

// Lt matches sort keys less than v.
func Lt(v any) SortCondition { return SortCondition{sortLt, []any{v}} }

// Le matches sort keys less than or equal to v.
func Le(v any) SortCondition { return SortCondition{sortLe, []any{v}} }

// Gt matches sort keys greater than v.
func Gt(v any) SortCondition { return SortCondition{sortGt, []any{v}} }

// Ge matches sort keys greater than or equal to v.
func Ge(v any) SortCondition { return SortCondition{sortGe, []any{v}} }

// Between matches sort keys from lo to hi inclusive.
func Between(lo, hi any) SortCondition { return SortCondition{sortBetween, []any{lo, hi}} }

// BeginsWith matches string sort keys starting with prefix.
func BeginsWith(prefix string) SortCondition { return SortCondition{sortBeginsWith, []any{prefix}} }

// IsZero reports whether c matches every item.
func (c SortCondition) IsZero() bool { return c.op == sortNone }

// String returns a readable form of c, for logs and cursors.
func (c SortCondition) String() string {
	names := [...]string{"", "=", "<", "<=", ">", ">=", "between", "begins_with"}
	return fmt.Sprint(names[c.op], c.values)
}
