// Package codec encodes Go structs as DynamoDB items and decodes items back,
// by a plan computed once per type: for each struct field its index path,
// attribute name, omitempty, and an encoder and decoder for its kind. It
// writes what attributevalue's encoder writes, with the repository's
// stricter rules: times as fixed-width UTC ([avtime.Layout]), and values
// that DynamoDB would refuse or alter (invalid UTF-8, numbers it cannot
// hold, NaN and infinities, sets with duplicates, attribute names over its
// limits, nesting over 32 levels) refused with an [*InvalidError] in the
// same walk that measures the item's size by DynamoDB's rules
// ([itemsize]).
//
// What the codec does not encode itself it hands to attributevalue, value
// by value: types implementing attributevalue.Marshaler or Unmarshaler
// (so custom implementations are honoured), interface values, and on
// decoding any attribute value of a type the field does not expect (so
// that the result, or the error, is attributevalue's). A few struct tags
// and types that attributevalue would only fail on, or panic on, at run
// time are refused by [New] instead; see [New].
package codec

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/tablestakes/tablestakes/internal/fields"
	"github.com/tablestakes/tablestakes/internal/itemsize"
)

// kind is what a node encodes as.
type kind uint8

const (
	kSkip      kind = iota // chan, func, complex, uintptr, unsafe.Pointer: attributevalue leaves them out
	kString                // S
	kNumString             // a string type with Float64, Int64 and String methods (json.Number): N
	kBool                  // BOOL
	kInt                   // N
	kUint                  // N
	kFloat                 // N
	kBytes                 // a slice of bytes: B
	kByteArray             // an array of bytes: B
	kTime                  // a struct convertible to time.Time: S in avtime.Layout, or N with unixtime
	kStruct                // M
	kPtr                   // the pointee
	kList                  // a slice: L
	kArray                 // an array: L
	kSet                   // a slice or array tagged as a set, or [][]byte: SS, NS or BS
	kMap                   // M
	kFallback              // attributevalue's encoder and decoder
)

// mode carries the struct tag options that reach a value: a field's tag
// applies to the field's value and, through pointers, to what they point
// to, never to the elements of lists, sets or maps.
type mode uint8

const (
	modeString mode = 1 << iota
	modeStrSet
	modeNumSet
	modeBinSet
	modeUnix
	modeOmit
)

const setModes = modeStrSet | modeNumSet | modeBinSet

// node is the plan of one type in one context.
type node struct {
	t        reflect.Type
	rk       reflect.Kind
	kind     kind
	m        mode
	nullable bool // a nil value encodes as NULL
	bits     int  // of an int, uint or float
	// addr tells whether values of this node are addressable where
	// attributevalue meets them, which decides whether a method on the
	// pointer type (a Marshaler) is found.
	addr bool

	elem   *node   // of a pointer, slice, array, set or map
	key    *node   // of a map
	esize  uintptr // element size of a slice or array
	length int     // of an array
	set    byte    // 'S', 'N' or 'B' for a set
	fields []field // of a struct
	byName map[string]int
	// folded finds a field by a name that equals its own under case
	// folding, as attributevalue's decoder does when no name is equal:
	// by lower-case ASCII name; foldScan is set when a field name is not
	// ASCII, and fields must be searched one by one.
	folded   map[string]int
	foldScan bool
	// nS, nN and nB count the fields that encode as S, N and BOOL members,
	// which one slab of each holds.
	nS, nN, nB int
	fast       fastKind // typed paths for common types
	// textKey is set on a map key node decoded with UnmarshalText.
	textKey bool
}

// fastKind names types with a typed path that needs no reflection.
type fastKind uint8

const (
	fastNone      fastKind = iota
	fastStrings            // a slice whose elements are plain strings ([]string)
	fastStringMap          // a map from plain strings to plain strings (map[string]string)
)

// field is one attribute of a struct.
type field struct {
	name string
	path []step
	omit bool
	n    *node
}

// step is one move from a struct to one of its fields: add off to the
// address; then, for an embedded pointer, follow it (to a struct of type
// ptr, allocated when decoding finds it nil).
type step struct {
	off   uintptr
	deref bool
	ptr   reflect.Type
}

// ModelError reports a type the codec cannot encode as attributevalue
// would, found when planning.
type ModelError struct {
	Type   reflect.Type
	Reason string
}

// Error describes the failure.
func (e *ModelError) Error() string {
	return "codec: " + e.Type.String() + ": " + e.Reason
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	byteSliceSlice    = reflect.TypeFor[[][]byte]()
	marshalerType     = reflect.TypeFor[attributevalue.Marshaler]()
	unmarshalerType   = reflect.TypeFor[attributevalue.Unmarshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberer          = reflect.TypeFor[interface {
		Float64() (float64, error)
		Int64() (int64, error)
		String() string
	}]()
)

type planKey struct {
	t    reflect.Type
	m    mode
	addr bool
}

type planner struct {
	nodes map[planKey]*node
	root  reflect.Type
	// pending holds struct nodes whose fields are not planned yet
	// (recursive types are planned breadth first).
	pending []*node
}

// cache holds the plans of types, computed once.
var cache sync.Map // reflect.Type -> *Codec or error

// plan returns the node of t in mode m.
func (p *planner) plan(t reflect.Type, m mode, addr bool) (*node, error) {
	k := planKey{t, m, addr}
	if n, ok := p.nodes[k]; ok {
		return n, nil
	}
	n := &node{t: t, rk: t.Kind(), m: m, addr: addr}
	p.nodes[k] = n
	switch n.rk {
	case reflect.Map, reflect.Slice, reflect.Interface, reflect.Pointer:
		n.nullable = true
	}
	bad := func(format string, args ...any) error {
		return &ModelError{Type: p.root, Reason: fmt.Sprintf(format, args...)}
	}
	tagged := m&(modeString|setModes|modeUnix) != 0
	// attributevalue looks for a Marshaler first: on the type, or on its
	// pointer type when the value is addressable.
	if implements(t, marshalerType, addr) || implements(t, unmarshalerType, true) || n.rk == reflect.Interface {
		if tagged {
			return nil, bad("%s has options (string, sets, unixtime) that attributevalue would not apply to a Marshaler or interface value", t)
		}
		n.kind = kFallback
		return n, nil
	}
	if t.Kind() == reflect.String && t.Implements(numberer) {
		n.kind = kNumString
		return n, p.setOK(n, bad)
	}
	if t.Kind() == reflect.Struct && t.ConvertibleTo(timeType) {
		n.kind = kTime
		return n, p.setOK(n, bad)
	}
	switch n.rk {
	case reflect.String:
		n.kind = kString
	case reflect.Bool:
		n.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.kind, n.bits = kInt, t.Bits()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n.kind, n.bits = kUint, t.Bits()
	case reflect.Float32, reflect.Float64:
		n.kind, n.bits = kFloat, t.Bits()
	case reflect.Struct:
		if m&(setModes|modeUnix) != 0 {
			return nil, bad("%s: set and unixtime options apply to slices and times", t)
		}
		n.kind = kStruct
		p.pending = append(p.pending, n)
		return n, nil
	case reflect.Pointer:
		e, err := p.plan(t.Elem(), m, true)
		if err != nil {
			return nil, err
		}
		if e.kind == kFallback {
			n.kind = kFallback
			return n, nil
		}
		n.kind, n.elem = kPtr, e
		return n, nil
	case reflect.Slice, reflect.Array:
		et := t.Elem()
		n.esize = et.Size()
		if n.rk == reflect.Array {
			n.length = t.Len()
		}
		if et.Kind() == reflect.Uint8 && m&setModes == 0 {
			// attributevalue writes any slice or array of a byte kind
			// as binary, whatever the element type's methods.
			n.kind = kBytes
			if n.rk == reflect.Array {
				n.kind = kByteArray
			}
			return n, p.setOK(n, bad)
		}
		// Elements are addressable in a slice, and in an array only
		// where the array is.
		e, err := p.plan(et, 0, n.rk == reflect.Slice || addr)
		if err != nil {
			return nil, err
		}
		n.elem = e
		switch {
		case m&modeStrSet != 0:
			n.set = 'S'
		case m&modeNumSet != 0:
			n.set = 'N'
		case m&modeBinSet != 0 || t == byteSliceSlice:
			n.set = 'B'
		}
		if n.set == 0 {
			if m&(modeString|modeUnix) != 0 {
				return nil, bad("%s: string and unixtime options apply to numbers and times", t)
			}
			n.kind = kList
			if n.rk == reflect.Array {
				n.kind = kArray
			}
			if n.rk == reflect.Slice && e.kind == kString && et.Kind() == reflect.String && !tagged {
				n.fast = fastStrings
			}
			return n, nil
		}
		n.kind = kSet
		ok := false
		switch n.set {
		case 'S':
			ok = e.kind == kString
		case 'N':
			ok = e.kind == kInt || e.kind == kUint || e.kind == kFloat || e.kind == kNumString
		case 'B':
			ok = e.kind == kBytes || e.kind == kByteArray
		}
		if !ok {
			return nil, bad("%s tagged as a set of %c: its elements (%s) do not encode as such", t, n.set, et)
		}
		return n, nil
	case reflect.Map:
		if tagged {
			return nil, bad("%s: string, set and unixtime options do not apply to maps", t)
		}
		kt := t.Key()
		key := &node{t: kt, rk: kt.Kind(), textKey: implements(kt, textUnmarshaler, true)}
		switch {
		case kt.Implements(textMarshalerType):
			key.kind = kFallback
		case kt.NumMethod() > 0:
			// attributevalue writes such a key with fmt.Sprint, which
			// would call its String or Error method: so do we.
			key.kind = kSkip
		default:
			switch kt.Kind() {
			case reflect.String:
				key.kind = kString
			case reflect.Bool:
				key.kind = kBool
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				key.kind, key.bits = kInt, kt.Bits()
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				key.kind, key.bits = kUint, kt.Bits()
			case reflect.Float32, reflect.Float64:
				key.kind, key.bits = kFloat, kt.Bits()
			default:
				return nil, bad("map key type %s: attributevalue writes only string, number, bool and TextMarshaler keys", kt)
			}
		}
		switch kt.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			if !key.textKey {
				return nil, bad("map key type %s cannot be decoded: attributevalue reads only string, number, bool and TextUnmarshaler keys", kt)
			}
		}
		// Map values are not addressable where attributevalue encodes
		// them: only a Marshaler on the value type itself is used.
		e, err := p.plan(t.Elem(), 0, false)
		if err != nil {
			return nil, err
		}
		n.kind, n.key, n.elem = kMap, key, e
		if key.kind == kString && kt.Kind() == reflect.String && e.kind == kString && t.Elem().Kind() == reflect.String {
			n.fast = fastStringMap
		}
		return n, nil
	default: // chan, func, complex, uintptr, unsafe.Pointer
		n.kind = kSkip
		return n, nil
	}
	return n, p.setOK(n, bad)
}

// setOK refuses the options that attributevalue would not apply to a
// scalar node: sets (which need a slice) and unixtime (which needs a time).
func (p *planner) setOK(n *node, bad func(string, ...any) error) error {
	if n.m&setModes != 0 {
		return bad("%s tagged as a set: only slices and arrays are sets", n.t)
	}
	if n.m&modeUnix != 0 && n.kind != kTime {
		return bad("%s tagged unixtime: only times are", n.t)
	}
	return nil
}

// implements reports whether values of t, addressable or not, have the
// methods of iface.
func implements(t, iface reflect.Type, addr bool) bool {
	if t.Implements(iface) {
		return true
	}
	return addr && t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface)
}

// planFields plans the fields of a struct node by attributevalue's rules
// (those of encoding/json): a `dynamodbav` tag's name, else the field
// name; "-" skips a field; untagged anonymous struct fields (or pointers to
// them) are flattened, breadth first; of fields sharing a name the
// shallowest wins, a tagged one among equals, and two equal candidates
// cancel each other out.
func (p *planner) planFields(n *node) error {
	bad := func(format string, args ...any) error {
		return &ModelError{Type: p.root, Reason: fmt.Sprintf(format, args...)}
	}
	won, err := fields.Resolve(n.t)
	if err != nil {
		return bad("%v", err)
	}
	n.fields = make([]field, 0, len(won))
	n.byName = make(map[string]int, len(won))
	for _, c := range won {
		if f := itemsize.CheckName(c.Name); f != nil {
			return bad("field %s: %s", c.Struct.Name, f.Reason)
		}
		var m mode
		omit := false
		for _, o := range strings.Split(c.Opts, ",") {
			switch o {
			case "omitempty":
				omit = true
			case "string":
				m |= modeString
			case "stringset":
				m |= modeStrSet
			case "numberset":
				m |= modeNumSet
			case "binaryset":
				m |= modeBinSet
			case "unixtime":
				m |= modeUnix
			case "omitemptyelem", "nullempty", "nullemptyelem":
				return bad("field %s: the %s option is not supported; write the value as wanted instead", c.Struct.Name, o)
			}
		}
		if omit {
			m |= modeOmit
		}
		fn, err := p.plan(c.Struct.Type, m, n.addr)
		if err != nil {
			return err
		}
		n.byName[c.Name] = len(n.fields)
		n.fields = append(n.fields, field{name: c.Name, path: steps(n.t, c.Index), omit: omit, n: fn})
	}
	for _, f := range n.fields {
		switch member(f.n) {
		case 'S':
			n.nS++
		case 'N':
			n.nN++
		case 'B':
			n.nB++
		}
	}
	n.folded = make(map[string]int, len(n.fields))
	for i, f := range n.fields {
		if !isASCII(f.name) {
			n.foldScan = true
			continue
		}
		if _, ok := n.folded[strings.ToLower(f.name)]; !ok {
			n.folded[strings.ToLower(f.name)] = i
		}
	}
	return nil
}

// member returns the member a scalar node encodes as: 'S', 'N', 'B' (a
// BOOL), or 0 for others.
func member(n *node) byte {
	switch n.kind {
	case kString:
		return 'S'
	case kBool:
		return 'B'
	case kInt, kUint, kFloat:
		if n.m&modeString != 0 {
			return 'S'
		}
		return 'N'
	case kTime:
		if n.m&modeUnix != 0 {
			return 'N'
		}
		return 'S'
	}
	return 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fieldByName returns the index of the field attributevalue's decoder
// decodes the attribute name into: the field of that name, else the first
// whose name equals it under case folding.
func (n *node) fieldByName(name string) (int, bool) {
	if i, ok := n.byName[name]; ok {
		return i, true
	}
	if n.foldScan || !isASCII(name) {
		for i, f := range n.fields {
			if strings.EqualFold(f.name, name) {
				return i, true
			}
		}
		return 0, false
	}
	i, ok := n.folded[strings.ToLower(name)]
	return i, ok
}

// steps returns the offsets that lead from a struct of type t to the field
// at index, dereferencing the embedded pointers on the way.
func steps(t reflect.Type, index []int) []step {
	path := make([]step, len(index))
	for k, i := range index {
		sf := t.Field(i)
		path[k] = step{off: sf.Offset}
		if k == len(index)-1 {
			break
		}
		t = sf.Type
		if t.Name() == "" && t.Kind() == reflect.Pointer {
			t = t.Elem()
			path[k].deref, path[k].ptr = true, t
		}
	}
	return path
}

// fieldAddr returns the address of f in the struct at p, or nil when an
// embedded pointer on the way is nil.
func (f *field) addr(p unsafe.Pointer) unsafe.Pointer {
	for _, s := range f.path {
		p = unsafe.Add(p, s.off)
		if s.deref {
			p = *(*unsafe.Pointer)(p)
			if p == nil {
				return nil
			}
		}
	}
	return p
}

// addrAlloc is addr for decoding: a nil embedded pointer on the way is set
// to a new zero struct.
func (f *field) addrAlloc(p unsafe.Pointer) unsafe.Pointer {
	for _, s := range f.path {
		p = unsafe.Add(p, s.off)
		if s.deref {
			q := (*unsafe.Pointer)(p)
			if *q == nil {
				*q = reflect.New(s.ptr).UnsafePointer()
			}
			p = *q
		}
	}
	return p
}
