package repository

import (
	"reflect"
	"sort"
	"strings"
)

// modelField is a struct field that encodes as a top-level attribute.
type modelField struct {
	name     string
	fromTag  bool
	index    []int
	typ      reflect.Type // with an unnamed pointer dereferenced, as attributevalue does
	set      bool         // tagged stringset, numberset or binaryset
	viaPtr   bool         // reached through an embedded pointer
	unixtime bool
}

// modelFields returns the fields of struct type t that encode as attributes,
// by exactly the rules attributevalue's encoder follows (those of
// encoding/json): a `dynamodbav` tag's name, else the field name; "-"
// skips a field; untagged anonymous struct fields (or pointers to them) are
// flattened, breadth first; of fields sharing a name the shallowest wins, a
// tagged one among equals, and two equal candidates cancel each other out.
// The result is keyed by attribute name.
func modelFields(t reflect.Type) map[string]modelField {
	type queued struct {
		typ    reflect.Type
		index  []int
		viaPtr bool
	}
	var fields []modelField
	next := []queued{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
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
				tag := sf.Tag.Get("dynamodbav")
				name, opts, _ := strings.Cut(tag, ",")
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
					f := modelField{name: sf.Name, index: index, typ: ft, viaPtr: q.viaPtr}
					if name != "" {
						f.name, f.fromTag = name, true
					}
					for _, o := range strings.Split(opts, ",") {
						switch o {
						case "stringset", "numberset", "binaryset":
							f.set = true
						case "unixtime":
							f.unixtime = true
						}
					}
					fields = append(fields, f)
					if count[q.typ] > 1 {
						// Two paths to this type: a duplicate cancels it.
						fields = append(fields, f)
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
	sort.SliceStable(fields, func(i, j int) bool {
		a, b := fields[i], fields[j]
		if a.name != b.name {
			return a.name < b.name
		}
		if len(a.index) != len(b.index) {
			return len(a.index) < len(b.index)
		}
		return a.fromTag && !b.fromTag
	})
	out := make(map[string]modelField, len(fields))
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if f, ok := dominant(fields[i:j]); ok {
			out[f.name] = f
		}
		i = j
	}
	return out
}

// dominant picks the field that wins among fields of one name, sorted
// shallowest first, as attributevalue's dominantField does.
func dominant(fields []modelField) (modelField, bool) {
	depth := len(fields[0].index)
	tagged := -1
	for i, f := range fields {
		if len(f.index) > depth {
			fields = fields[:i]
			break
		}
		if f.fromTag {
			if tagged >= 0 {
				return modelField{}, false
			}
			tagged = i
		}
	}
	if tagged >= 0 {
		return fields[tagged], true
	}
	if len(fields) > 1 {
		return modelField{}, false
	}
	return fields[0], true
}

// fieldPath finds the struct field of t that encodes as the attribute attr
// (see [modelFields]) and returns its index path for
// reflect.Value.FieldByIndex and its type. A field reached through an
// embedded pointer is not found: the repository could not set it when the
// pointer is nil.
func fieldPath(t reflect.Type, attr string) ([]int, reflect.Type, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, nil, false
	}
	f, ok := modelFields(t)[attr]
	if !ok || f.viaPtr {
		return nil, nil, false
	}
	return f.index, t.FieldByIndex(f.index).Type, true
}
