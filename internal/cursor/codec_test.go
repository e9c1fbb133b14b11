package cursor_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/internal/cursor"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func codec(t testing.TB, key []byte) *cursor.Codec {
	t.Helper()
	c, err := cursor.New(key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func keys() map[string]map[string]types.AttributeValue {
	return map[string]map[string]types.AttributeValue{
		"string": {"pk": &types.AttributeValueMemberS{Value: "COMPANY#1"}},
		"table": {
			"pk": &types.AttributeValueMemberS{Value: "COMPANY#1"},
			"sk": &types.AttributeValueMemberS{Value: "PROFILE"},
		},
		"index": {
			"pk":        &types.AttributeValueMemberS{Value: "COMPANY#1"},
			"sk":        &types.AttributeValueMemberS{Value: "PROFILE"},
			"industry":  &types.AttributeValueMemberS{Value: "fintech"},
			"createdAt": &types.AttributeValueMemberN{Value: "1732500000"},
		},
		"binary":  {"id": &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}}},
		"unicode": {"näme": &types.AttributeValueMemberS{Value: "日本"}},
	}
}

func TestRoundTrip(t *testing.T) {
	c := codec(t, testKey)
	for name, key := range keys() {
		t.Run(name, func(t *testing.T) {
			s, err := c.Encode("b", key)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := c.Decode("b", s)
			if err != nil {
				t.Fatalf("Decode(%q): %v", s, err)
			}
			if !reflect.DeepEqual(got, key) {
				t.Errorf("Decode(Encode(%v)) = %v", key, got)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	c := codec(t, testKey)
	if s, err := c.Encode("b", nil); s != "" || err != nil {
		t.Errorf("Encode(nil) = %q, %v; want \"\", nil", s, err)
	}
	if k, err := c.Decode("b", ""); k != nil || err != nil {
		t.Errorf("Decode(\"\") = %v, %v; want nil, nil", k, err)
	}
}

func TestEveryEditIsRejected(t *testing.T) {
	c := codec(t, testKey)
	s, err := c.Encode("b", keys()["index"])
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(s) {
		for _, ch := range []byte{alphabet[(bytes.IndexByte([]byte(alphabet), s[i])+1)%64], '!'} {
			edited := s[:i] + string(ch) + s[i+1:]
			if edited == s {
				continue
			}
			if _, err := c.Decode("b", edited); !errors.Is(err, cursor.ErrInvalid) {
				t.Fatalf("Decode of cursor edited at %d (%q) = %v; want ErrInvalid", i, edited, err)
			}
		}
	}
	for _, cut := range []string{s[:len(s)-1], s[1:], s + "A", "A" + s} {
		if _, err := c.Decode("b", cut); !errors.Is(err, cursor.ErrInvalid) {
			t.Errorf("Decode(%q) = %v; want ErrInvalid", cut, err)
		}
	}
}

func TestBindingAndKeyAreChecked(t *testing.T) {
	c := codec(t, testKey)
	s, err := c.Encode("table\x00pattern\x00S:fintech", keys()["table"])
	if err != nil {
		t.Fatal(err)
	}
	var ce *cursor.Error
	if _, err := c.Decode("table\x00pattern\x00S:retail", s); !errors.Is(err, cursor.ErrInvalid) || !errors.As(err, &ce) {
		t.Errorf("Decode with another binding = %v; want *Error matching ErrInvalid", err)
	}
	other := codec(t, []byte("another key of at least 16 bytes"))
	if _, err := other.Decode("table\x00pattern\x00S:fintech", s); !errors.Is(err, cursor.ErrInvalid) {
		t.Errorf("Decode with another key = %v; want ErrInvalid", err)
	}
	for _, garbage := range []string{"%%%", "a", "AAAA", string(make([]byte, 10000))} {
		if _, err := c.Decode("b", garbage); !errors.Is(err, cursor.ErrInvalid) {
			t.Errorf("Decode(%.20q) = %v; want ErrInvalid", garbage, err)
		}
	}
}

func TestEncodeRefusesNonKeyValues(t *testing.T) {
	c := codec(t, testKey)
	for _, v := range []types.AttributeValue{
		&types.AttributeValueMemberBOOL{Value: true},
		&types.AttributeValueMemberL{},
		&types.AttributeValueMemberNULL{Value: true},
	} {
		if _, err := c.Encode("b", map[string]types.AttributeValue{"pk": v}); err == nil {
			t.Errorf("Encode(%T) = nil error; want an error", v)
		}
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	if _, err := cursor.New([]byte("short")); err == nil {
		t.Error("New(5 bytes) = nil error; want an error")
	}
}

func FuzzCodecDecode(f *testing.F) {
	c := codec(f, testKey)
	for _, k := range keys() {
		s, _ := c.Encode("b", k)
		f.Add(s)
	}
	f.Add("")
	f.Add("AQ")
	if s, _ := c.Encode("b", keys()["unicode"]); len(s) > 4 {
		f.Add(s[:4] + "\n" + s[4:]) // base64 decoders skip line breaks; cursors must not
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := c.Decode("b", s)
		if err != nil {
			if !errors.Is(err, cursor.ErrInvalid) {
				t.Fatalf("Decode(%q) = %v; want an error matching ErrInvalid", s, err)
			}
			return
		}
		again, err := c.Encode("b", key)
		if err != nil || again != s {
			t.Fatalf("Decode(%q) accepted, but re-encodes to %q, %v", s, again, err)
		}
	})
}

func BenchmarkCodec(b *testing.B) {
	c := codec(b, testKey)
	key := keys()["index"]
	s, _ := c.Encode("b", key)
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.Encode("b", key)
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.Decode("b", s)
		}
	})
}
