package index

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidTemplate reports a malformed key [Template].
var ErrInvalidTemplate = errors.New("index: invalid key template")

// Template composes a key attribute's value from literal text and
// {attribute} placeholders, so that several entity types share one table:
// "COMPANY#{id}" for a partition key, "PROFILE" for a constant sort key,
// "INDUSTRY#{industry}" for a GSI key. A template that is exactly one
// placeholder, like "{id}", yields the attribute's value as it is, of any
// key type; any other template yields a string. Braces cannot be escaped.
type Template string

// Fields returns the attribute names t's placeholders refer to, in order,
// or an error matching [ErrInvalidTemplate] for unbalanced or empty braces.
func (t Template) Fields() ([]string, error) {
	var fields []string
	err := t.walk(func(lit string, field string) error {
		if field != "" {
			fields = append(fields, field)
		}
		return nil
	})
	return fields, err
}

// Single returns the attribute name when t is exactly one placeholder.
func (t Template) Single() (string, bool) {
	s := string(t)
	if len(s) < 3 || s[0] != '{' || s[len(s)-1] != '}' || strings.ContainsAny(s[1:len(s)-1], "{}") {
		return "", false
	}
	return s[1 : len(s)-1], true
}

// Expand returns t with each placeholder replaced by lookup's value for it.
// It fails when lookup reports a field as missing.
func (t Template) Expand(lookup func(field string) (string, bool)) (string, error) {
	if !strings.ContainsAny(string(t), "{}") {
		return string(t), nil // a constant, such as "PROFILE"
	}
	// The pieces, then the key in one allocation (none for "{id}").
	var buf [8]string
	parts := buf[:0]
	err := t.walk(func(lit, field string) error {
		if lit != "" {
			parts = append(parts, lit)
		}
		if field == "" {
			return nil
		}
		v, ok := lookup(field)
		if !ok {
			return &MissingFieldError{Template: t, Field: field}
		}
		parts = append(parts, v)
		return nil
	})
	return strings.Join(parts, ""), err
}

// Values is the inverse of [Template.Expand]: it returns the value of each
// placeholder of t in s, such as {"id": "42"} for "COMPANY#{id}" and
// "COMPANY#42", and false when s could not have been composed by t (see
// [Template.Matches], whose rules it follows: at least one character per
// placeholder; each placeholder takes the shortest run up to the literal
// that follows it, except before t's last literal, which is anchored at the
// end of s). A template with two placeholders side by side is ambiguous
// and yields nothing; a placeholder used twice must have one value.
func (t Template) Values(s string) (map[string]string, bool) {
	type segment struct{ lit, field string }
	var segs []segment
	if err := t.walk(func(lit, field string) error {
		segs = append(segs, segment{lit, field})
		return nil
	}); err != nil {
		return nil, false
	}
	out := map[string]string{}
	rest := s
	for i, sg := range segs {
		if !strings.HasPrefix(rest, sg.lit) {
			return nil, false
		}
		rest = rest[len(sg.lit):]
		if sg.field == "" {
			continue // t's trailing literal
		}
		var v string
		switch {
		case i+1 == len(segs):
			v, rest = rest, ""
		case segs[i+1].lit == "":
			return nil, false // {a}{b}: no way to tell where a ends
		case i+2 == len(segs) && segs[i+1].field == "":
			next := segs[i+1].lit
			if !strings.HasSuffix(rest, next) || len(rest) <= len(next) {
				return nil, false
			}
			v, rest = rest[:len(rest)-len(next)], rest[len(rest)-len(next):]
		default:
			if rest == "" {
				return nil, false
			}
			j := strings.Index(rest[1:], segs[i+1].lit)
			if j < 0 {
				return nil, false
			}
			v, rest = rest[:1+j], rest[1+j:]
		}
		if v == "" {
			return nil, false
		}
		if prev, ok := out[sg.field]; ok && prev != v {
			return nil, false
		}
		out[sg.field] = v
	}
	if rest != "" {
		return nil, false
	}
	return out, true
}

// walk calls fn for each literal run and the placeholder that follows it.
func (t Template) walk(fn func(lit, field string) error) error {
	s := string(t)
	for len(s) > 0 {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			return fn(s, "")
		}
		if s[open] == '}' {
			return fmt.Errorf("%w: %q has an unmatched '}'", ErrInvalidTemplate, string(t))
		}
		end := strings.IndexAny(s[open+1:], "{}")
		if end < 0 || s[open+1+end] == '{' {
			return fmt.Errorf("%w: %q has an unclosed '{'", ErrInvalidTemplate, string(t))
		}
		field := s[open+1 : open+1+end]
		if field == "" {
			return fmt.Errorf("%w: %q has an empty placeholder", ErrInvalidTemplate, string(t))
		}
		if err := fn(s[:open], field); err != nil {
			return err
		}
		s = s[open+1+end+1:]
	}
	return nil
}

// MissingFieldError reports a template placeholder with no value.
type MissingFieldError struct {
	Template Template // the template being expanded
	Field    string   // the placeholder without a value
}

// Error describes the failure.
func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("index: key template %q: no value for {%s}", string(e.Template), e.Field)
}

// Prefix returns the literal text before t's first placeholder: all of t
// when it has none. Items keyed by t all begin with it.
func (t Template) Prefix() string {
	s := string(t)
	if i := strings.IndexByte(s, '{'); i >= 0 {
		return s[:i]
	}
	return s
}

// Matches reports whether s could have been composed by t: t's literal
// runs appear in s in order, the first at the start and the last at the
// end, with at least one character for each placeholder. A malformed t
// matches nothing.
func (t Template) Matches(s string) bool {
	type run struct {
		lit   string
		field bool // a placeholder follows lit
	}
	var runs [8]run
	rs := runs[:0]
	if err := t.walk(func(lit, field string) error {
		rs = append(rs, run{lit, field != ""})
		return nil
	}); err != nil {
		return false
	}
	for i, r := range rs {
		if i == 0 {
			if !strings.HasPrefix(s, r.lit) {
				return false
			}
			s = s[len(r.lit):]
		} else {
			// The previous run ended in a placeholder: at least one
			// character, then this literal, leftmost (placeholder values
			// may not contain the literal that follows them in practice,
			// and leftmost leaves the most room for the rest).
			if len(s) == 0 {
				return false
			}
			if !r.field && i == len(rs)-1 {
				return len(s) > len(r.lit) && strings.HasSuffix(s, r.lit)
			}
			j := strings.Index(s[1:], r.lit)
			if j < 0 {
				return false
			}
			s = s[1+j+len(r.lit):]
		}
		if !r.field {
			return s == ""
		}
	}
	return len(s) > 0
}
