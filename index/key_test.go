package index_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/tablestakes/tablestakes/index"
)

func TestTemplate(t *testing.T) {
	values := map[string]string{"id": "0193", "industry": "fintech", "year": "2026"}
	lookup := func(f string) (string, bool) { v, ok := values[f]; return v, ok }
	tests := []struct {
		tmpl    index.Template
		fields  []string
		want    string
		single  string
		wantErr error
	}{
		{tmpl: "COMPANY#{id}", fields: []string{"id"}, want: "COMPANY#0193"},
		{tmpl: "PROFILE", want: "PROFILE"},
		{tmpl: "{id}", fields: []string{"id"}, want: "0193", single: "id"},
		{tmpl: "{industry}#{year}", fields: []string{"industry", "year"}, want: "fintech#2026"},
		{tmpl: "STATS#{id}#YEAR#{year}", fields: []string{"id", "year"}, want: "STATS#0193#YEAR#2026"},
		{tmpl: "", want: ""},
		{tmpl: "A#{missing}", fields: []string{"missing"}, wantErr: errMissing},
		{tmpl: "A#{id", wantErr: index.ErrInvalidTemplate},
		{tmpl: "A#id}", wantErr: index.ErrInvalidTemplate},
		{tmpl: "A#{}", wantErr: index.ErrInvalidTemplate},
		{tmpl: "A#{{id}}", wantErr: index.ErrInvalidTemplate},
	}
	for _, tt := range tests {
		t.Run(string(tt.tmpl), func(t *testing.T) {
			got, err := tt.tmpl.Expand(lookup)
			switch {
			case tt.wantErr == errMissing:
				var mf *index.MissingFieldError
				if !errors.As(err, &mf) || mf.Field != "missing" {
					t.Fatalf("Expand(%q) error = %v; want *MissingFieldError for {missing}", tt.tmpl, err)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Expand(%q) error = %v; want %v", tt.tmpl, err, tt.wantErr)
				}
				if _, err := tt.tmpl.Fields(); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fields(%q) error = %v; want %v", tt.tmpl, err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Expand(%q) error = %v", tt.tmpl, err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q) = %q; want %q", tt.tmpl, got, tt.want)
			}
			fields, err := tt.tmpl.Fields()
			if err != nil || !slices.Equal(fields, tt.fields) {
				t.Errorf("Fields(%q) = %v, %v; want %v", tt.tmpl, fields, err, tt.fields)
			}
			single, ok := tt.tmpl.Single()
			if single != tt.single || ok != (tt.single != "") {
				t.Errorf("Single(%q) = %q, %v; want %q", tt.tmpl, single, ok, tt.single)
			}
		})
	}
}

var errMissing = errors.New("missing field")

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"COMPANY#{id}", "{a}{b}", "{", "}", "{}", "a{b{c}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl := index.Template(s)
		fields, ferr := tmpl.Fields()
		out, eerr := tmpl.Expand(func(string) (string, bool) { return "x", true })
		if (ferr == nil) != (eerr == nil) {
			t.Fatalf("Fields(%q) err = %v but Expand err = %v", s, ferr, eerr)
		}
		if ferr == nil && len(out) != len(s)-2*len(fields)-sumLen(fields)+len(fields) {
			t.Fatalf("Expand(%q) = %q: wrong length for fields %v", s, out, fields)
		}
	})
}

func sumLen(fs []string) int {
	n := 0
	for _, f := range fs {
		n += len(f)
	}
	return n
}

func TestTemplateMatches(t *testing.T) {
	for _, tt := range []struct {
		tmpl index.Template
		s    string
		want bool
	}{
		{"COMPANY#{id}", "COMPANY#123", true},
		{"COMPANY#{id}", "COMPANY#", false},
		{"COMPANY#{id}", "ORDER#123", false},
		{"PROFILE", "PROFILE", true},
		{"PROFILE", "PROFILEX", false},
		{"{id}", "anything", true},
		{"{id}", "", false},
		{"REPORT#{id}", "REPORT#2026#x", true},
		{"{a}#{b}", "x#y", true},
		{"{a}#{b}", "x#", false},
		{"{a}#{b}", "#y", false},
		{"A{a}B{b}C", "AxByC", true},
		{"A{a}B{b}C", "AxByCz", false},
		{"A{a}B{b}C", "AxBC", false},
		{"{", "x", false},
	} {
		if got := tt.tmpl.Matches(tt.s); got != tt.want {
			t.Errorf("index.Template(%q).Matches(%q) = %v; want %v", tt.tmpl, tt.s, got, tt.want)
		}
	}
	for _, tt := range []struct {
		tmpl index.Template
		want string
	}{{"COMPANY#{id}", "COMPANY#"}, {"PROFILE", "PROFILE"}, {"{id}", ""}} {
		if got := tt.tmpl.Prefix(); got != tt.want {
			t.Errorf("index.Template(%q).Prefix() = %q; want %q", tt.tmpl, got, tt.want)
		}
	}
}

func TestTemplateValues(t *testing.T) {
	for _, tc := range []struct {
		tmpl  index.Template
		value string
		want  map[string]string
	}{
		{"COMPANY#{id}", "COMPANY#42", map[string]string{"id": "42"}},
		{"COMPANY#{id}", "ORDER#42", nil},
		{"{id}", "42", map[string]string{"id": "42"}},
		{"T#{tenant}#U#{id}", "T#a#U#b#c", map[string]string{"tenant": "a", "id": "b#c"}},
		{"T#{tenant}#U", "T#a#U", map[string]string{"tenant": "a"}},
		{"T#{tenant}#U", "T#a#V", nil},
		{"PROFILE", "PROFILE", map[string]string{}},
		{"PROFILE", "PROFILES", nil},
		{"{a}{b}", "xy", nil},
		{"{a", "x", nil},
		{"{id}#{id}", "1#1", map[string]string{"id": "1"}},
		{"{id}#{id}", "1#2", nil},
		{"{id}", "", nil},
		{"C#{id}", "C#", nil},
		{"A{a}B{b}C", "AxByCz", nil},
		{"A{a}B{b}C", "AxByC", map[string]string{"a": "x", "b": "y"}},
		{"A{a}B{b}C", "AxBCC", map[string]string{"a": "x", "b": "C"}},
	} {
		got, ok := tc.tmpl.Values(tc.value)
		if ok != (tc.want != nil) || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("Template(%q).Values(%q) = %v, %v; want %v", tc.tmpl, tc.value, got, ok, tc.want)
		}
	}
}

// BenchmarkTemplateExpand composes the keys of a write: a partition key
// with a placeholder, a constant sort key, a key that is one placeholder.
func BenchmarkTemplateExpand(b *testing.B) {
	id := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"
	lookup := func(string) (string, bool) { return id, true }
	for _, tmpl := range []index.Template{"COMPANY#{id}", "PROFILE", "{id}", "STATS#{id}#YEAR#{id}"} {
		b.Run("template="+string(tmpl), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tmpl.Expand(lookup); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
