package repository

import (
	"reflect"
	"strings"
)

// fieldPath finds the struct field of t that encodes as the attribute attr,
// following attributevalue's rules: the `dynamodbav` tag's name, else the
// field name; "-" skips a field; anonymous struct fields are flattened.
// It returns the index path for reflect.Value.FieldByIndex.
func fieldPath(t reflect.Type, attr string) ([]int, reflect.Type, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("dynamodbav")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				// A nil embedded pointer cannot be set through; skip it.
				continue
			}
			if ft.Kind() == reflect.Struct {
				if p, typ, ok := fieldPath(ft, attr); ok {
					return append([]int{i}, p...), typ, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == attr {
			return []int{i}, f.Type, true
		}
	}
	return nil, nil, false
}
