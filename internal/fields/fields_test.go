package fields

import (
	"reflect"
	"testing"
)

type inner struct {
	ID    string `dynamodbav:"id"`
	Inner string
	Both  string
}

type other struct{ Both string }

type outer struct {
	ID string `dynamodbav:"id"` // shadows inner's id
	inner
	*other          // Both at the same depth as inner's: the two cancel
	Skip   string   `dynamodbav:"-"`
	Tags   []string `dynamodbav:"tags,stringset"`
}

func TestResolve(t *testing.T) {
	got, err := Resolve(reflect.TypeOf(outer{}))
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	want := map[string][]int{"id": {0}, "Inner": {1, 1}, "tags": {4}}
	if len(got) != len(want) {
		t.Fatalf("Resolve = %+v; want %v", got, want)
	}
	for _, f := range got {
		if !reflect.DeepEqual(f.Index, want[f.Name]) {
			t.Errorf("field %q at %v; want %v", f.Name, f.Index, want[f.Name])
		}
	}
	if got[2].Opts != "stringset" || !got[0].FromTag {
		t.Errorf("Resolve = %+v; want the options and the tag kept", got)
	}
	type viaPtr struct{ *inner }
	got, _ = Resolve(reflect.TypeOf(viaPtr{}))
	for _, f := range got {
		if !f.ViaPtr {
			t.Errorf("field %q through an embedded pointer: ViaPtr false", f.Name)
		}
	}
	type bad struct{ hidden }
	if _, err := Resolve(reflect.TypeOf(bad{hidden: 1})); err == nil {
		t.Error("Resolve of an embedded unexported non-struct: no error")
	}
}

type hidden int
