// Package cursor encodes the position of a paginated DynamoDB read — a
// LastEvaluatedKey — as an opaque, signed string for callers to hand back.
//
// A cursor is bound to what it was issued for (a binding string the caller
// builds from the table, access pattern, index and partition) and signed
// with HMAC-SHA256: an edited cursor, one issued for another binding, or one
// signed with another key fails [Codec.Decode] with an error matching
// [ErrInvalid], and is never used.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrInvalid reports a cursor that was edited, issued for another binding
// or key, or is not a cursor at all. [*Error] matches it.
var ErrInvalid = errors.New("cursor: invalid cursor")

// Error says why a cursor was refused.
type Error struct {
	Reason string
}

// Error describes the failure.
func (e *Error) Error() string { return "cursor: invalid cursor: " + e.Reason }

// Is makes an Error match [ErrInvalid].
func (e *Error) Is(target error) bool { return target == ErrInvalid }

const (
	version  = 1
	macLen   = 16
	maxBytes = 4096
	minKey   = 16
)

// Type tags of key attribute values.
const (
	tagS byte = 'S'
	tagN byte = 'N'
	tagB byte = 'B'
)

// Codec signs and verifies cursors with one HMAC-SHA256 key. It is safe for
// concurrent use.
type Codec struct {
	key []byte
}

// New returns a Codec signing with key, which must be at least 16 bytes.
func New(key []byte) (*Codec, error) {
	if len(key) < minKey {
		return nil, fmt.Errorf("cursor: key is %d bytes; want at least %d", len(key), minKey)
	}
	return &Codec{key: slices.Clone(key)}, nil
}

// Encode returns the cursor for lastKey issued for binding, or "" when
// lastKey is empty (no more pages). Key values must be strings, numbers or
// binaries, as DynamoDB keys are.
func (c *Codec) Encode(binding string, lastKey map[string]types.AttributeValue) (string, error) {
	if len(lastKey) == 0 {
		return "", nil
	}
	names := make([]string, 0, len(lastKey))
	for name := range lastKey {
		names = append(names, name)
	}
	slices.Sort(names)
	buf := []byte{version}
	for _, name := range names {
		var tag byte
		var val []byte
		switch v := lastKey[name].(type) {
		case *types.AttributeValueMemberS:
			tag, val = tagS, []byte(v.Value)
		case *types.AttributeValueMemberN:
			tag, val = tagN, []byte(v.Value)
		case *types.AttributeValueMemberB:
			tag, val = tagB, v.Value
		default:
			return "", fmt.Errorf("cursor: key attribute %q is %T; want S, N or B", name, lastKey[name])
		}
		buf = binary.AppendUvarint(buf, uint64(len(name)))
		buf = append(buf, name...)
		buf = append(buf, tag)
		buf = binary.AppendUvarint(buf, uint64(len(val)))
		buf = append(buf, val...)
	}
	buf = append(buf, c.mac(binding, buf)...)
	if len(buf) > maxBytes {
		return "", fmt.Errorf("cursor: key is too large for a cursor (%d bytes)", len(buf))
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Decode returns the key that cursor encodes, after checking that it was
// issued for binding and signed with the codec's key. The empty cursor
// decodes to nil. Every failure matches [ErrInvalid].
func (c *Codec) Decode(binding, cursor string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	if base64.RawURLEncoding.DecodedLen(len(cursor)) > maxBytes {
		return nil, &Error{Reason: "too long"}
	}
	for i := 0; i < len(cursor); i++ {
		// The decoder skips line breaks; a cursor has none.
		if c := cursor[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, &Error{Reason: "not base64url"}
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return nil, &Error{Reason: "not base64url"}
	}
	if len(raw) < 1+macLen {
		return nil, &Error{Reason: "too short"}
	}
	payload, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(sum, c.mac(binding, payload)) {
		return nil, &Error{Reason: "signature mismatch: edited, or issued for another query or key"}
	}
	if payload[0] != version {
		return nil, &Error{Reason: fmt.Sprintf("unknown version %d", payload[0])}
	}
	key := map[string]types.AttributeValue{}
	p := payload[1:]
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return nil, false
		}
		b := p[k : k+int(n)]
		p = p[k+int(n):]
		return b, true
	}
	for len(p) > 0 {
		name, ok := next()
		if !ok || len(p) == 0 {
			return nil, &Error{Reason: "truncated"}
		}
		tag := p[0]
		p = p[1:]
		val, ok := next()
		if !ok {
			return nil, &Error{Reason: "truncated"}
		}
		if _, dup := key[string(name)]; dup {
			return nil, &Error{Reason: "duplicate attribute"}
		}
		switch tag {
		case tagS:
			key[string(name)] = &types.AttributeValueMemberS{Value: string(val)}
		case tagN:
			key[string(name)] = &types.AttributeValueMemberN{Value: string(val)}
		case tagB:
			key[string(name)] = &types.AttributeValueMemberB{Value: slices.Clone(val)}
		default:
			return nil, &Error{Reason: "unknown type tag"}
		}
	}
	if len(key) == 0 {
		return nil, &Error{Reason: "empty key"}
	}
	return key, nil
}

// mac signs version, binding and payload.
func (c *Codec) mac(binding string, payload []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(binding)))])
	h.Write([]byte(binding))
	h.Write(payload)
	return h.Sum(nil)[:macLen]
}
