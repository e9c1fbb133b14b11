package codec

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// decode decodes item into the root struct at p.
func (c *Codec) decode(item map[string]types.AttributeValue, p unsafe.Pointer) error {
	if c.root.kind != kStruct {
		return fallbackDec.Decode(&types.AttributeValueMemberM{Value: item}, reflect.NewAt(c.t, p).Interface())
	}
	return decodeFields(c.root, item, p, c.known)
}

// decodeFields decodes the attributes of m that are fields of the struct
// node n into the struct at p; others are ignored. An attribute that is
// no field's is decoded, as attributevalue does, into the first field
// whose name equals it under case folding; known lists attributes that
// are not (see [Codec.Known]).
func decodeFields(n *node, m map[string]types.AttributeValue, p unsafe.Pointer, known []string) error {
	hits := 0
	for i := range n.fields {
		f := &n.fields[i]
		av, ok := m[f.name]
		if !ok {
			continue
		}
		hits++
		if err := decodeNode(f.n, av, f.addrAlloc(p)); err != nil {
			return err
		}
	}
	if hits == len(m) {
		return nil
	}
	for _, k := range known {
		if _, ok := m[k]; ok {
			hits++
		}
	}
	if hits == len(m) {
		return nil
	}
	// Each field is decoded once: an attribute of its name wins over
	// others equal to it under case folding, and of those the first
	// found (attributevalue decodes all of them, in map order, and
	// panics decoding into an interface twice).
	var once uint64
	var done []bool
	if len(n.fields) > 64 {
		done = make([]bool, len(n.fields))
	}
	for i := range n.fields {
		if _, ok := m[n.fields[i].name]; ok {
			mark(&once, done, i)
		}
	}
	for name, av := range m {
		if _, exact := n.byName[name]; exact {
			continue
		}
		i, ok := n.fieldByName(name)
		if !ok || marked(once, done, i) {
			continue
		}
		mark(&once, done, i)
		f := &n.fields[i]
		if err := decodeNode(f.n, av, f.addrAlloc(p)); err != nil {
			return err
		}
	}
	return nil
}

func mark(once *uint64, done []bool, i int) {
	if done != nil {
		done[i] = true
		return
	}
	*once |= 1 << i
}

func marked(once uint64, done []bool, i int) bool {
	if done != nil {
		return done[i]
	}
	return once&(1<<i) != 0
}

// decodeFallback decodes av with attributevalue's decoder into the value
// of n at p. Its decoding of a pointer to an addressable value is its
// decoding of the value, Unmarshalers and errors included.
func decodeFallback(n *node, av types.AttributeValue, p unsafe.Pointer) error {
	return fallbackDec.Decode(av, reflect.NewAt(n.t, p).Interface())
}

// decodeNode decodes av into the value of n at p: the common cases
// directly, anything else through attributevalue.
func decodeNode(n *node, av types.AttributeValue, p unsafe.Pointer) error {
	if n.kind == kFallback {
		return decodeFallback(n, av, p)
	}
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		switch n.kind {
		case kString, kNumString:
			*(*string)(p) = v.Value
			return nil
		case kInt, kUint, kFloat:
			if n.m&modeString != 0 {
				return decodeNumber(n, v.Value, p)
			}
		case kTime:
			if n.m&modeString != 0 {
				return decodeUnix(v.Value, p)
			}
			t, err := time.Parse(time.RFC3339, v.Value)
			if err != nil {
				return &attributevalue.UnmarshalError{Err: err, Value: v.Value, Type: timeType}
			}
			*(*time.Time)(p) = t
			return nil
		case kPtr:
		default:
			if n.m&modeString != 0 {
				// attributevalue reads a string tagged `string` as a number.
				return &attributevalue.UnmarshalTypeError{Value: "number", Type: n.t}
			}
		}
	case *types.AttributeValueMemberN:
		switch n.kind {
		case kString, kNumString:
			*(*string)(p) = v.Value
			return nil
		case kInt, kUint, kFloat:
			return decodeNumber(n, v.Value, p)
		case kTime:
			return decodeUnix(v.Value, p)
		}
	case *types.AttributeValueMemberBOOL:
		if n.kind == kBool {
			*(*bool)(p) = v.Value
			return nil
		}
	case *types.AttributeValueMemberB:
		switch n.kind {
		case kBytes:
			b := make([]byte, len(v.Value))
			copy(b, v.Value)
			*(*[]byte)(p) = b
			return nil
		case kByteArray:
			if len(v.Value) != n.length {
				// attributevalue panics here.
				return &attributevalue.UnmarshalTypeError{Value: fmt.Sprintf("binary of %d bytes", len(v.Value)), Type: n.t}
			}
			copy(unsafe.Slice((*byte)(p), n.length), v.Value)
			return nil
		}
	case *types.AttributeValueMemberM:
		switch n.kind {
		case kStruct:
			return decodeFields(n, v.Value, p, nil)
		case kMap:
			return decodeMap(n, v.Value, p)
		}
	case *types.AttributeValueMemberL:
		switch n.kind {
		case kList, kSet, kArray:
			if ok, err := decodeList(n, v.Value, p); ok {
				return err
			}
		}
	case *types.AttributeValueMemberSS:
		if (n.kind == kList || n.kind == kSet) && n.rk == reflect.Slice && (n.elem.kind == kString || n.elem.kind == kNumString) {
			data := makeSlice(n, p, len(v.Value))
			for i, s := range v.Value {
				*(*string)(unsafe.Add(data, uintptr(i)*n.esize)) = s
			}
			return nil
		}
	case *types.AttributeValueMemberNS:
		if (n.kind == kList || n.kind == kSet) && n.rk == reflect.Slice {
			switch n.elem.kind {
			case kString, kNumString, kInt, kUint, kFloat:
				data := makeSlice(n, p, len(v.Value))
				for i, s := range v.Value {
					ep := unsafe.Add(data, uintptr(i)*n.esize)
					if n.elem.kind == kString || n.elem.kind == kNumString {
						*(*string)(ep) = s
					} else if err := decodeNumber(n.elem, s, ep); err != nil {
						return err
					}
				}
				return nil
			}
		}
	case *types.AttributeValueMemberBS:
		if (n.kind == kList || n.kind == kSet) && n.rk == reflect.Slice && (n.elem.kind == kBytes || n.elem.kind == kByteArray) {
			data := makeSlice(n, p, len(v.Value))
			for i, b := range v.Value {
				if err := decodeNode(n.elem, &types.AttributeValueMemberB{Value: b}, unsafe.Add(data, uintptr(i)*n.esize)); err != nil {
					return err
				}
			}
			return nil
		}
	case *types.AttributeValueMemberNULL:
		// attributevalue sets the value to its zero value.
		reflect.NewAt(n.t, p).Elem().SetZero()
		return nil
	}
	if n.kind == kPtr && av != nil {
		q := (*unsafe.Pointer)(p)
		if *q == nil {
			*q = reflect.New(n.elem.t).UnsafePointer()
		}
		return decodeNode(n.elem, av, *q)
	}
	return decodeFallback(n, av, p)
}

// makeSlice sets the slice of n at p to a slice of length ln, reusing its
// array when large enough as attributevalue does, and returns its data.
func makeSlice(n *node, p unsafe.Pointer, ln int) unsafe.Pointer {
	h := (*sliceHeader)(p)
	if h.data != nil && h.cap >= ln {
		h.len = ln
		return h.data
	}
	if n.fast == fastStrings {
		s := make([]string, ln)
		*(*[]string)(p) = s
		return h.data
	}
	v := reflect.NewAt(n.t, p).Elem()
	v.Set(reflect.MakeSlice(n.t, ln, ln))
	return h.data
}

// decodeList decodes a list into a slice or array; ok is false when it
// leaves the list to attributevalue.
func decodeList(n *node, l []types.AttributeValue, p unsafe.Pointer) (ok bool, err error) {
	if n.fast == fastStrings {
		for _, av := range l {
			if _, isS := av.(*types.AttributeValueMemberS); !isS {
				return false, nil
			}
		}
		data := makeSlice(n, p, len(l))
		for i, av := range l {
			*(*string)(unsafe.Add(data, uintptr(i)*n.esize)) = av.(*types.AttributeValueMemberS).Value
		}
		return true, nil
	}
	data, ln := p, n.length
	if n.rk == reflect.Slice {
		data, ln = makeSlice(n, p, len(l)), len(l)
	}
	for i := 0; i < ln && i < len(l); i++ {
		if err := decodeNode(n.elem, l[i], unsafe.Add(data, uintptr(i)*n.esize)); err != nil {
			return true, err
		}
	}
	return true, nil
}

func decodeMap(n *node, m map[string]types.AttributeValue, p unsafe.Pointer) error {
	if n.fast == fastStringMap {
		dst := *(*map[string]string)(p)
		if dst == nil {
			dst = make(map[string]string, len(m))
		}
		for k, av := range m {
			switch v := av.(type) {
			case *types.AttributeValueMemberS:
				dst[k] = v.Value
			case *types.AttributeValueMemberN:
				dst[k] = v.Value
			default:
				// Anything else, NULL included, as attributevalue does it.
				return decodeFallback(n, &types.AttributeValueMemberM{Value: m}, p)
			}
		}
		*(*map[string]string)(p) = dst
		return nil
	}
	mv := reflect.NewAt(n.t, p).Elem()
	if mv.IsNil() {
		mv.Set(reflect.MakeMapWithSize(n.t, len(m)))
	}
	kt := n.t.Key()
	kv := reflect.New(kt).Elem()
	ev := reflect.New(n.t.Elem()).Elem()
	ep := ev.Addr().UnsafePointer()
	for k, av := range m {
		kv.SetZero()
		if err := decodeKey(n.key, k, kv); err != nil {
			return &attributevalue.UnmarshalTypeError{Value: fmt.Sprintf("map key %q", k), Type: kt, Err: err}
		}
		ev.SetZero()
		if err := decodeNode(n.elem, av, ep); err != nil {
			return err
		}
		mv.SetMapIndex(kv, ev)
	}
	return nil
}

// decodeKey decodes a map key as attributevalue does.
func decodeKey(kn *node, k string, kv reflect.Value) error {
	if kn.textKey {
		return kv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(k))
	}
	switch kn.rk {
	case reflect.String:
		kv.SetString(k)
	case reflect.Bool:
		b, err := strconv.ParseBool(k)
		if err != nil {
			return err
		}
		kv.SetBool(b)
	default:
		p := kv.Addr().UnsafePointer()
		nn := &node{t: kn.t, rk: kn.rk, bits: kn.t.Bits()}
		switch kn.rk {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			nn.kind = kInt
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			nn.kind = kUint
		default:
			nn.kind = kFloat
		}
		return decodeNumber(nn, k, p)
	}
	return nil
}

// decodeNumber decodes the number s into the int, uint or float of n at
// p, with attributevalue's errors.
func decodeNumber(n *node, s string, p unsafe.Pointer) error {
	overflow := func() error {
		return &attributevalue.UnmarshalTypeError{Value: "number overflow, " + s, Type: n.t}
	}
	switch n.kind {
	case kInt:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		switch n.bits {
		case 8:
			if int64(int8(i)) != i {
				return overflow()
			}
			*(*int8)(p) = int8(i)
		case 16:
			if int64(int16(i)) != i {
				return overflow()
			}
			*(*int16)(p) = int16(i)
		case 32:
			if int64(int32(i)) != i {
				return overflow()
			}
			*(*int32)(p) = int32(i)
		default:
			*(*int64)(p) = i
		}
	case kUint:
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return err
		}
		switch n.bits {
		case 8:
			if uint64(uint8(u)) != u {
				return overflow()
			}
			*(*uint8)(p) = uint8(u)
		case 16:
			if uint64(uint16(u)) != u {
				return overflow()
			}
			*(*uint16)(p) = uint16(u)
		case 32:
			if uint64(uint32(u)) != u {
				return overflow()
			}
			*(*uint32)(p) = uint32(u)
		default:
			*(*uint64)(p) = u
		}
	case kFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		if n.bits == 32 {
			if a := math.Abs(f); math.MaxFloat32 < a && a <= math.MaxFloat64 {
				return overflow()
			}
			*(*float32)(p) = float32(f)
			return nil
		}
		*(*float64)(p) = f
	}
	return nil
}

// decodeUnix decodes seconds since the epoch into the time at p, as
// attributevalue does (in the local time zone).
func decodeUnix(s string, p unsafe.Pointer) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &attributevalue.UnmarshalError{Err: err, Value: s, Type: timeType}
	}
	*(*time.Time)(p) = time.Unix(v, 0)
	return nil
}
