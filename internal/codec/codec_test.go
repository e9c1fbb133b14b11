package codec

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/avtime"
	"github.com/tablestakes/tablestakes/internal/itemsize"
)

// refEncoder is the repository's encoder before the codec: attributevalue
// with times in avtime.Layout.
var refEncoder = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) { o.EncodeTime = encodeTimeAV })

// reference encodes v (a pointer to a struct) as the repository did before
// the codec: attributevalue's item without its top-level NULLs, checked by
// itemsize.Check. invalid is set for an item Check refuses.
func reference(v reflect.Value) (item map[string]types.AttributeValue, size int, invalid bool, err error) {
	av, err := refEncoder.Encode(v.Interface())
	if err != nil {
		return nil, 0, false, err
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, 0, false, fmt.Errorf("encodes as %T", av)
	}
	for k, e := range m.Value {
		if _, null := e.(*types.AttributeValueMemberNULL); null {
			delete(m.Value, k)
		}
	}
	size, f := itemsize.Check(m.Value)
	return m.Value, size, f != nil, nil
}

// safely runs fn and reports whether it panicked (attributevalue panics on
// a few inputs; the codec must not).
func safely(fn func()) (panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	fn()
	return false
}

// compare checks the codec against attributevalue on one value: the same
// item (or a refusal of what Check refuses), and the same Go value
// decoded from that item.
func compare(t *testing.T, c *Codec, v reflect.Value) {
	t.Helper()
	var (
		want        map[string]types.AttributeValue
		wantSize    int
		wantInvalid bool
		wantErr     error
	)
	if safely(func() { want, wantSize, wantInvalid, wantErr = reference(v) }) {
		// attributevalue panics (on a slice of a named byte type, say):
		// the codec must not.
		if _, _, err := c.Encode(v, 0); err == nil {
			t.Logf("attributevalue panics encoding %#v; the codec encodes it", v.Elem().Interface())
		}
		return
	}
	got, size, err := c.Encode(v, 0)
	var ie *InvalidError
	switch {
	case wantInvalid:
		if !errors.As(err, &ie) {
			t.Fatalf("Encode(%#v) = %v, %v; want an *InvalidError (Check refuses %v)", v.Elem().Interface(), got, err, want)
		}
		return
	case wantErr != nil:
		// Either error: of two faults in a map, which one is met first
		// depends on the map's order.
		if err == nil {
			t.Fatalf("Encode(%#v) = %v; want an error like %v", v.Elem().Interface(), got, wantErr)
		}
		return
	case err != nil:
		t.Fatalf("Encode(%#v): %v; attributevalue: %v", v.Elem().Interface(), err, want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Encode(%#v)\n = %s\nwant %s", v.Elem().Interface(), show(got), show(want))
	}
	if size != wantSize {
		t.Fatalf("Encode(%#v) size = %d; want %d", v.Elem().Interface(), size, wantSize)
	}
	compareDecode(t, c, want)
}

// compareDecode decodes item with the codec and attributevalue into new
// values of the codec's type and checks that they agree.
func compareDecode(t *testing.T, c *Codec, item map[string]types.AttributeValue) {
	t.Helper()
	ours, theirs := reflect.New(c.t), reflect.New(c.t)
	if foldCollision(item) {
		// attributevalue decodes attributes equal under case folding
		// into one field in map order: its result is not one value.
		// The codec must not panic.
		_ = c.Decode(item, ours)
		return
	}
	var theirErr error
	if safely(func() { theirErr = attributevalue.UnmarshalMap(item, theirs.Interface()) }) {
		if err := c.Decode(item, ours); err == nil {
			t.Logf("attributevalue panics decoding %s; the codec decodes it", show(item))
		}
		return
	}
	err := c.Decode(item, ours)
	if (err == nil) != (theirErr == nil) {
		t.Fatalf("Decode(%s) error = %v; attributevalue: %v", show(item), err, theirErr)
	}
	if err == nil && !equal(ours.Elem(), theirs.Elem()) {
		t.Fatalf("Decode(%s)\n = %#v\nwant %#v", show(item), ours.Elem().Interface(), theirs.Elem().Interface())
	}
}

func show(item map[string]types.AttributeValue) string {
	b, err := attributevalue.MarshalMapJSON(item)
	if err != nil {
		return fmt.Sprintf("%v (%v)", item, err)
	}
	return string(b)
}

// TestCompatible checks the codec against attributevalue on generated
// struct types and values: strings, every int, uint and float size, bools,
// bytes, slices, arrays, maps, nested and embedded structs, pointers,
// times, sets, numbers as strings, unix times, omitempty, Marshalers and
// interfaces.
func TestCompatible(t *testing.T) {
	types, values := 2000, 5
	if testing.Short() {
		types = 200
	}
	for seed := range types {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 1))}
		typ := g.structType(3)
		c, err := New(typ)
		if err != nil {
			var me *ModelError
			if !errors.As(err, &me) {
				t.Fatalf("New(%v) = %v; want a *ModelError", typ, err)
			}
			continue
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			for range values {
				v := reflect.New(typ)
				v.Elem().Set(g.value(typ, 0))
				compare(t, c, v)
			}
		})
	}
}

// TestDecodeOthers decodes items of one generated type into another with
// the codec and attributevalue: the same values, or errors from both.
func TestDecodeOthers(t *testing.T) {
	for seed := range 1000 {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 2))}
		from, into := g.structType(2), g.structType(2)
		if _, err := New(from); err != nil {
			continue
		}
		c, err := New(into)
		if err != nil {
			continue
		}
		v := reflect.New(from)
		v.Elem().Set(g.value(from, 0))
		var (
			item    map[string]types.AttributeValue
			invalid bool
		)
		if safely(func() { item, _, invalid, err = reference(v) }) || err != nil || invalid {
			continue
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) { compareDecode(t, c, item) })
	}
}

type company struct {
	ID        string            `dynamodbav:"id"`
	Name      string            `dynamodbav:"name"`
	Employees int               `dynamodbav:"employees"`
	Revenue   float64           `dynamodbav:"revenue"`
	Public    bool              `dynamodbav:"public"`
	CreatedAt time.Time         `dynamodbav:"createdAt"`
	Tags      []string          `dynamodbav:"tags"`
	Labels    []string          `dynamodbav:"labels,stringset,omitempty"`
	Address   address           `dynamodbav:"address"`
	Metadata  map[string]string `dynamodbav:"metadata"`
	Loud      shout             `dynamodbav:"loud"`
	Count     counter           `dynamodbav:"count"`
	Seen      *time.Time        `dynamodbav:"seen,unixtime"`
	Skipped   string            `dynamodbav:"-"`
}

type address struct {
	City  string `dynamodbav:"city"`
	Lines []string
}

// TestEncode checks the item of one model field by field.
func TestEncode(t *testing.T) {
	c, err := For[company]()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))
	v := company{ID: "c1", Name: "Acme", Employees: -3, Revenue: 0.5, Public: true, CreatedAt: at,
		Tags: []string{"a", "b"}, Address: address{City: "Dublin"}, Metadata: map[string]string{"k": "v"},
		Loud: "hey", Count: counter{N: 4}, Seen: &at, Skipped: "x"}
	item, size, err := c.Encode(&v, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.AttributeValue{
		"id":        &types.AttributeValueMemberS{Value: "c1"},
		"name":      &types.AttributeValueMemberS{Value: "Acme"},
		"employees": &types.AttributeValueMemberN{Value: "-3"},
		"revenue":   &types.AttributeValueMemberN{Value: "0.5"},
		"public":    &types.AttributeValueMemberBOOL{Value: true},
		"createdAt": &types.AttributeValueMemberS{Value: "2024-03-14T08:26:53.589793000Z"},
		"tags":      &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "a"}, &types.AttributeValueMemberS{Value: "b"}}},
		"address": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"city": &types.AttributeValueMemberS{Value: "Dublin"}, "Lines": &types.AttributeValueMemberNULL{Value: true}}},
		"metadata": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}},
		"loud":     &types.AttributeValueMemberS{Value: "HEY!"},
		"count":    &types.AttributeValueMemberN{Value: "40"},
		"seen":     &types.AttributeValueMemberN{Value: "1710404813"},
	}
	if !reflect.DeepEqual(item, want) {
		t.Errorf("Encode = %s\nwant %s", show(item), show(want))
	}
	if wantSize, _ := itemsize.Check(want); size != wantSize {
		t.Errorf("Encode size = %d; want %d", size, wantSize)
	}
	var back company
	if err := c.Decode(item, &back); err != nil {
		t.Fatal(err)
	}
	if back.Loud != "hey" || back.Count.N != 4 || !back.CreatedAt.Equal(at) || back.Seen.Unix() != at.Unix() || back.Metadata["k"] != "v" {
		t.Errorf("Decode = %+v", back)
	}
}

type deep struct {
	Next *deep `dynamodbav:"next,omitempty"`
	V    int   `dynamodbav:"v"`
}

type bad struct {
	Name   string            `dynamodbav:"name"`
	Tags   []string          `dynamodbav:"tags"`
	Set    []string          `dynamodbav:"set,stringset"`
	Nested map[string]*bad   `dynamodbav:"nested"`
	Score  float64           `dynamodbav:"score"`
	At     time.Time         `dynamodbav:"at"`
	Meta   map[string]string `dynamodbav:"meta"`
}

// TestInvalid checks that values DynamoDB would refuse or alter are
// refused, named by their document path.
func TestInvalid(t *testing.T) {
	c, err := For[bad]()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    bad
		path string
		why  string
	}{
		{"invalid UTF-8", bad{Name: "a\xff"}, "name", "UTF-8"},
		{"invalid UTF-8 in a list", bad{Tags: []string{"a", "b", "\xff"}}, "tags[2]", "UTF-8"},
		{"invalid UTF-8 nested", bad{Nested: map[string]*bad{"k": {Meta: map[string]string{"m": "\xc3"}}}}, "nested.k.meta.m", "UTF-8"},
		{"duplicates in a set", bad{Set: []string{"x", "x"}}, "set", "twice"},
		{"NaN", bad{Score: nan()}, "score", "NaN"},
		{"too large", bad{Score: 1e200}, "score", "largest"},
		{"too small", bad{Score: 1e-200}, "score", "smallest"},
		{"time out of range", bad{At: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}, "at", "year"},
		{"long map key", bad{Meta: map[string]string{strings.Repeat("k", itemsize.MaxNameLen+1): ""}}, "", "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.Encode(&tt.v, 0)
			var ie *InvalidError
			if !errors.As(err, &ie) || (tt.path != "" && ie.Path != tt.path) || !strings.Contains(ie.Reason, tt.why) {
				t.Errorf("Encode = %v; want an *InvalidError of %q (%s)", err, tt.path, tt.why)
			}
		})
	}
	t.Run("nesting", func(t *testing.T) {
		d, err := For[deep]()
		if err != nil {
			t.Fatal(err)
		}
		// The item is level 1, each nested map one more.
		v := &deep{}
		for range 31 {
			v = &deep{Next: v}
		}
		if _, _, err := d.Encode(v, 0); err != nil {
			t.Errorf("Encode of 32 levels: %v", err)
		}
		v = &deep{Next: v}
		var ie *InvalidError
		if _, _, err := d.Encode(v, 0); !errors.As(err, &ie) || !strings.Contains(ie.Reason, "nested") {
			t.Errorf("Encode of 33 levels = %v; want an *InvalidError", err)
		}
		// A cycle is refused, not followed for ever.
		v.Next = v
		if _, _, err := d.Encode(v, 0); !errors.As(err, &ie) {
			t.Errorf("Encode of a cycle = %v; want an *InvalidError", err)
		}
	})
}

func nan() float64 { z := 0.0; return z / z }

// TestNewRefuses checks the models refused when planned, with a
// *ModelError naming why.
func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		why  string
	}{
		{"nullempty", reflect.TypeFor[struct {
			A string `dynamodbav:"a,nullempty"`
		}](), "nullempty"},
		{"set of structs", reflect.TypeFor[struct {
			A []address `dynamodbav:"a,stringset"`
		}](), "set"},
		{"set on a string", reflect.TypeFor[struct {
			A string `dynamodbav:"a,numberset"`
		}](), "set"},
		{"pointer keys", reflect.TypeFor[struct{ A map[*string]int }](), "map key"},
		{"tagged interface", reflect.TypeFor[struct {
			A any `dynamodbav:"a,stringset"`
		}](), "interface"},
		{"not a struct", reflect.TypeFor[int](), "struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.typ)
			var me *ModelError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("New(%v) = %v; want a *ModelError about %s", tt.typ, err, tt.why)
			}
		})
	}
}

// TestDecimal checks the codec's number sizes against itemsize's.
func TestDecimal(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1", "10", "100", "12345678.9", "0.001", "-0.5", "9.99", "1000000", "0.000000000123",
		"18446744073709551615", "-9223372036854775808", "123.456"} {
		if got, want := decimalSize(s), itemsize.Value(&types.AttributeValueMemberN{Value: s}); got != want {
			t.Errorf("decimalSize(%q) = %d; want %d", s, got, want)
		}
	}
}

// equal is reflect.DeepEqual with NaN equal to itself.
func equal(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (x != x && y != y)
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equal(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if a.Type().ConvertibleTo(timeType) {
			return reflect.DeepEqual(a.Interface(), b.Interface())
		}
		for i := range a.NumField() {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(valueOf(a), valueOf(b))
}

func valueOf(v reflect.Value) any {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	}
	if v.CanInterface() {
		return v.Interface()
	}
	return fmt.Sprint(v)
}

// TestFormatTime checks the codec's time writer against avtime.Format.
func TestFormatTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{{}, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 1, 0, 0, 5, time.FixedZone("", -5*3600))}
	for range 1000 {
		times = append(times, time.Unix(r.Int64N(2*maxLayoutUnix)-maxLayoutUnix, r.Int64N(1e9)).In(time.FixedZone("", r.IntN(40000)-20000)))
	}
	for _, tm := range times {
		got, err := formatTime(tm)
		want, wantErr := avtime.Format(tm)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("formatTime(%v) = %q, %v; want %q, %v", tm, got, err, want, wantErr)
		}
	}
}

// foldCollision reports whether two attribute names of item (at any depth)
// are equal under case folding.
func foldCollision(item map[string]types.AttributeValue) bool {
	seen := map[string]bool{}
	for k, v := range item {
		f := strings.ToLower(k)
		if seen[f] {
			return true
		}
		seen[f] = true
		if foldCollisionIn(v) {
			return true
		}
	}
	return false
}

func foldCollisionIn(v types.AttributeValue) bool {
	switch v := v.(type) {
	case *types.AttributeValueMemberM:
		return foldCollision(v.Value)
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if foldCollisionIn(e) {
				return true
			}
		}
	}
	return false
}
