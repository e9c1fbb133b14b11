package repository

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// initVersion finds the version field at New.
func (r *Repository[T]) initVersion(rt reflect.Type) error {
	if r.s.versionAttr == "" {
		return nil
	}
	path, ft, ok := fieldPath(rt, r.s.versionAttr)
	if !ok {
		return &ModelError{Model: r.model, Reason: fmt.Sprintf("WithVersion(%q): no field encodes as it", r.s.versionAttr)}
	}
	switch ft.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
	default:
		return &ModelError{Model: r.model, Reason: fmt.Sprintf("WithVersion(%q): field is %s; want an integer", r.s.versionAttr, ft)}
	}
	r.versionPath = path
	r.versionBits = ft.Bits()
	return nil
}

// Versioned reports whether the repository locks optimistically.
func (r *Repository[T]) Versioned() bool { return r.versionPath != nil }

// Version returns item's version number, or 0 for an unversioned model.
func (r *Repository[T]) Version(item *T) int64 {
	if r.versionPath == nil || item == nil {
		return 0
	}
	f := reflect.ValueOf(item).Elem().FieldByIndex(r.versionPath)
	if f.CanInt() {
		return f.Int()
	}
	return int64(f.Uint())
}

func (r *Repository[T]) setVersion(item *T, v int64) {
	f := reflect.ValueOf(item).Elem().FieldByIndex(r.versionPath)
	if f.CanInt() {
		f.SetInt(v)
		return
	}
	f.SetUint(uint64(v))
}

func versionIs(av types.AttributeValue, v int64) bool {
	if av == nil && v == 0 {
		return true // stored without a version
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	got, err := strconv.ParseInt(n.Value, 10, 64)
	return err == nil && got == v
}

func versionValue(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// expectVersion conditions w on the item's version being v. Version 0
// means "stored without a version" (written before the model was
// versioned): the item exists and has no version attribute, or 0.
func (r *Repository[T]) expectVersion(w *Write, v int64) {
	w.expect, w.versionAttr = &v, r.s.versionAttr
	name := expression.NameNoDotSplit(r.s.versionAttr)
	if v == 0 {
		w.And(expression.AttributeExists(expression.NameNoDotSplit(r.table.PartitionKey.Name)).And(
			expression.Or(expression.AttributeNotExists(name), name.Equal(expression.Value(versionValue(0))))))
		return
	}
	w.And(name.Equal(expression.Value(versionValue(v))))
}
