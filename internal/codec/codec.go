package codec

import (
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/avtime"
)

// Codec encodes values of one struct type as items and decodes items into
// them. It is planned once ([New], [For]) and safe for concurrent use.
type Codec struct {
	t    reflect.Type
	root *node
	// known are attributes that items hold besides the fields and that
	// are no field's name under case folding ([Codec.Known]).
	known []string
}

// Known returns a codec of the same type told that items hold the named
// attributes besides the type's fields (table keys, say): a decoded item
// whose every attribute is a field's or one of these needs no search for
// fields named alike under case folding, which attributevalue's decoder
// does for any other attribute.
func (c *Codec) Known(names ...string) *Codec {
	k := *c
	k.known = nil
	for _, name := range names {
		if _, ok := c.root.fieldByName(name); !ok && c.root.kind == kStruct {
			k.known = append(k.known, name)
		}
	}
	return &k
}

// Known is [Codec.Known].
func (c *Typed[T]) Known(names ...string) *Typed[T] { return &Typed[T]{c.c.Known(names...)} }

// New returns the codec of the struct type t, planned on first use and
// cached. It returns a [*ModelError] for what it would not encode as
// attributevalue does: the struct tag options omitemptyelem, nullempty and
// nullemptyelem; string, set or unixtime options on a type they do not
// apply to, or on a Marshaler or interface; a set whose elements are not
// strings, numbers or binaries as tagged; map keys that are not strings,
// numbers, bools or TextMarshalers (or cannot be decoded); an embedded
// unexported non-struct field; an attribute name over 64 KB or not valid
// UTF-8.
func New(t reflect.Type) (*Codec, error) {
	if v, ok := cache.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*Codec), nil
	}
	c, err := plan(t)
	if err != nil {
		cache.Store(t, err)
		return nil, err
	}
	v, _ := cache.LoadOrStore(t, c)
	return v.(*Codec), nil
}

func plan(t reflect.Type) (*Codec, error) {
	if t == nil || t.Kind() != reflect.Struct {
		return nil, &ModelError{Type: t, Reason: "not a struct type"}
	}
	p := &planner{nodes: map[planKey]*node{}, root: t}
	root, err := p.plan(t, 0, true)
	if err != nil {
		return nil, err
	}
	for len(p.pending) > 0 {
		n := p.pending[len(p.pending)-1]
		p.pending = p.pending[:len(p.pending)-1]
		if err := p.planFields(n); err != nil {
			return nil, err
		}
	}
	return &Codec{t: t, root: root}, nil
}

// Typed is a [Codec] of T, for callers that hold a *T.
type Typed[T any] struct{ c *Codec }

// For returns the codec of T; see [New].
func For[T any]() (*Typed[T], error) {
	c, err := New(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	return &Typed[T]{c}, nil
}

// Encode encodes *v as an item (see [Codec.Encode]).
func (c *Typed[T]) Encode(v *T, extra int) (map[string]types.AttributeValue, int, error) {
	return c.c.encode(unsafe.Pointer(v), extra)
}

// Decode decodes item into *v (see [Codec.Decode]).
func (c *Typed[T]) Decode(item map[string]types.AttributeValue, v *T) error {
	return c.c.decode(item, unsafe.Pointer(v))
}

// Encode encodes the struct v points to as an item: the map
// attributevalue's encoder would return, with times in [avtime.Layout] and
// without top-level NULLs (an absent attribute decodes to the same zero
// value). It returns the item's size by DynamoDB's rules, and an
// [*InvalidError] for a value DynamoDB would refuse or alter. extra is
// room for attributes the caller adds. v must be a non-nil pointer to the
// codec's type.
func (c *Codec) Encode(v reflect.Value, extra int) (map[string]types.AttributeValue, int, error) {
	if v.Kind() != reflect.Pointer || v.Type().Elem() != c.t || v.IsNil() {
		return nil, 0, &ModelError{Type: c.t, Reason: "Encode of " + typeName(v) + "; want a non-nil pointer to the type"}
	}
	return c.encode(v.UnsafePointer(), extra)
}

// Decode decodes item into the struct v points to, which should be zero,
// as attributevalue's decoder would (reading times as RFC 3339, fixed-width
// or not). Its errors are attributevalue's (such as
// *attributevalue.UnmarshalTypeError). v must be a non-nil pointer to the
// codec's type.
func (c *Codec) Decode(item map[string]types.AttributeValue, v reflect.Value) error {
	if v.Kind() != reflect.Pointer || v.Type().Elem() != c.t || v.IsNil() {
		return &ModelError{Type: c.t, Reason: "Decode into " + typeName(v) + "; want a non-nil pointer to the type"}
	}
	return c.decode(item, v.UnsafePointer())
}

func typeName(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	return v.Type().String()
}

// InvalidError reports a value DynamoDB would refuse or store altered.
type InvalidError struct {
	// Path is the document path of the value, such as "address.city" or
	// "tags[2]".
	Path   string
	Reason string
}

// Error describes the failure.
func (e *InvalidError) Error() string {
	if e.Path == "" {
		return "codec: invalid value: " + e.Reason
	}
	return "codec: invalid value of " + strconv.Quote(e.Path) + ": " + e.Reason
}

// under prefixes the path of an *InvalidError with the attribute name or
// list index it was found under; other errors pass through.
func under(err error, name string, index int) error {
	ie, ok := err.(*InvalidError)
	if !ok {
		return err
	}
	if name == "" {
		name = "[" + strconv.Itoa(index) + "]"
	}
	switch {
	case ie.Path == "":
		ie.Path = name
	case ie.Path[0] == '[':
		ie.Path = name + ie.Path
	default:
		ie.Path = name + "." + ie.Path
	}
	return ie
}

// fallbackEnc and fallbackDec encode and decode what the codec hands to
// attributevalue: as the repository does, times in avtime.Layout.
var (
	fallbackEnc = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) { o.EncodeTime = encodeTimeAV })
	fallbackDec = attributevalue.NewDecoder()
)

func encodeTimeAV(t time.Time) (types.AttributeValue, error) {
	s, err := avtime.Format(t)
	if err != nil {
		return nil, &InvalidError{Reason: err.Error()}
	}
	return &types.AttributeValueMemberS{Value: s}, nil
}
