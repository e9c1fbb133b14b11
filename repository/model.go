package repository

import (
	"reflect"
	"strings"

	"github.com/tablestakes/tablestakes/internal/fields"
)

// modelField is a struct field that encodes as a top-level attribute.
type modelField struct {
	index  []int
	typ    reflect.Type // with an unnamed pointer dereferenced, as attributevalue does
	set    bool         // tagged stringset, numberset or binaryset
	viaPtr bool         // reached through an embedded pointer
}

// modelFields returns the fields of struct type t that encode as
// attributes, keyed by attribute name, as the codec resolves them
// (internal/fields, attributevalue's rules). A field the encoder cannot
// read is reported by the codec's plan at New.
func modelFields(t reflect.Type) map[string]modelField {
	resolved, _ := fields.Resolve(t)
	out := make(map[string]modelField, len(resolved))
	for _, f := range resolved {
		ft := f.Struct.Type
		if ft.Name() == "" && ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		mf := modelField{index: f.Index, typ: ft, viaPtr: f.ViaPtr}
		for _, o := range strings.Split(f.Opts, ",") {
			switch o {
			case "stringset", "numberset", "binaryset":
				mf.set = true
			}
		}
		out[f.Name] = mf
	}
	return out
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
