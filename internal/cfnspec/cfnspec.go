// Package cfnspec checks CloudFormation templates against AWS's published
// resource specification (the npm package @aws-cdk/cfnspec, installed by
// scripts/cfnspec.sh into the git-ignored .local-aws/cfnspec/): every
// resource type exists, every property is one the type has, every value
// has the property's type, and required properties are present.
package cfnspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Spec is the part of the resource specification the checks read.
type Spec struct {
	// Version is the specification's ResourceSpecificationVersion.
	Version       string              `json:"ResourceSpecificationVersion"`
	ResourceTypes map[string]typeSpec `json:"ResourceTypes"`
	PropertyTypes map[string]typeSpec `json:"PropertyTypes"`
}

type typeSpec struct {
	Properties map[string]propSpec `json:"Properties"`
}

type propSpec struct {
	PrimitiveType     string `json:"PrimitiveType"`
	PrimitiveItemType string `json:"PrimitiveItemType"`
	Type              string `json:"Type"`
	ItemType          string `json:"ItemType"`
	Required          bool   `json:"Required"`
}

// ErrNotInstalled reports that the specification is not installed.
var ErrNotInstalled = errors.New("cfnspec: the CloudFormation specification is not installed: run scripts/cfnspec.sh")

// Path returns where scripts/cfnspec.sh puts the specification, from the
// repository root found above dir: $TABLESTAKES_LOCAL_AWS_DIR/cfnspec or
// <root>/.local-aws/cfnspec, file specification.json.
func Path(dir string) (string, error) {
	if d := os.Getenv("TABLESTAKES_LOCAL_AWS_DIR"); d != "" {
		return filepath.Join(d, "cfnspec", "specification.json"), nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".local-aws", "cfnspec", "specification.json"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("cfnspec: no go.mod above %s", dir)
		}
	}
}

// Load reads the specification at path; [ErrNotInstalled] when it is missing.
func Load(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s)", ErrNotInstalled, path)
	}
	if err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("cfnspec: %s: %w", path, err)
	}
	if len(s.ResourceTypes) == 0 {
		return nil, fmt.Errorf("cfnspec: %s has no resource types", path)
	}
	return &s, nil
}

// Check returns the problems of a JSON template, one line each; none when
// every resource's properties match the specification. Intrinsic functions
// (an object whose one key is Ref or starts with "Fn::") are accepted for
// any value.
func (s *Spec) Check(template []byte) []string {
	var t struct {
		Resources map[string]struct {
			Type       string         `json:"Type"`
			Properties map[string]any `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(template, &t); err != nil {
		return []string{"template is not JSON: " + err.Error()}
	}
	if len(t.Resources) == 0 {
		return []string{"template has no resources"}
	}
	var problems []string
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := t.Resources[id]
		rt, ok := s.ResourceTypes[r.Type]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown resource type %q", id, r.Type))
			continue
		}
		problems = append(problems, s.object(id, r.Type, rt, r.Properties)...)
	}
	return problems
}

func (s *Spec) object(where, typeName string, ts typeSpec, v map[string]any) []string {
	var problems []string
	names := make([]string, 0, len(ts.Properties))
	for n := range ts.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if _, ok := v[n]; !ok && ts.Properties[n].Required {
			problems = append(problems, fmt.Sprintf("%s: required property %s missing", where, n))
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ps, ok := ts.Properties[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: %s has no property %s", where, typeName, k))
			continue
		}
		problems = append(problems, s.value(where+"."+k, typeName, ps, v[k])...)
	}
	return problems
}

func intrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// propertyType returns the spec of a property type named in the resource
// type typeName ("AWS::DynamoDB::Table" + "." + name), or a shared one.
func (s *Spec) propertyType(typeName, name string) (typeSpec, bool) {
	if ts, ok := s.PropertyTypes[typeName+"."+name]; ok {
		return ts, true
	}
	if base, _, ok := strings.Cut(typeName, "."); ok {
		if ts, ok := s.PropertyTypes[base+"."+name]; ok {
			return ts, true
		}
	}
	ts, ok := s.PropertyTypes[name]
	return ts, ok
}

func (s *Spec) value(where, typeName string, ps propSpec, v any) []string {
	if intrinsic(v) {
		return nil
	}
	if ps.PrimitiveType != "" {
		return primitive(where, ps.PrimitiveType, v)
	}
	switch ps.Type {
	case "List":
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want a list, got %T", where, v)}
		}
		var problems []string
		for i, e := range list {
			at := fmt.Sprintf("%s[%d]", where, i)
			if ps.PrimitiveItemType != "" {
				problems = append(problems, primitive(at, ps.PrimitiveItemType, e)...)
			} else {
				problems = append(problems, s.value(at, typeName, propSpec{Type: ps.ItemType}, e)...)
			}
		}
		return problems
	case "Map":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want a map, got %T", where, v)}
		}
		var problems []string
		for k, e := range m {
			if ps.PrimitiveItemType != "" {
				problems = append(problems, primitive(where+"."+k, ps.PrimitiveItemType, e)...)
			} else {
				problems = append(problems, s.value(where+"."+k, typeName, propSpec{Type: ps.ItemType}, e)...)
			}
		}
		return problems
	}
	ts, ok := s.propertyType(typeName, ps.Type)
	if !ok {
		return []string{fmt.Sprintf("%s: the specification has no property type %s", where, ps.Type)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: want a %s object, got %T", where, ps.Type, v)}
	}
	resource, _, _ := strings.Cut(typeName, ".")
	return s.object(where, resource+"."+ps.Type, ts, m)
}

func primitive(where, want string, v any) []string {
	if intrinsic(v) {
		return nil
	}
	ok := false
	switch want {
	case "String", "Timestamp":
		_, ok = v.(string)
	case "Boolean":
		_, ok = v.(bool)
	case "Integer", "Long":
		f, isNum := v.(float64)
		ok = isNum && f == float64(int64(f))
	case "Double":
		_, ok = v.(float64)
	case "Json":
		switch v.(type) {
		case map[string]any, string:
			ok = true
		}
	}
	if !ok {
		return []string{fmt.Sprintf("%s: want %s, got %T %v", where, want, v, v)}
	}
	return nil
}

// Required reports whether tests must find the specification: with CI=true
// or TABLESTAKES_REQUIRE_SERVERS=1, as ddbtest requires its servers.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("TABLESTAKES_REQUIRE_SERVERS") == "1"
}
