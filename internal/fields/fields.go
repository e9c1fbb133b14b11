// Package fields resolves which struct fields encode as which top-level
// attributes, by the rules attributevalue's encoder follows (those of
// encoding/json). The repository (ids, versions, parents, declarations)
// and the codec both read a model through it, so that they cannot
// disagree about which field an attribute is.
package fields

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Field is a struct field that encodes as a top-level attribute.
type Field struct {
	// Name is the attribute name: the `dynamodbav` tag's, else the field's.
	Name    string
	FromTag bool
	// Index is the path for reflect.Value.FieldByIndex.
	Index []int
	// Struct is the field itself; Opts the tag's options after the name.
	Struct reflect.StructField
	Opts   string
	// ViaPtr is set when the path goes through an embedded pointer.
	ViaPtr bool
}

// Resolve returns the fields of struct type t that encode as attributes,
// in field order: a tag's name, else the field name; "-" skips a field;
// untagged anonymous struct fields (or pointers to them) are flattened,
// breadth first; of fields sharing a name the shallowest wins, a tagged one
// among equals, and two equal candidates cancel each other out. The error
// names an embedded unexported field that is not a struct, which
// attributevalue cannot read; the fields are returned all the same.
func Resolve(t reflect.Type) ([]Field, error) {
	type queued struct {
		typ    reflect.Type
		index  []int
		viaPtr bool
	}
	var (
		cands     []Field
		problem   error
		count     map[reflect.Type]int
		nextCount = map[reflect.Type]int{}
		visited   = map[reflect.Type]bool{}
	)
	next := []queued{{typ: t}}
	for len(next) > 0 {
		current := next
		next = nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := 0; i < q.typ.NumField(); i++ {
				sf := q.typ.Field(i)
				if sf.PkgPath != "" && !sf.Anonymous {
					continue
				}
				name, opts, _ := strings.Cut(sf.Tag.Get("dynamodbav"), ",")
				if name == "-" {
					continue
				}
				ft := sf.Type
				ptr := false
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft, ptr = ft.Elem(), true
				}
				index := append(append([]int(nil), q.index...), i)
				if !sf.Anonymous || name != "" || ft.Kind() != reflect.Struct {
					if sf.PkgPath != "" && problem == nil {
						problem = fmt.Errorf("embedded field %s is unexported and not a struct: attributevalue cannot read it", sf.Name)
					}
					f := Field{Name: sf.Name, Index: index, Struct: sf, Opts: opts, ViaPtr: q.viaPtr}
					if name != "" {
						f.Name, f.FromTag = name, true
					}
					cands = append(cands, f)
					if count[q.typ] > 1 {
						cands = append(cands, f) // two paths to this type: a duplicate cancels it
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, queued{typ: ft, index: index, viaPtr: q.viaPtr || ptr})
				}
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if len(a.Index) != len(b.Index) {
			return len(a.Index) < len(b.Index)
		}
		if a.FromTag != b.FromTag {
			return a.FromTag
		}
		return lessIndex(a.Index, b.Index)
	})
	var won []Field
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && cands[j].Name == cands[i].Name {
			j++
		}
		if f, ok := dominant(cands[i:j]); ok {
			won = append(won, f)
		}
		i = j
	}
	sort.Slice(won, func(i, j int) bool { return lessIndex(won[i].Index, won[j].Index) })
	return won, problem
}

// dominant picks the field that wins among fields of one name, sorted
// shallowest and tagged first, as attributevalue's dominantField does.
func dominant(fields []Field) (Field, bool) {
	depth := len(fields[0].Index)
	tagged := -1
	for i, f := range fields {
		if len(f.Index) > depth {
			fields = fields[:i]
			break
		}
		if f.FromTag {
			if tagged >= 0 {
				return Field{}, false
			}
			tagged = i
		}
	}
	if tagged >= 0 {
		return fields[tagged], true
	}
	if len(fields) > 1 {
		return Field{}, false
	}
	return fields[0], true
}

// lessIndex orders index paths as the fields appear in the struct.
func lessIndex(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
