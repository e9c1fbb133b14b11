package cfn_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.yaml.in/yaml/v3"

	"github.com/tablestakes/tablestakes/cfn"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/cfnspec"
)

// everything declares every option a template carries.
var everything = index.Table{
	Name:         "orders-v2",
	PartitionKey: index.S("pk"),
	SortKey:      index.S("sk"),
	Indexes: []index.Index{
		{Name: "by-customer", PartitionKey: index.S("customer"), SortKey: index.N("placedAt"), Projection: index.Include("total", "status"), ReadCapacity: 7, WriteCapacity: 3},
		{Name: "by-status", Local: true, SortKey: index.S("status"), Projection: index.KeysOnly()},
	},
	BillingMode:         types.BillingModeProvisioned,
	ReadCapacity:        10,
	WriteCapacity:       4,
	Stream:              types.StreamViewTypeNewImage,
	TTL:                 "expiresAt",
	PointInTimeRecovery: true,
	DeletionProtection:  true,
}

func TestProperties(t *testing.T) {
	p, err := cfn.Properties(everything)
	if err != nil {
		t.Fatalf("Properties: %v", err)
	}
	want := &cfn.TableProperties{
		TableName:             "orders-v2",
		BillingMode:           "PROVISIONED",
		ProvisionedThroughput: &cfn.Throughput{ReadCapacityUnits: 10, WriteCapacityUnits: 4},
		AttributeDefinitions: []cfn.AttributeDefinition{
			{AttributeName: "pk", AttributeType: "S"}, {AttributeName: "sk", AttributeType: "S"},
			{AttributeName: "customer", AttributeType: "S"}, {AttributeName: "placedAt", AttributeType: "N"},
			{AttributeName: "status", AttributeType: "S"},
		},
		KeySchema: []cfn.KeySchema{{AttributeName: "pk", KeyType: "HASH"}, {AttributeName: "sk", KeyType: "RANGE"}},
		GlobalSecondaryIndexes: []cfn.GlobalSecondaryIndex{{
			IndexName:             "by-customer",
			KeySchema:             []cfn.KeySchema{{AttributeName: "customer", KeyType: "HASH"}, {AttributeName: "placedAt", KeyType: "RANGE"}},
			Projection:            cfn.Projection{ProjectionType: "INCLUDE", NonKeyAttributes: []string{"total", "status"}},
			ProvisionedThroughput: &cfn.Throughput{ReadCapacityUnits: 7, WriteCapacityUnits: 3},
		}},
		LocalSecondaryIndexes: []cfn.LocalSecondaryIndex{{
			IndexName:  "by-status",
			KeySchema:  []cfn.KeySchema{{AttributeName: "pk", KeyType: "HASH"}, {AttributeName: "status", KeyType: "RANGE"}},
			Projection: cfn.Projection{ProjectionType: "KEYS_ONLY"},
		}},
		StreamSpecification:              &cfn.StreamSpecification{StreamViewType: "NEW_IMAGE"},
		TimeToLiveSpecification:          &cfn.TimeToLiveSpecification{AttributeName: "expiresAt", Enabled: true},
		PointInTimeRecoverySpecification: &cfn.PointInTimeRecoverySpecific{PointInTimeRecoveryEnabled: true},
		DeletionProtectionEnabled:        true,
	}
	if !reflect.DeepEqual(p, want) {
		got, _ := json.MarshalIndent(p, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("Properties(everything) =\n%s\nwant\n%s", got, w)
	}
	// Defaults: on demand, no throughput, no stream, TTL or protection.
	plain, err := cfn.Properties(index.Table{Name: "plain", PartitionKey: index.S("id")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(plain)
	if want := `{"TableName":"plain","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}`; string(b) != want {
		t.Errorf("Properties(plain) = %s; want %s", b, want)
	}
	if _, err := cfn.Properties(index.Table{Name: "bad"}); !errors.Is(err, index.ErrInvalidDeclaration) {
		t.Errorf("Properties(no partition key) = %v; want ErrInvalidDeclaration", err)
	}
}

func TestLogicalID(t *testing.T) {
	for name, want := range map[string]string{
		"company-profile": "CompanyProfileTable",
		"orders_v2.prod":  "OrdersV2ProdTable",
		"2026-archive":    "T2026ArchiveTable",
		"x":               "XTable",
	} {
		if got := cfn.LogicalID(name); got != want {
			t.Errorf("LogicalID(%q) = %q; want %q", name, got, want)
		}
	}
	_, err := cfn.New([]index.Table{{Name: "a-b", PartitionKey: index.S("pk")}, {Name: "a_b", PartitionKey: index.S("pk")}})
	if !errors.Is(err, cfn.ErrDuplicateLogicalID) {
		t.Errorf("New(a-b, a_b) = %v; want ErrDuplicateLogicalID", err)
	}
}

// TestYAMLMatchesJSON reads the YAML form back with a YAML parser and
// compares it with the JSON form.
func TestYAMLMatchesJSON(t *testing.T) {
	tmpl, err := cfn.New([]index.Table{everything, {Name: "true", PartitionKey: index.N("0x10")}},
		cfn.WithDescription("tables: \"quoted\", #not a comment\n and 'more'"), cfn.WithNameParameters())
	if err != nil {
		t.Fatal(err)
	}
	j, err := tmpl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	y, err := tmpl.YAML()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(y, &fromYAML); err != nil {
		t.Fatalf("YAML does not parse: %v\n%s", err, y)
	}
	// yaml decodes integers as int; JSON as float64: compare through JSON.
	back, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var norm any
	if err := json.Unmarshal(back, &norm); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(norm, fromJSON) {
		t.Errorf("YAML reads back as\n%s\nwant\n%s\nYAML:\n%s", back, j, y)
	}
	for _, empty := range []string{`{}`, `[]`, `{"a":[],"b":{},"c":[[1,[]],{"d":null}]}`} {
		y, err := cfn.ToYAML([]byte(empty))
		if err != nil {
			t.Fatalf("ToYAML(%s): %v", empty, err)
		}
		var v, w any
		_ = json.Unmarshal([]byte(empty), &w)
		if err := yaml.Unmarshal(y, &v); err != nil {
			t.Fatalf("ToYAML(%s) = %q, which does not parse: %v", empty, y, err)
		}
		b, _ := json.Marshal(v)
		var nv any
		_ = json.Unmarshal(b, &nv)
		if !reflect.DeepEqual(nv, w) {
			t.Errorf("ToYAML(%s) = %q; reads back as %s", empty, y, b)
		}
	}
	if _, err := cfn.ToYAML([]byte(`{"a":`)); err == nil {
		t.Error("ToYAML(broken JSON) = nil error")
	}
}

// TestSpecification checks a template with every option against AWS's
// published CloudFormation resource specification.
func TestSpecification(t *testing.T) {
	spec := LoadSpec(t)
	tmpl, err := cfn.New([]index.Table{everything, {Name: "plain", PartitionKey: index.B("id")}}, cfn.WithNameParameters())
	if err != nil {
		t.Fatal(err)
	}
	j, err := tmpl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range spec.Check(j) {
		t.Error(p)
	}
	// The checker itself catches a wrong name (and so a missing required
	// one) and a wrong type.
	bad := strings.Replace(strings.Replace(string(j), `"StreamViewType"`, `"ViewType"`, 1), `"ReadCapacityUnits": 10`, `"ReadCapacityUnits": "10"`, 1)
	if got := spec.Check([]byte(bad)); len(got) != 3 {
		t.Errorf("Check(template with a misnamed property and a string for an integer) = %q; want 3 problems", got)
	}
}

// LoadSpec loads the installed specification, skipping the test when it is
// not installed (failing when servers are required).
func LoadSpec(t *testing.T) *cfnspec.Spec {
	t.Helper()
	wd, _ := os.Getwd()
	path, err := cfnspec.Path(wd)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := cfnspec.Load(path)
	if errors.Is(err, cfnspec.ErrNotInstalled) && !cfnspec.Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
