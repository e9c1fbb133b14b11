package repository

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/cursor"
)

// Member is one entity type of a [Collection]: the repository that owns
// its items and where they go. Make one with [Into].
type Member struct {
	table      string
	entityType string
	// owns, add and fits are the repository's: whether an item is of its
	// type, decoding and appending one, and whether a partition can hold
	// its items.
	owns func(map[string]types.AttributeValue) bool
	add  func(map[string]types.AttributeValue) error
	fits func(partition any) bool
	// reader is the repository, for the first member, which reads.
	reader collectionReader
}

// collectionReader is what the first member's repository does for a
// collection: build the query, send it, sign its cursors.
type collectionReader interface {
	queryInput(q index.Query, c call) (*dynamodb.QueryInput, error)
	binding(q index.Query) (string, error)
	codec() *cursor.Codec
	query(ctx context.Context, in *dynamodb.QueryInput, c call) (*dynamodb.QueryOutput, error)
}

// Into returns the member of a collection whose items are r's, decoded as
// T and appended to *dst.
func Into[T any](r *Repository[T], dst *[]T) Member {
	if r == nil || dst == nil {
		return Member{}
	}
	m := Member{table: r.table.Name, entityType: r.entityType, owns: r.owns, reader: r}
	m.add = func(item map[string]types.AttributeValue) error {
		var t T
		if err := r.decodeInto(item, &t); err != nil {
			return err
		}
		*dst = append(*dst, t)
		return nil
	}
	m.fits = func(partition any) bool {
		s, ok := partition.(string)
		return !ok || r.pk.Matches(s)
	}
	return m
}

// Collection reads a partition that holds items of several entity types —
// a company and its latest reports, an account and its orders — with one
// Query per page, and hands each item to the member of its type (principles
// 2 and 5: one request serves what a page shows). Items of no member's type
// are skipped ([Skipped]). The zero Collection has no members; build one
// with [NewCollection].
//
//	var stats []Stats
//	var latest []Report
//	company, err := repository.NewCollection(repository.Into(statsRepo, &stats), repository.Into(reports, &latest))
//	next, err := company.Page(ctx, companyPartition.Partition(id), "", repository.Limit(21))
type Collection struct {
	members []Member
}

// NewCollection returns the collection of members, which must be of
// distinct entity types in one table. It returns an error matching
// [ErrInvalidModel] otherwise, or without members. The first member's
// repository reads: its client sends the queries and its cursor secret
// ([WithCursorSecret]) signs the cursors.
func NewCollection(members ...Member) (*Collection, error) {
	if len(members) == 0 {
		return nil, &ModelError{Model: "Collection", Reason: "no members"}
	}
	seen := map[string]bool{}
	for i, m := range members {
		switch {
		case m.add == nil:
			return nil, &ModelError{Model: "Collection", Reason: fmt.Sprintf("member %d: Into with a nil repository or destination", i)}
		case m.table != members[0].table:
			return nil, &ModelError{Model: "Collection", Reason: fmt.Sprintf("member %d reads table %q, not %q", i, m.table, members[0].table)}
		case seen[m.entityType]:
			return nil, &ModelError{Model: "Collection", Reason: fmt.Sprintf("two members of entity type %q", m.entityType)}
		}
		seen[m.entityType] = true
	}
	return &Collection{members: slices.Clone(members)}, nil
}

// Page reads one page of q, starting at the cursor after (empty for the
// first page), handing up to [Limit] items ([DefaultPageSize] by default),
// counted across members, to their members in the access pattern's order.
// It returns the cursor of the next page, empty when there is none.
// Cursors are signed and bound to the table, pattern and partition, as
// [Repository.Page]'s are.
//
// It returns [index.ErrInvalidPattern] or [index.ErrUndeclaredIndex] for a
// query the table does not declare, or whose partition cannot hold one of
// the members' items; [ErrInvalidValue] for a [Limit] that is negative or
// over [MaxPageSize]; an error matching [ErrInvalidCursor]; a member's
// decode error; or the SDK's error. Items handed over before an error stay
// in the members' slices.
func (col *Collection) Page(ctx context.Context, q index.Query, after Cursor, opts ...CallOption) (Cursor, error) {
	if col == nil || len(col.members) == 0 {
		return "", &ModelError{Model: "Collection", Reason: "no members"}
	}
	c := newCall(opts)
	if err := checkLimit(c, true); err != nil {
		return "", err
	}
	size := c.limit
	if size <= 0 {
		size = DefaultPageSize
	}
	rd := col.members[0].reader
	in, err := col.input(q, c)
	if err != nil {
		return "", err
	}
	binding, err := rd.binding(q)
	if err != nil {
		return "", err
	}
	if after != "" {
		start, err := rd.codec().Decode(binding, string(after))
		if err != nil {
			reason := err.Error()
			var ce *cursor.Error
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			return "", &CursorError{Reason: reason, Err: err}
		}
		in.ExclusiveStartKey = start
	}
	n := 0
	for {
		in.Limit = aws.Int32(int32(min(size-n, 1<<30)))
		out, err := rd.query(ctx, in, c)
		if err != nil {
			return "", err
		}
		for _, item := range out.Items {
			m := col.member(item)
			if m == nil {
				c.skip()
				continue
			}
			if err := m.add(item); err != nil {
				return "", err
			}
			n++
		}
		if len(out.LastEvaluatedKey) == 0 {
			return "", nil
		}
		if n >= size {
			next, err := rd.codec().Encode(binding, out.LastEvaluatedKey)
			if err != nil {
				return "", fmt.Errorf("repository: encode cursor: %w", err)
			}
			return Cursor(next), nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// All reads every page of q, handing each item to its member, and stops
// at the first error, which it returns. See [Collection.Page].
func (col *Collection) All(ctx context.Context, q index.Query, opts ...CallOption) error {
	var after Cursor
	for {
		next, err := col.Page(ctx, q, after, opts...)
		if err != nil || next == "" {
			return err
		}
		after = next
	}
}

// Pages returns the cursors of successive pages of q as it reads them, for
// callers that handle each page before the next is read; the iterator
// stops after the last page or the first error, which it yields.
func (col *Collection) Pages(ctx context.Context, q index.Query, opts ...CallOption) iter.Seq2[Cursor, error] {
	return func(yield func(Cursor, error) bool) {
		var after Cursor
		for {
			next, err := col.Page(ctx, q, after, opts...)
			if !yield(next, err) || err != nil || next == "" {
				return
			}
			after = next
		}
	}
}

// member returns the member whose type item is, or nil.
func (col *Collection) member(item map[string]types.AttributeValue) *Member {
	for i := range col.members {
		if col.members[i].owns(item) {
			return &col.members[i]
		}
	}
	return nil
}

// input builds the query and checks that its partition can hold every
// member's items.
func (col *Collection) input(q index.Query, c call) (*dynamodb.QueryInput, error) {
	in, err := col.members[0].reader.queryInput(q, c)
	if err != nil {
		return nil, err
	}
	if q.Pattern.Index == "" {
		pv, err := q.PartitionValue()
		if err != nil {
			return nil, err
		}
		for _, m := range col.members {
			if !m.fits(pv) {
				return nil, fmt.Errorf("%w: pattern %q reads partition %v, which cannot hold %s items",
					index.ErrInvalidPattern, q.Pattern.Name, pv, m.entityType)
			}
		}
	}
	if len(c.project) > 0 {
		// Each member needs what tells its items apart.
		return nil, fmt.Errorf("%w: a collection reads whole items; declare a narrower index projection instead of Project",
			index.ErrInvalidPattern)
	}
	return in, nil
}

// codec returns the repository's cursor codec.
func (r *Repository[T]) codec() *cursor.Codec { return r.cursors }

// query sends one Query and reports its capacity.
func (r *Repository[T]) query(ctx context.Context, in *dynamodb.QueryInput, c call) (*dynamodb.QueryOutput, error) {
	out, err := r.client.Query(ctx, in, c.sdk...)
	if err != nil {
		return nil, fmt.Errorf("repository: Query %q: %w", r.table.Name, err)
	}
	r.report(ctx, c, "Query", out.ConsumedCapacity)
	return out, nil
}
