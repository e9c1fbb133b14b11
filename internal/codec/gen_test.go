package codec

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Named types for the generator: what reflect.StructOf cannot make.
type (
	myString string
	myInt    int16
	myUint   uint8
	myFloat  float32
	myBool   bool
	myBytes  []byte
	myTime   time.Time
)

// shout is a Marshaler and Unmarshaler with value and pointer receivers.
type shout string

func (s shout) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: strings.ToUpper(string(s)) + "!"}, nil
}

func (s *shout) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	if v, ok := av.(*types.AttributeValueMemberS); ok {
		*s = shout(strings.ToLower(strings.TrimSuffix(v.Value, "!")))
	}
	return nil
}

// counter marshals on its pointer only.
type counter struct{ N int }

func (c *counter) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberN{Value: strconv.Itoa(c.N * 10)}, nil
}

func (c *counter) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	if v, ok := av.(*types.AttributeValueMemberN); ok {
		n, err := strconv.Atoi(v.Value)
		c.N = n / 10
		return err
	}
	return nil
}

// textKey is a map key written with MarshalText.
type textKey int

func (k textKey) MarshalText() ([]byte, error) { return []byte("k" + strconv.Itoa(int(k))), nil }

func (k *textKey) UnmarshalText(b []byte) error {
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "k"))
	*k = textKey(n)
	return err
}

// Embedded types, for attributevalue's shadowing rules.
type (
	Base struct {
		ID   string `dynamodbav:"id"`
		Name string
		Code int `dynamodbav:"code,omitempty"`
	}
	Audit struct {
		By   string    `dynamodbav:"by"`
		At   time.Time `dynamodbav:"at"`
		Name string    `dynamodbav:"name"`
	}
	Other struct {
		Name string
		Note string `dynamodbav:"note,omitempty"`
	}
)

// gen makes random types and values.
type gen struct {
	r *rand.Rand
}

var scalarTypes = []reflect.Type{
	reflect.TypeFor[string](), reflect.TypeFor[bool](),
	reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int16](), reflect.TypeFor[int32](), reflect.TypeFor[int64](),
	reflect.TypeFor[uint](), reflect.TypeFor[uint8](), reflect.TypeFor[uint16](), reflect.TypeFor[uint32](), reflect.TypeFor[uint64](),
	reflect.TypeFor[float32](), reflect.TypeFor[float64](),
	reflect.TypeFor[[]byte](), reflect.TypeFor[[4]byte](), reflect.TypeFor[time.Time](),
	reflect.TypeFor[myString](), reflect.TypeFor[myInt](), reflect.TypeFor[myUint](), reflect.TypeFor[myFloat](),
	reflect.TypeFor[myBool](), reflect.TypeFor[myBytes](), reflect.TypeFor[myTime](),
	reflect.TypeFor[json.Number](), reflect.TypeFor[attributevalue.UnixTime](),
	reflect.TypeFor[shout](), reflect.TypeFor[counter](), reflect.TypeFor[any](),
}

var names = []string{"a", "b", "id", "name", "Name", "x.y", "at", "by", "note", "tags", "ünï"}

func (g *gen) typ(depth int) reflect.Type {
	n := g.r.IntN(20)
	if depth <= 0 {
		n = 0
	}
	switch {
	case n < 10:
		return scalarTypes[g.r.IntN(len(scalarTypes))]
	case n < 12:
		return reflect.PointerTo(g.typ(depth - 1))
	case n < 14:
		return reflect.SliceOf(g.typ(depth - 1))
	case n < 15:
		return reflect.ArrayOf(g.r.IntN(3), g.typ(depth-1))
	case n < 17:
		keys := []reflect.Type{reflect.TypeFor[string](), reflect.TypeFor[myString](), reflect.TypeFor[int](),
			reflect.TypeFor[uint16](), reflect.TypeFor[bool](), reflect.TypeFor[textKey]()}
		return reflect.MapOf(keys[g.r.IntN(len(keys))], g.typ(depth-1))
	default:
		return g.structType(depth - 1)
	}
}

// structType returns a struct type with tagged fields; some are sets,
// numbers as strings, unix times, omitempty, embedded.
func (g *gen) structType(depth int) reflect.Type {
	var fields []reflect.StructField
	for i := range 1 + g.r.IntN(6) {
		t := g.typ(depth)
		var opts []string
		switch g.r.IntN(8) {
		case 0:
			opts = append(opts, "omitempty")
		case 1:
			switch g.r.IntN(4) {
			case 0:
				t = reflect.TypeFor[[]string]()
				opts = append(opts, "stringset")
			case 1:
				t = []reflect.Type{reflect.TypeFor[[]int](), reflect.TypeFor[[]float64](), reflect.TypeFor[[]uint8](),
					reflect.TypeFor[[]json.Number]()}[g.r.IntN(4)]
				if t.Elem().Kind() == reflect.Uint8 {
					t = reflect.TypeFor[[]uint16]()
				}
				opts = append(opts, "numberset")
			case 2:
				t = reflect.TypeFor[[][]byte]()
				opts = append(opts, "binaryset")
			default:
				t = reflect.TypeFor[[]myString]()
				opts = append(opts, "stringset", "omitempty")
			}
		case 2:
			t = []reflect.Type{reflect.TypeFor[int](), reflect.TypeFor[uint32](), reflect.TypeFor[float64](), reflect.TypeFor[*int]()}[g.r.IntN(4)]
			opts = append(opts, "string")
		case 3:
			t = []reflect.Type{reflect.TypeFor[time.Time](), reflect.TypeFor[*time.Time]()}[g.r.IntN(2)]
			opts = append(opts, "unixtime")
		}
		name := ""
		if g.r.IntN(2) == 0 {
			name = names[g.r.IntN(len(names))]
		}
		if name == "" && len(opts) == 0 && g.r.IntN(3) == 0 {
			// An untagged field now and then.
		} else {
			_ = name
		}
		tag := ""
		if name != "" || len(opts) > 0 {
			tag = `dynamodbav:"` + name + prefixComma(opts) + `"`
		}
		if g.r.IntN(12) == 0 {
			tag = `dynamodbav:"-"`
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: t, Tag: reflect.StructTag(tag)})
	}
	if g.r.IntN(4) == 0 {
		emb := []reflect.Type{reflect.TypeFor[Base](), reflect.TypeFor[*Audit](), reflect.TypeFor[Other](), reflect.TypeFor[Audit]()}
		seen := map[string]bool{}
		for range 1 + g.r.IntN(2) {
			t := emb[g.r.IntN(len(emb))]
			name := strings.TrimPrefix(t.String(), "*codec.")
			name = strings.TrimPrefix(name, "codec.")
			if seen[name] {
				continue
			}
			seen[name] = true
			fields = append(fields, reflect.StructField{Name: name, Type: t, Anonymous: true})
		}
	}
	return reflect.StructOf(fields)
}

func prefixComma(opts []string) string {
	if len(opts) == 0 {
		return ""
	}
	return "," + strings.Join(opts, ",")
}

func (g *gen) str() string {
	switch g.r.IntN(12) {
	case 0:
		return ""
	case 1:
		return "h\xffé" // invalid UTF-8, now and then
	case 2:
		return "ünïcødé ✓"
	}
	b := make([]byte, g.r.IntN(8))
	for i := range b {
		b[i] = "abcdefgh-_ 0123"[g.r.IntN(15)]
	}
	return string(b)
}

func (g *gen) float() float64 {
	switch g.r.IntN(16) {
	case 0:
		return 0
	case 1:
		return math.NaN()
	case 2:
		return math.Inf(1 - 2*g.r.IntN(2))
	case 3:
		return math.Copysign(0, -1)
	case 4:
		return 1e130 // out of DynamoDB's range
	case 5:
		return 5e-135
	case 6:
		return math.MaxFloat64
	case 7:
		return 9.99e125
	}
	return (g.r.Float64() - 0.5) * math.Pow(10, float64(g.r.IntN(40)-20))
}

func (g *gen) time() time.Time {
	switch g.r.IntN(10) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC) // outside 0000-9999
	case 2:
		return time.Unix(g.r.Int64N(4e9), g.r.Int64N(1e9)).In(time.FixedZone("X", 3600))
	}
	return time.Unix(g.r.Int64N(4e9)-1e9, g.r.Int64N(1e9)).UTC()
}

// value returns a random value of t.
func (g *gen) value(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if g.r.IntN(8) == 0 {
		return v // the zero value
	}
	switch t {
	case reflect.TypeFor[time.Time](), reflect.TypeFor[myTime](), reflect.TypeFor[attributevalue.UnixTime]():
		v.Set(reflect.ValueOf(g.time()).Convert(t))
		return v
	case reflect.TypeFor[json.Number]():
		v.SetString([]string{"1", "-2.5", "1e3", "0.0001", "12345678901234567890123456789012345678901", "NaN"}[g.r.IntN(6)])
		return v
	case reflect.TypeFor[any]():
		switch g.r.IntN(6) {
		case 0:
			v.Set(reflect.ValueOf(g.str()))
		case 1:
			v.Set(reflect.ValueOf(g.float()))
		case 2:
			v.Set(reflect.ValueOf(g.r.IntN(2) == 0))
		case 3:
			v.Set(reflect.ValueOf([]any{g.str(), 1.5}))
		case 4:
			v.Set(reflect.ValueOf(map[string]any{"k": g.str(), "n": nil}))
		}
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(g.str())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := g.r.Int64() >> g.r.IntN(64)
		if g.r.IntN(2) == 0 {
			i = -i
		}
		if v.OverflowInt(i) {
			i = i % (1 << (t.Bits() - 1))
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := g.r.Uint64() >> g.r.IntN(64)
		if v.OverflowUint(u) {
			u = u % (1 << t.Bits())
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f := g.float()
		if t.Kind() == reflect.Float32 && !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			f = 1e38
		}
		v.SetFloat(f)
	case reflect.Pointer:
		if g.r.IntN(4) > 0 {
			v.Set(reflect.New(t.Elem()))
			v.Elem().Set(g.value(t.Elem(), depth+1))
		}
	case reflect.Slice:
		n := g.r.IntN(4)
		v.Set(reflect.MakeSlice(t, n, n))
		for i := range n {
			v.Index(i).Set(g.value(t.Elem(), depth+1))
		}
		if t.Elem().Kind() == reflect.Uint8 && g.r.IntN(3) == 0 {
			v.SetLen(0)
		}
	case reflect.Array:
		for i := range t.Len() {
			v.Index(i).Set(g.value(t.Elem(), depth+1))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		for range g.r.IntN(4) {
			k := g.value(t.Key(), depth+1)
			if t.Key().Kind() == reflect.String && g.r.IntN(4) > 0 && k.Len() == 0 {
				k.SetString("k")
			}
			v.SetMapIndex(k, g.value(t.Elem(), depth+1))
		}
	case reflect.Struct:
		for i := range t.NumField() {
			f := v.Field(i)
			if !f.CanSet() {
				continue
			}
			f.Set(g.value(t.Field(i).Type, depth+1))
		}
	}
	return v
}
