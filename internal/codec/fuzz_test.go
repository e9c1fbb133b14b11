package codec

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzCodec generates a struct type and values of it from the fuzzer's
// seeds and checks the codec against attributevalue on them (see
// compare), and on decoding an item of another generated type:
//
//	go test -run '^$' -fuzz FuzzCodec -fuzztime 5m ./internal/codec/
func FuzzCodec(f *testing.F) {
	for i := range uint64(16) {
		f.Add(i, i*7919, uint8(3))
	}
	f.Fuzz(func(t *testing.T, typeSeed, valueSeed uint64, depth uint8) {
		g := &gen{r: rand.New(rand.NewPCG(typeSeed, 1))}
		typ := g.structType(int(depth % 5))
		other := g.structType(int(depth % 4))
		c, err := New(typ)
		if err != nil {
			return // refused, with a *ModelError (TestCompatible checks its type)
		}
		g.r = rand.New(rand.NewPCG(valueSeed, 2))
		v := reflect.New(typ)
		v.Elem().Set(g.value(typ, 0))
		compare(t, c, v)
		if _, err := New(other); err != nil {
			return
		}
		w := reflect.New(other)
		w.Elem().Set(g.value(other, 0))
		var (
			item    map[string]types.AttributeValue
			invalid bool
		)
		if safely(func() { item, _, invalid, err = reference(w) }) || err != nil || invalid {
			return
		}
		compareDecode(t, c, item)
	})
}
