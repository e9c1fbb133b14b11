package repository

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/avtime"
	"github.com/tablestakes/tablestakes/internal/itemsize"
)

// ErrInvalidValue reports a value DynamoDB would refuse or store altered,
// refused before any request. See [*ValueError].
var ErrInvalidValue = errors.New("repository: invalid value")

// MaxPageSize is the largest [Limit] [Repository.Page] accepts: a page is
// one response of an HTTP handler, not a bulk read (use [Repository.Query]).
const MaxPageSize = 1000

// ValueError reports a value the repository refuses before any request,
// because DynamoDB would refuse it or store something else: invalid UTF-8,
// a number over 38 significant digits or out of range, NaN or an infinity,
// an empty set or one with duplicates, an attribute name over 64 KB, nesting
// over 32 levels, a key over DynamoDB's byte limits (2048 bytes for a
// partition key, 1024 for a sort key) or of another type than its index
// declares, a time outside years 0000-9999.
type ValueError struct {
	// Attribute is the document path of the value, such as "name",
	// "address.city" or "tags[2]"; empty when unknown.
	Attribute string
	Reason    string
}

// Error describes the failure.
func (e *ValueError) Error() string {
	if e.Attribute == "" {
		return "repository: invalid value: " + e.Reason
	}
	return fmt.Sprintf("repository: invalid value of %q: %s", e.Attribute, e.Reason)
}

// Is makes a ValueError match [ErrInvalidValue].
func (e *ValueError) Is(target error) bool { return target == ErrInvalidValue }

// WithAttributes declares attributes that items hold besides the model's
// fields, such as a TTL attribute that only an Update sets. [Repository.Update]
// refuses a change to a top-level attribute that is neither a field of the
// model, a key or index attribute, nor declared here: a misspelt name would
// otherwise be written as a stray attribute. Nested paths ([Changes.SetPath])
// inside a declared map attribute are free-form.
func WithAttributes(attrs ...string) Option {
	return func(s *settings) { s.attrs = append(s.attrs, attrs...) }
}

// DynamoDB's key size limits in bytes.
const (
	maxPartitionKey = 2048
	maxSortKey      = 1024
)

// newEncoder returns the encoder of items and update values: attributevalue's,
// storing every time.Time as fixed-width UTC ([avtime.Layout]) so that
// string order is time order.
func newEncoder() *attributevalue.Encoder {
	return attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) { o.EncodeTime = encodeTime })
}

func encodeTime(t time.Time) (types.AttributeValue, error) {
	s, err := avtime.Format(t)
	if err != nil {
		return nil, &ValueError{Reason: err.Error()}
	}
	return &types.AttributeValueMemberS{Value: s}, nil
}

// TimeValue returns t as the repository stores it, for conditions built
// with the expression package ([If], [Filter]): expression.Value(t) would
// encode it in attributevalue's default form, which does not compare with
// the stored one.
//
//	repository.If(expression.Name("at").LessThan(expression.Value(repository.TimeValue(t))))
func TimeValue(t time.Time) types.AttributeValue {
	av, err := encodeTime(t)
	if err != nil {
		return &types.AttributeValueMemberS{Value: t.UTC().Format(time.RFC3339Nano)}
	}
	return av
}

// valueFault turns a fault found by itemsize.Check into a *ValueError.
func valueFault(prefix string, f *itemsize.Fault) error {
	attr := f.Path
	switch {
	case prefix == "":
	case attr == "":
		attr = prefix
	case attr[0] == '[':
		attr = prefix + attr
	default:
		attr = prefix + "." + attr
	}
	return &ValueError{Attribute: attr, Reason: f.Reason}
}

// checkItemSized enforces the declared bounds, the key limits of index key
// attributes and the 400 KB limit on an item whose values the codec has
// checked (see [ValueError]) and whose size is size. The codec leaves out
// top-level NULLs (a nil slice, map or pointer) rather than storing them:
// an absent attribute decodes to the same zero value, and [Changes.Append]
// and [Changes.Add] can then create it, which they cannot do to a NULL.
func (r *Repository[T]) checkItemSized(item map[string]types.AttributeValue, size int) error {
	for attr, bound := range r.s.bounds {
		if n := collectionLen(item[attr]); n > bound {
			return &GrowthError{Attribute: attr, Len: n, Bound: bound}
		}
	}
	for attr, limit := range r.keyLimits {
		if err := checkKeyValue(attr, item[attr], limit); err != nil {
			return err
		}
	}
	if size > itemsize.MaxItemSize {
		return &ItemTooLargeError{Table: r.table.Name, Size: size, Limit: itemsize.MaxItemSize}
	}
	return nil
}

// keyLimit is what DynamoDB requires of an index key attribute's value:
// its type, and at most bytes bytes.
type keyLimit struct {
	bytes int
	typ   types.ScalarAttributeType
}

// checkKeyValue refuses an index key value that DynamoDB refuses: one of
// another type than the index declares, an empty string or binary, or one
// over k.bytes bytes. An absent value (nil) leaves the item out of the index.
func checkKeyValue(attr string, v types.AttributeValue, k keyLimit) error {
	if v == nil {
		return nil
	}
	n, typ := 0, types.ScalarAttributeType("")
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		n, typ = len(v.Value), types.ScalarAttributeTypeS
	case *types.AttributeValueMemberB:
		n, typ = len(v.Value), types.ScalarAttributeTypeB
	case *types.AttributeValueMemberN:
		n, typ = 1, types.ScalarAttributeTypeN
	}
	want := k.typ
	if want == "" {
		want = types.ScalarAttributeTypeS
	}
	switch {
	case typ != want:
		return &ValueError{Attribute: attr, Reason: fmt.Sprintf("an index key of type %s holds a %s; leave the attribute out to keep the item out of the index", want, avType(v))}
	case n == 0:
		return &ValueError{Attribute: attr, Reason: "an empty index key value; DynamoDB refuses it (leave the attribute out, e.g. with omitempty, to keep the item out of the index)"}
	case n > k.bytes:
		return &ValueError{Attribute: attr, Reason: fmt.Sprintf("a key value of %d bytes; DynamoDB's limit is %d", n, k.bytes)}
	}
	return nil
}

// avType names the type of v as DynamoDB does (S, N, B, BOOL, ...).
func avType(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberS:
		return "S"
	case *types.AttributeValueMemberN:
		return "N"
	case *types.AttributeValueMemberB:
		return "B"
	case *types.AttributeValueMemberBOOL:
		return "BOOL"
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		return "SS"
	case *types.AttributeValueMemberNS:
		return "NS"
	case *types.AttributeValueMemberBS:
		return "BS"
	case *types.AttributeValueMemberL:
		return "L"
	case *types.AttributeValueMemberM:
		return "M"
	}
	return fmt.Sprintf("%T", v)
}

// checkKey refuses a composed table key over DynamoDB's limits, or a parent
// that is not valid UTF-8.
func (r *Repository[T]) checkKey(pk, sk, parent string) error {
	if parent != "" && !utf8.ValidString(parent) {
		return &ValueError{Attribute: r.s.parentAttr, Reason: "the parent is not valid UTF-8"}
	}
	if len(pk) > maxPartitionKey {
		return &ValueError{Attribute: r.table.PartitionKey.Name, Reason: fmt.Sprintf(
			"the partition key composed from the id would be %d bytes; DynamoDB's limit is %d", len(pk), maxPartitionKey)}
	}
	if len(sk) > maxSortKey {
		return &ValueError{Attribute: r.table.SortKey.Name, Reason: fmt.Sprintf(
			"the sort key composed from the id would be %d bytes; DynamoDB's limit is %d", len(sk), maxSortKey)}
	}
	return nil
}

// checkGuardKey refuses a unique value whose guard item's key would be over
// DynamoDB's partition key limit.
func (r *Repository[T]) checkGuardKey(attr, value string) error {
	if n := len("UNIQUE#") + len(r.entity) + 1 + len(attr) + 1 + len(value); n > maxPartitionKey {
		return &ValueError{Attribute: attr, Reason: fmt.Sprintf(
			"a unique value of %d bytes: its guard item's key would be %d bytes; DynamoDB's limit is %d", len(value), n, maxPartitionKey)}
	}
	return nil
}

// prepareChanges encodes the values of changes once, with the repository's
// encoder (so that times are stored as Create stores them), and checks them
// before any request: every top-level attribute must be declared (see
// [WithAttributes]); every value must be valid (see [ValueError]); index key
// attributes must fit DynamoDB's key limits; and the key plus the SET values
// must fit in 400 KB. The size of the item after the update also depends on
// the attributes it keeps, which only DynamoDB knows: an update within the
// limit here that makes the stored item too large is refused by DynamoDB,
// and [Repository.Update] reports that as [ErrItemTooLarge] too.
//
// Setting an attribute to a null value (nil) becomes its removal, as
// [Repository.Create] leaves null attributes out.
func (r *Repository[T]) prepareChanges(key map[string]types.AttributeValue, changes Changes) (Changes, error) {
	ops := make([]change, len(changes.ops))
	size := itemsize.Of(key)
	for i, ch := range changes.ops {
		if !utf8.ValidString(ch.name) {
			// DynamoDB would write U+FFFD in its place: another attribute.
			return Changes{}, &ValueError{Attribute: strings.ToValidUTF8(ch.name, "\uFFFD"), Reason: fmt.Sprintf("the attribute name or path %q is not valid UTF-8", ch.name)}
		}
		top := ch.top()
		if top != "" && !r.declared[top] {
			return Changes{}, &UpdateError{Attribute: top, Reason: fmt.Sprintf(
				"%s has no such attribute (declare attributes stored besides the model's fields WithAttributes)", r.model)}
		}
		var av types.AttributeValue
		switch ch.kind {
		case chRemove:
			ops[i] = ch
			continue
		case chAppend:
			l := &types.AttributeValueMemberL{Value: make([]types.AttributeValue, len(ch.values))}
			for j, v := range ch.values {
				e, err := r.encodeValue(v)
				if err != nil {
					return Changes{}, r.encodeFault(ch.name, err)
				}
				l.Value[j] = e
			}
			av = l
		default:
			e, err := r.encodeValue(ch.value)
			if err != nil {
				return Changes{}, r.encodeFault(ch.name, err)
			}
			av = e
		}
		n, f := itemsize.CheckValue(av)
		if f != nil {
			return Changes{}, valueFault(ch.name, f)
		}
		if _, null := av.(*types.AttributeValueMemberNULL); null && ch.kind == chSet {
			ch.kind, ch.value = chRemove, nil
			ops[i] = ch
			continue
		}
		if limit, ok := r.keyLimits[ch.name]; ok && ch.kind == chSet && !emptyKey(av) {
			// (An empty one is removed instead, as Create leaves it out.)
			if err := checkKeyValue(ch.name, av, limit); err != nil {
				return Changes{}, err
			}
		}
		if ch.kind == chSet || ch.kind == chSetPath || ch.kind == chAppend {
			size += len(ch.name) + n
		}
		ch.value = av
		ops[i] = ch
	}
	if size > itemsize.MaxItemSize {
		return Changes{}, &ItemTooLargeError{Table: r.table.Name, Size: size, Limit: itemsize.MaxItemSize}
	}
	return Changes{ops: ops}, nil
}

// encodeFault names the attribute of an encoding failure.
func (r *Repository[T]) encodeFault(attr string, err error) error {
	var ve *ValueError
	if errors.As(err, &ve) && ve.Attribute == "" {
		return &ValueError{Attribute: attr, Reason: ve.Reason}
	}
	return fmt.Errorf("repository: encode %q: %w", attr, err)
}

// sizeRefusal maps DynamoDB's refusal of an update that makes the item too
// large ("Item size to update has exceeded the maximum allowed size") to an
// [*ItemTooLargeError] of unknown size.
func (r *Repository[T]) sizeRefusal(err error) error {
	const refusal = "exceeded the maximum allowed size"
	var (
		ae smithy.APIError
		te *TxError
	)
	switch {
	case errors.As(err, &te) && te.Reason == "ValidationError" && strings.Contains(te.Message, refusal),
		errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" && strings.Contains(ae.ErrorMessage(), refusal):
		// Sent alone or, exactly once, as a one-item transaction.
		return &ItemTooLargeError{Table: r.table.Name, Size: -1, Limit: itemsize.MaxItemSize, Err: err}
	}
	return err
}

// checkLimit refuses a [Limit] out of range: negative anywhere, over
// [MaxPageSize] for a page.
func checkLimit(c call, page bool) error {
	switch {
	case c.limit < 0:
		return fmt.Errorf("%w: Limit(%d): a limit is positive (0 means none)", ErrInvalidValue, c.limit)
	case page && c.limit > MaxPageSize:
		return fmt.Errorf("%w: Limit(%d): a page holds at most %d items (MaxPageSize); range over Query for more", ErrInvalidValue, c.limit, MaxPageSize)
	}
	return nil
}

// initDeclarations resolves the model's attributes at New and checks the
// declarations that name them: bounds only on collections, derived inputs
// and unique attributes that are fields of the model, no unique attribute
// that is also derived. It also notes the key limits of index key
// attributes: a key attribute of any index is held to the limit of the key
// it is (1024 bytes for a sort key, 2048 for a partition key), whether or
// not the item is in that index.
func (r *Repository[T]) initDeclarations() error {
	bad := func(format string, args ...any) error {
		return &ModelError{Model: r.model, Reason: fmt.Sprintf(format, args...)}
	}
	r.declared = map[string]bool{}
	for name := range r.fields {
		r.declared[name] = true
	}
	for _, a := range r.s.attrs {
		if a == "" {
			return bad("WithAttributes(%q): empty attribute name", a)
		}
		r.declared[a] = true
	}
	for _, a := range r.table.KeyAttributes() {
		r.declared[a] = true
	}
	for _, a := range r.indexAttrs {
		r.declared[a] = true
	}
	derived := map[string]string{}
	for _, d := range r.derived {
		r.declared[d.attr] = true
		derived[d.attr] = "Derive"
		for _, in := range d.inputs {
			if _, ok := r.fields[in]; !ok && !slices.Contains(r.s.attrs, in) {
				return bad("Derive(%q): input %q is not an attribute of the model", d.attr, in)
			}
		}
	}
	for _, k := range r.s.indexKeys {
		r.declared[k.attr] = true
		derived[k.attr] = "WithIndexKey"
	}
	for attr := range r.s.bounds {
		f, ok := r.fields[attr]
		switch {
		case !ok && slices.Contains(r.s.attrs, attr):
		case !ok:
			return bad("WithBound(%q): no field encodes as it", attr)
		case f.set:
		case f.typ.Kind() == reflect.Map, f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() != reflect.Uint8,
			f.typ.Kind() == reflect.Array && f.typ.Elem().Kind() != reflect.Uint8:
		default:
			return bad("WithBound(%q): field is %s; a bound applies to a list, map or set", attr, f.typ)
		}
	}
	for _, u := range r.s.uniques {
		if how, ok := derived[u]; ok {
			return bad("WithUnique(%q): it is computed (%s); an Update of its inputs would not move its guard: "+
				"make the input unique, or compute the value in the caller", u, how)
		}
		if _, ok := r.fields[u]; !ok && u != "" && !slices.Contains(r.table.KeyAttributes(), u) {
			return bad("WithUnique(%q): no field encodes as it", u)
		}
	}
	r.keyLimits = map[string]keyLimit{}
	for _, ix := range r.table.Indexes {
		pk, sk, _ := r.table.KeysOf(ix.Name)
		for _, k := range []struct {
			key   index.Key
			limit int
		}{{pk, maxPartitionKey}, {sk, maxSortKey}} {
			if k.key.IsZero() || slices.Contains(r.table.KeyAttributes(), k.key.Name) {
				continue
			}
			if l, ok := r.keyLimits[k.key.Name]; !ok || k.limit < l.bytes {
				r.keyLimits[k.key.Name] = keyLimit{bytes: k.limit, typ: k.key.Type}
			}
		}
	}
	return nil
}
