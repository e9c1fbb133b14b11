package codec

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/avtime"
	"github.com/tablestakes/tablestakes/internal/itemsize"
)

var (
	errEmptyKey = errors.New("marshal failed, map key cannot be empty")
	errBinSet   = errors.New("marshal failed, binary set must only contain non-nil byte slices")
)

const tooDeepReason = "nested more than 32 levels deep"

// sliceHeader is the memory layout of a slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// slabs hand out attribute value members from one allocation per kind,
// for the scalar fields of one struct (or elements of one list or map):
// up to cs, cn and cb of each, then one allocation per member.
type slabs struct {
	s          []types.AttributeValueMemberS
	n          []types.AttributeValueMemberN
	b          []types.AttributeValueMemberBOOL
	cs, cn, cb int
}

func (sl *slabs) str(v string) *types.AttributeValueMemberS {
	return slab(&sl.s, &sl.cs, types.AttributeValueMemberS{Value: v})
}

func (sl *slabs) num(v string) *types.AttributeValueMemberN {
	return slab(&sl.n, &sl.cn, types.AttributeValueMemberN{Value: v})
}

func (sl *slabs) boolean(v bool) *types.AttributeValueMemberBOOL {
	return slab(&sl.b, &sl.cb, types.AttributeValueMemberBOOL{Value: v})
}

// slab appends v to *buf and returns its address, starting a new slab of
// *size values (then of one) when the current one is full: values handed
// out before never move.
func slab[V any](buf *[]V, size *int, v V) *V {
	if len(*buf) == cap(*buf) {
		*buf = make([]V, 0, max(*size, 1))
		*size = 1
	}
	*buf = append(*buf, v)
	return &(*buf)[len(*buf)-1]
}

// structSlabs returns the slabs of the scalar fields of struct node n.
func structSlabs(n *node) slabs { return slabs{cs: n.nS, cn: n.nN, cb: n.nB} }

// elemSlabs returns the slabs of ln elements of node e.
func elemSlabs(e *node, ln int) slabs {
	switch member(e) {
	case 'S':
		return slabs{cs: ln}
	case 'N':
		return slabs{cn: ln}
	case 'B':
		return slabs{cb: ln}
	}
	return slabs{}
}

func null() types.AttributeValue { return &types.AttributeValueMemberNULL{Value: true} }

func invalid(reason string) error { return &InvalidError{Reason: reason} }

// encode encodes the root struct at p as an item.
func (c *Codec) encode(p unsafe.Pointer, extra int) (map[string]types.AttributeValue, int, error) {
	n := c.root
	if n.kind != kStruct {
		return c.encodeWhole(p, extra)
	}
	out := make(map[string]types.AttributeValue, len(n.fields)+max(extra, 0))
	size := 0
	sl := structSlabs(n)
	for i := range n.fields {
		f := &n.fields[i]
		fp := f.addr(p)
		if fp == nil {
			continue
		}
		av, s, err := encodeMember(f.n, fp, f.omit, 2, &sl)
		if err != nil {
			return nil, 0, under(err, f.name, 0)
		}
		if av == nil {
			continue
		}
		if _, isNull := av.(*types.AttributeValueMemberNULL); isNull {
			continue // a top-level NULL is left out
		}
		out[f.name] = av
		size += len(f.name) + s
	}
	return out, size, nil
}

// encodeWhole encodes a root type that encodes itself (a Marshaler).
func (c *Codec) encodeWhole(p unsafe.Pointer, extra int) (map[string]types.AttributeValue, int, error) {
	av, err := fallbackEnc.Encode(reflect.NewAt(c.t, p).Interface())
	if err != nil {
		return nil, 0, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, 0, &ModelError{Type: c.t, Reason: fmt.Sprintf("encodes as %T, not a map", av)}
	}
	out := make(map[string]types.AttributeValue, len(m.Value)+max(extra, 0))
	for k, v := range m.Value {
		if _, isNull := v.(*types.AttributeValueMemberNULL); !isNull {
			out[k] = v
		}
	}
	size, f := itemsize.Check(out)
	if f != nil {
		return nil, 0, &InvalidError{Path: f.Path, Reason: f.Reason}
	}
	return out, size, nil
}

// isZero is attributevalue's isZeroValue for the value of n at p.
func isZero(n *node, p unsafe.Pointer) bool {
	switch n.rk {
	case reflect.Array:
		return n.length == 0
	case reflect.Slice:
		return (*sliceHeader)(p).data == nil
	case reflect.Map, reflect.Pointer:
		return *(*unsafe.Pointer)(p) == nil
	case reflect.Interface:
		return *(*unsafe.Pointer)(p) == nil // the type word (empty interface) or itab
	case reflect.String:
		return len(*(*string)(p)) == 0
	case reflect.Bool:
		return !*(*bool)(p)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intAt(p, n.t.Bits()) == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintAt(p, n.t.Bits()) == 0
	case reflect.Float32:
		return *(*float32)(p) == 0
	case reflect.Float64:
		return *(*float64)(p) == 0
	}
	return false
}

func intAt(p unsafe.Pointer, bits int) int64 {
	switch bits {
	case 8:
		return int64(*(*int8)(p))
	case 16:
		return int64(*(*int16)(p))
	case 32:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

func uintAt(p unsafe.Pointer, bits int) uint64 {
	switch bits {
	case 8:
		return uint64(*(*uint8)(p))
	case 16:
		return uint64(*(*uint16)(p))
	case 32:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

func floatAt(p unsafe.Pointer, bits int) float64 {
	if bits == 32 {
		return float64(*(*float32)(p))
	}
	return *(*float64)(p)
}

// encodeMember encodes a value with attributevalue's field rules: a zero
// value is left out with omitempty, else NULL when nil. Scalars take their
// member from sl.
func encodeMember(n *node, p unsafe.Pointer, omit bool, depth int, sl *slabs) (types.AttributeValue, int, error) {
	if isZero(n, p) {
		if omit {
			return nil, 0, nil
		}
		if n.nullable {
			return null(), 1, nil
		}
	}
	switch n.kind {
	case kString:
		s := *(*string)(p)
		if !utf8.ValidString(s) {
			return nil, 0, invalidString(s)
		}
		return sl.str(s), len(s), nil
	case kBool:
		return sl.boolean(*(*bool)(p)), 1, nil
	case kInt, kUint, kFloat:
		s, size, err := number(n, p)
		if err != nil {
			return nil, 0, err
		}
		if n.m&modeString != 0 {
			return sl.str(s), len(s), nil
		}
		return sl.num(s), size, nil
	case kTime:
		if n.m&modeUnix != 0 {
			s := strconv.FormatInt((*time.Time)(p).Unix(), 10)
			return sl.num(s), decimalSize(s), nil
		}
		s, err := formatTime(*(*time.Time)(p))
		if err != nil {
			return nil, 0, invalid(err.Error())
		}
		return sl.str(s), len(s), nil
	}
	return encodeValue(n, p, depth)
}

// encodeField is encodeMember without slabs.
func encodeField(n *node, p unsafe.Pointer, omit bool, depth int) (types.AttributeValue, int, error) {
	var sl slabs
	return encodeMember(n, p, omit, depth, &sl)
}

// Seconds since the epoch of the first and last instants that
// avtime.Layout can write.
const (
	minLayoutUnix = -62167219200 // 0000-01-01T00:00:00Z
	maxLayoutUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// formatTime is avtime.Format, writing the digits directly.
func formatTime(t time.Time) (string, error) {
	if u := t.Unix(); u < minLayoutUnix || u > maxLayoutUnix {
		return avtime.Format(t) // its error
	}
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	ns := t.Nanosecond()
	var b [30]byte
	put := func(at, width, v int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, year)
	b[4] = '-'
	put(5, 2, int(month))
	b[7] = '-'
	put(8, 2, day)
	b[10] = 'T'
	put(11, 2, hour)
	b[13] = ':'
	put(14, 2, minute)
	b[16] = ':'
	put(17, 2, sec)
	b[19] = '.'
	put(20, 9, ns)
	b[29] = 'Z'
	return string(b[:]), nil
}

func invalidString(s string) error {
	_, f := itemsize.CheckValue(&types.AttributeValueMemberS{Value: s})
	if f == nil {
		return invalid("string is not valid UTF-8")
	}
	return invalid(f.Reason)
}

// number formats a number node as attributevalue does and returns its
// size, or why DynamoDB would refuse it.
func number(n *node, p unsafe.Pointer) (string, int, error) {
	switch n.kind {
	case kInt:
		s := strconv.FormatInt(intAt(p, n.bits), 10)
		return s, decimalSize(s), nil
	case kUint:
		s := strconv.FormatUint(uintAt(p, n.bits), 10)
		return s, decimalSize(s), nil
	}
	f := floatAt(p, n.bits)
	s := strconv.FormatFloat(f, 'f', -1, n.bits)
	if n.m&modeString != 0 {
		return s, len(s), nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		_, why := itemsize.CheckNumber(s)
		return "", 0, invalid(why)
	}
	size, pow, zero := decimal(s)
	if !zero && (pow > itemsize.MaxExponent || pow < itemsize.MinExponent) {
		_, why := itemsize.CheckNumber(s)
		return "", 0, invalid(why)
	}
	return s, size, nil
}

// decimalSize is the size of a number written as strconv writes integers
// and floats in 'f' format: see decimal.
func decimalSize(s string) int {
	size, _, _ := decimal(s)
	return size
}

// decimal returns the size DynamoDB counts for the number s, a decimal
// without exponent ("-12.5", "0.001"), and the power of ten of its first
// significant digit; zero is true when all its digits are. It is
// itemsize's rule without allocating: the significant digits in base-100
// pairs aligned on the decimal point, plus one byte, plus one for a
// negative number.
func decimal(s string) (size, pow int, zero bool) {
	negative := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		negative = s[0] == '-'
		s = s[1:]
	}
	point := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			point = i
			break
		}
	}
	first, last := math.MinInt, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == '0' {
			continue
		}
		q := point - 1 - i // position relative to the units digit
		if i > point {
			q = point - i
		}
		if first == math.MinInt {
			first = q
		}
		last = q
	}
	if first == math.MinInt {
		return 1, 0, true
	}
	size = floorDiv2(first) - floorDiv2(last) + 2
	if negative {
		size++
	}
	return size, first, false
}

func floorDiv2(a int) int {
	if a < 0 {
		return -((-a + 1) / 2)
	}
	return a / 2
}

func tooDeep() error { return invalid(tooDeepReason) }

// encodeValue encodes a value that is not zero-and-omitted.
func encodeValue(n *node, p unsafe.Pointer, depth int) (types.AttributeValue, int, error) {
	switch n.kind {
	case kSkip:
		return nil, 0, nil
	case kString, kBool, kInt, kUint, kFloat, kTime:
		var sl slabs
		return encodeMember(n, p, false, depth, &sl)
	case kNumString:
		s := *(*string)(p)
		if n.m&modeString != 0 {
			if !utf8.ValidString(s) {
				return nil, 0, invalidString(s)
			}
			return &types.AttributeValueMemberS{Value: s}, len(s), nil
		}
		size, why := itemsize.CheckNumber(s)
		if why != "" {
			return nil, 0, invalid(why)
		}
		return &types.AttributeValueMemberN{Value: s}, size, nil
	case kBytes:
		b := *(*[]byte)(p)
		return &types.AttributeValueMemberB{Value: append([]byte{}, b...)}, len(b), nil
	case kByteArray:
		b := unsafe.Slice((*byte)(p), n.length)
		return &types.AttributeValueMemberB{Value: append([]byte{}, b...)}, len(b), nil
	case kStruct:
		return encodeStruct(n, p, depth)
	case kPtr:
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return null(), 1, nil
		}
		e := n.elem
		if e.kind == kPtr {
			// A pointer to a pointer: attributevalue encodes what the
			// inner one points to with the field's options.
			q2 := *(*unsafe.Pointer)(q)
			if q2 == nil {
				return null(), 1, nil
			}
			return encodeField(e.elem, q2, n.m&modeOmit != 0, depth)
		}
		return encodeValue(e, q, depth)
	case kList, kArray:
		return encodeList(n, p, depth)
	case kSet:
		return encodeSet(n, p, depth)
	case kMap:
		return encodeMap(n, p, depth)
	}
	return encodeFallback(n, p, depth)
}

// encodeFallback encodes a value with attributevalue's encoder, handing
// it the value as attributevalue would meet it: a pointer to an
// addressable value (so that a Marshaler on the pointer type is found),
// a copy of one that is not, an interface's dynamic value.
func encodeFallback(n *node, p unsafe.Pointer, depth int) (types.AttributeValue, int, error) {
	var in any
	switch {
	case n.rk == reflect.Interface, n.rk == reflect.Pointer, !n.addr:
		in = reflect.NewAt(n.t, p).Elem().Interface()
	default:
		in = reflect.NewAt(n.t, p).Interface()
	}
	av, err := fallbackEnc.Encode(in)
	if err != nil || av == nil {
		return nil, 0, err
	}
	size, f := itemsize.CheckValueAt(av, depth)
	if f != nil {
		return nil, 0, &InvalidError{Path: f.Path, Reason: f.Reason}
	}
	return av, size, nil
}

func encodeStruct(n *node, p unsafe.Pointer, depth int) (types.AttributeValue, int, error) {
	if depth > itemsize.MaxDepth {
		return nil, 0, tooDeep()
	}
	m := make(map[string]types.AttributeValue, len(n.fields))
	size := 3
	sl := structSlabs(n)
	for i := range n.fields {
		f := &n.fields[i]
		fp := f.addr(p)
		if fp == nil {
			continue
		}
		av, s, err := encodeMember(f.n, fp, f.omit, depth+1, &sl)
		if err != nil {
			return nil, 0, under(err, f.name, 0)
		}
		if av == nil {
			continue
		}
		m[f.name] = av
		size += 1 + len(f.name) + s
	}
	return &types.AttributeValueMemberM{Value: m}, size, nil
}

// elems returns the address and length of the elements of a slice or
// array node's value.
func elems(n *node, p unsafe.Pointer) (unsafe.Pointer, int) {
	if n.rk == reflect.Array {
		return p, n.length
	}
	h := (*sliceHeader)(p)
	return h.data, h.len
}

func encodeList(n *node, p unsafe.Pointer, depth int) (types.AttributeValue, int, error) {
	if depth > itemsize.MaxDepth {
		return nil, 0, tooDeep()
	}
	data, ln := elems(n, p)
	size := 3
	if n.fast == fastStrings {
		ss := unsafe.Slice((*string)(data), ln)
		l := make([]types.AttributeValue, ln)
		slab := make([]types.AttributeValueMemberS, ln)
		for i, s := range ss {
			if !utf8.ValidString(s) {
				return nil, 0, under(invalidString(s), "", i)
			}
			slab[i].Value = s
			l[i] = &slab[i]
			size += 1 + len(s)
		}
		return &types.AttributeValueMemberL{Value: l}, size, nil
	}
	l := make([]types.AttributeValue, 0, ln)
	sl := elemSlabs(n.elem, ln)
	for i := 0; i < ln; i++ {
		av, s, err := encodeMember(n.elem, unsafe.Add(data, uintptr(i)*n.esize), false, depth+1, &sl)
		if err != nil {
			return nil, 0, under(err, "", i)
		}
		if av == nil {
			continue
		}
		l = append(l, av)
		size += 1 + s
	}
	return &types.AttributeValueMemberL{Value: l}, size, nil
}

func encodeSet(n *node, p unsafe.Pointer, depth int) (types.AttributeValue, int, error) {
	data, ln := elems(n, p)
	if ln == 0 {
		return null(), 1, nil // attributevalue writes an empty set as NULL
	}
	e := n.elem
	var av types.AttributeValue
	switch n.set {
	case 'S':
		ss := make([]string, ln)
		for i := range ss {
			ss[i] = *(*string)(unsafe.Add(data, uintptr(i)*n.esize))
		}
		av = &types.AttributeValueMemberSS{Value: ss}
	case 'N':
		ns := make([]string, ln)
		for i := range ns {
			ep := unsafe.Add(data, uintptr(i)*n.esize)
			switch e.kind {
			case kNumString:
				ns[i] = *(*string)(ep)
			case kInt:
				ns[i] = strconv.FormatInt(intAt(ep, e.bits), 10)
			case kUint:
				ns[i] = strconv.FormatUint(uintAt(ep, e.bits), 10)
			default:
				ns[i] = strconv.FormatFloat(floatAt(ep, e.bits), 'f', -1, e.bits)
			}
		}
		av = &types.AttributeValueMemberNS{Value: ns}
	default:
		bs := make([][]byte, ln)
		for i := range bs {
			ep := unsafe.Add(data, uintptr(i)*n.esize)
			if e.kind == kByteArray {
				bs[i] = append([]byte{}, unsafe.Slice((*byte)(ep), e.length)...)
				continue
			}
			b := *(*[]byte)(ep)
			if b == nil {
				return nil, 0, errBinSet
			}
			bs[i] = append([]byte{}, b...)
		}
		av = &types.AttributeValueMemberBS{Value: bs}
	}
	size, f := itemsize.CheckValueAt(av, depth)
	if f != nil {
		return nil, 0, &InvalidError{Path: f.Path, Reason: f.Reason}
	}
	return av, size, nil
}

func encodeMap(n *node, p unsafe.Pointer, depth int) (types.AttributeValue, int, error) {
	if depth > itemsize.MaxDepth {
		return nil, 0, tooDeep()
	}
	size := 3
	if n.fast == fastStringMap {
		src := *(*map[string]string)(p)
		m := make(map[string]types.AttributeValue, len(src))
		slab := make([]types.AttributeValueMemberS, len(src))
		i := 0
		for k, v := range src {
			if k == "" {
				return nil, 0, errEmptyKey
			}
			if f := itemsize.CheckName(k); f != nil {
				return nil, 0, &InvalidError{Path: f.Path, Reason: f.Reason}
			}
			if !utf8.ValidString(v) {
				return nil, 0, under(invalidString(v), k, 0)
			}
			slab[i].Value = v
			m[k] = &slab[i]
			i++
			size += 1 + len(k) + len(v)
		}
		return &types.AttributeValueMemberM{Value: m}, size, nil
	}
	mv := reflect.NewAt(n.t, p).Elem()
	m := make(map[string]types.AttributeValue, mv.Len())
	kv := reflect.New(n.t.Key()).Elem()
	ev := reflect.New(n.t.Elem()).Elem()
	ep := ev.Addr().UnsafePointer()
	sl := elemSlabs(n.elem, mv.Len())
	for it := mv.MapRange(); it.Next(); {
		kv.SetIterKey(it)
		k, err := keyString(n.key, kv)
		if err != nil {
			return nil, 0, err
		}
		if f := itemsize.CheckName(k); f != nil {
			return nil, 0, &InvalidError{Path: f.Path, Reason: f.Reason}
		}
		ev.SetIterValue(it)
		av, s, err := encodeMember(n.elem, ep, false, depth+1, &sl)
		if err != nil {
			return nil, 0, under(err, k, 0)
		}
		if av == nil {
			continue
		}
		m[k] = av
		size += 1 + len(k) + s
	}
	return &types.AttributeValueMemberM{Value: m}, size, nil
}

// keyString writes a map key as attributevalue does.
func keyString(kn *node, kv reflect.Value) (string, error) {
	var k string
	switch kn.kind {
	case kFallback: // an encoding.TextMarshaler
		b, err := kv.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return "", fmt.Errorf("failed to marshal text, %w", err)
		}
		k = string(b)
	case kString:
		k = kv.String()
	case kBool:
		k = strconv.FormatBool(kv.Bool())
	case kInt:
		k = strconv.FormatInt(kv.Int(), 10)
	case kUint:
		k = strconv.FormatUint(kv.Uint(), 10)
	default: // floats, and types with methods that fmt would call
		k = fmt.Sprint(kv.Interface())
	}
	if k == "" {
		return "", errEmptyKey
	}
	return k, nil
}
