package cfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ToYAML converts a JSON document to YAML in block style, keeping the
// order of object keys. Strings, keys included, stay JSON-quoted, which is
// valid YAML with the same meaning (a double-quoted scalar), so no string
// is ever read back as a number, boolean or date; numbers, booleans and
// null are written as they are. It returns an error for JSON that does
// not parse.
func ToYAML(j []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return nil, fmt.Errorf("cfn: yaml: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("cfn: yaml: data after the JSON value")
	}
	var b strings.Builder
	writeYAML(&b, v, 0, false)
	return []byte(b.String()), nil
}

type member struct {
	key string
	val any
}

// object keeps a JSON object's members in order.
type object []member

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		var o object
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, member{k.(string), v})
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(x) // a string always encodes
		return strings.TrimSuffix(buf.String(), "\n")
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// writeYAML writes v at indent. inline says the first line continues a
// "- " already written.
func writeYAML(b *strings.Builder, v any, indent int, inline bool) {
	pad := strings.Repeat("  ", indent)
	first := func() string {
		if inline {
			inline = false
			return ""
		}
		return pad
	}
	switch x := v.(type) {
	case object:
		if len(x) == 0 {
			b.WriteString(first() + "{}\n")
			return
		}
		for _, m := range x {
			b.WriteString(first() + scalar(m.key) + ":")
			writeChild(b, m.val, indent)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString(first() + "[]\n")
			return
		}
		for _, e := range x {
			b.WriteString(first() + "-")
			b.WriteString(" ")
			writeYAML(b, e, indent+1, true)
		}
	default:
		b.WriteString(first() + scalar(v) + "\n")
	}
}

// writeChild writes a member's value after its "key:".
func writeChild(b *strings.Builder, v any, indent int) {
	switch v.(type) {
	case object, []any:
		if isEmpty(v) {
			b.WriteString(" ")
			writeYAML(b, v, 0, true)
			return
		}
		b.WriteString("\n")
		writeYAML(b, v, indent+1, false)
	default:
		b.WriteString(" " + scalar(v) + "\n")
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case object:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}
