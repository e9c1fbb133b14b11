package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.yaml.in/yaml/v3"

	"github.com/tablestakes/tablestakes/cfn"
	"github.com/tablestakes/tablestakes/cli"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/examples/profile"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/cfnspec"
)

// run runs the command with args and returns its exit code and output.
func run(t *testing.T, p cli.Program, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = p.Run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// local returns the command pointed at the test's DynamoDB Local.
func local(t *testing.T) (cli.Program, *dynamodb.Client) {
	db := ddbtest.DynamoDB(t)
	p := program
	p.DynamoDB = func(context.Context) (*dynamodb.Client, error) { return db, nil }
	return p, db
}

func loadSpec(t *testing.T) *cfnspec.Spec {
	t.Helper()
	wd, _ := os.Getwd()
	path, err := cfnspec.Path(wd)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := cfnspec.Load(path)
	if err != nil && !cfnspec.Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestCloudFormationSpecification checks the example services' template,
// with their policies, against AWS's published resource specification, in
// JSON and in YAML.
func TestCloudFormationSpecification(t *testing.T) {
	spec := loadSpec(t)
	code, out, errOut := run(t, program, "cloudformation", "-format", "json", "-policy")
	if code != cli.ExitOK {
		t.Fatalf("cloudformation exited %d: %s", code, errOut)
	}
	for _, p := range spec.Check([]byte(out)) {
		t.Error(p)
	}
	var tmpl struct {
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal([]byte(out), &tmpl); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for id, r := range tmpl.Resources {
		kinds = append(kinds, id+" "+r.Type)
	}
	slices.Sort(kinds)
	want := []string{
		"ProfilePolicy AWS::IAM::ManagedPolicy", "StatisticsPolicy AWS::IAM::ManagedPolicy",
		"TablestakesCompaniesStreamTable AWS::DynamoDB::Table", "TablestakesCompaniesTable AWS::DynamoDB::Table",
		"TablestakesStatisticsTable AWS::DynamoDB::Table",
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("resources = %q; want %q", kinds, want)
	}
	code, y, errOut := run(t, program, "cloudformation", "-policy")
	if code != cli.ExitOK {
		t.Fatalf("cloudformation (yaml) exited %d: %s", code, errOut)
	}
	var v any
	if err := yaml.Unmarshal([]byte(y), &v); err != nil {
		t.Fatalf("YAML template does not parse: %v", err)
	}
	j, _ := json.Marshal(v)
	for _, p := range spec.Check(j) {
		t.Error("yaml: " + p)
	}
}

// TestCreateMatchesTemplate creates the example services' tables with the
// command on DynamoDB Local, describes them with it, and compares each
// description with the table's resource in the template.
func TestCreateMatchesTemplate(t *testing.T) {
	t.Parallel()
	p, db := local(t)
	prefix := fmt.Sprintf("cfn%d", time.Now().UnixNano())
	t.Cleanup(func() { deleteTables(t, db, prefix) })
	if code, _, errOut := run(t, p, "-prefix", prefix, "create"); code != cli.ExitOK {
		t.Fatalf("create exited %d: %s", code, errOut)
	}
	code, tj, errOut := run(t, p, "-prefix", prefix, "cloudformation", "-format", "json")
	if code != cli.ExitOK {
		t.Fatalf("cloudformation exited %d: %s", code, errOut)
	}
	var tmpl struct {
		Resources map[string]struct{ Properties cfn.TableProperties }
	}
	if err := json.Unmarshal([]byte(tj), &tmpl); err != nil {
		t.Fatal(err)
	}
	code, dj, errOut := run(t, p, "-prefix", prefix, "describe")
	if code != cli.ExitOK {
		t.Fatalf("describe exited %d: %s", code, errOut)
	}
	var live map[string]cli.Description
	if err := json.Unmarshal([]byte(dj), &live); err != nil {
		t.Fatal(err)
	}
	if len(live) != len(tmpl.Resources) || len(live) != 3 {
		t.Fatalf("described %d tables, template has %d; want 3 each", len(live), len(tmpl.Resources))
	}
	for id, r := range tmpl.Resources {
		want := r.Properties
		name, _ := want.TableName.(string)
		d, ok := live[name]
		if !ok {
			t.Errorf("%s: table %q not described", id, name)
			continue
		}
		if got := fromDescription(d); !equalJSON(t, got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("%s: live table reads as\n%s\nthe template says\n%s", id, g, w)
		}
	}
}

// fromDescription builds the template properties a live table has.
func fromDescription(d cli.Description) cfn.TableProperties {
	tab := d.Table
	p := cfn.TableProperties{TableName: aws.ToString(tab.TableName), DeletionProtectionEnabled: aws.ToBool(tab.DeletionProtectionEnabled)}
	p.BillingMode = string(types.BillingModeProvisioned)
	if tab.BillingModeSummary != nil {
		p.BillingMode = string(tab.BillingModeSummary.BillingMode)
	}
	if p.BillingMode == string(types.BillingModeProvisioned) && tab.ProvisionedThroughput != nil {
		p.ProvisionedThroughput = &cfn.Throughput{ReadCapacityUnits: aws.ToInt64(tab.ProvisionedThroughput.ReadCapacityUnits), WriteCapacityUnits: aws.ToInt64(tab.ProvisionedThroughput.WriteCapacityUnits)}
	}
	for _, a := range tab.AttributeDefinitions {
		p.AttributeDefinitions = append(p.AttributeDefinitions, cfn.AttributeDefinition{AttributeName: aws.ToString(a.AttributeName), AttributeType: string(a.AttributeType)})
	}
	ks := func(k []types.KeySchemaElement) []cfn.KeySchema {
		var out []cfn.KeySchema
		for _, e := range k {
			out = append(out, cfn.KeySchema{AttributeName: aws.ToString(e.AttributeName), KeyType: string(e.KeyType)})
		}
		return out
	}
	proj := func(pr *types.Projection) cfn.Projection {
		return cfn.Projection{ProjectionType: string(pr.ProjectionType), NonKeyAttributes: pr.NonKeyAttributes}
	}
	p.KeySchema = ks(tab.KeySchema)
	for _, g := range tab.GlobalSecondaryIndexes {
		gi := cfn.GlobalSecondaryIndex{IndexName: aws.ToString(g.IndexName), KeySchema: ks(g.KeySchema), Projection: proj(g.Projection)}
		if p.BillingMode == string(types.BillingModeProvisioned) && g.ProvisionedThroughput != nil {
			gi.ProvisionedThroughput = &cfn.Throughput{ReadCapacityUnits: aws.ToInt64(g.ProvisionedThroughput.ReadCapacityUnits), WriteCapacityUnits: aws.ToInt64(g.ProvisionedThroughput.WriteCapacityUnits)}
		}
		p.GlobalSecondaryIndexes = append(p.GlobalSecondaryIndexes, gi)
	}
	for _, l := range tab.LocalSecondaryIndexes {
		p.LocalSecondaryIndexes = append(p.LocalSecondaryIndexes, cfn.LocalSecondaryIndex{IndexName: aws.ToString(l.IndexName), KeySchema: ks(l.KeySchema), Projection: proj(l.Projection)})
	}
	if s := tab.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		p.StreamSpecification = &cfn.StreamSpecification{StreamViewType: string(s.StreamViewType)}
	}
	if ttl := d.TimeToLive; ttl != nil && (ttl.TimeToLiveStatus == types.TimeToLiveStatusEnabled || ttl.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		p.TimeToLiveSpecification = &cfn.TimeToLiveSpecification{AttributeName: aws.ToString(ttl.AttributeName), Enabled: true}
	}
	return p
}

// equalJSON compares two values by their JSON forms, attribute definitions
// in any order (DynamoDB does not keep the request's).
func equalJSON(t *testing.T, a, b cfn.TableProperties) bool {
	t.Helper()
	for _, p := range []*cfn.TableProperties{&a, &b} {
		slices.SortFunc(p.AttributeDefinitions, func(x, y cfn.AttributeDefinition) int { return strings.Compare(x.AttributeName, y.AttributeName) })
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func deleteTables(t *testing.T, db *dynamodb.Client, prefix string) {
	out, err := db.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Logf("list tables: %v", err)
		return
	}
	for _, name := range out.TableNames {
		if strings.HasPrefix(name, prefix+"-") {
			if _, err := db.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
				t.Logf("delete %s: %v", name, err)
			}
		}
	}
}

// TestVerify checks that verify passes on tables created from the
// declarations, and fails with the difference on a companies table missing
// its index or with a narrower projection.
func TestVerify(t *testing.T) {
	t.Parallel()
	p, db := local(t)
	prefix := fmt.Sprintf("ver%d", time.Now().UnixNano())
	t.Cleanup(func() { deleteTables(t, db, prefix) })
	if code, _, errOut := run(t, p, "-prefix", prefix, "create"); code != cli.ExitOK {
		t.Fatalf("create exited %d: %s", code, errOut)
	}
	code, out, errOut := run(t, p, "-prefix", prefix, "verify")
	if code != cli.ExitOK {
		t.Fatalf("verify exited %d on the tables create made: %s", code, errOut)
	}
	if n := strings.Count(out, ": ok\n"); n != 3 {
		t.Errorf("verify printed %q; want 3 tables ok", out)
	}

	names := profile.NamesFor(prefix + "x")
	full := profile.Table(names.Table)
	for _, c := range []struct {
		name  string
		alter func(*index.Table)
		want  string
	}{
		{"missing index", func(t *index.Table) { t.Indexes = nil; t.Patterns = nil }, `global index "by-industry" is missing`},
		{"narrower projection", func(t *index.Table) {
			t.Indexes = slices.Clone(t.Indexes)
			t.Indexes[0].Projection = index.Include("id")
			t.Patterns = nil
		}, `index "by-industry" does not project "name"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := full
			c.alter(&bad)
			bad.Name = fmt.Sprintf("%sx-%d-companies", prefix, len(c.name))
			wrongPrefix := strings.TrimSuffix(bad.Name, "-companies")
			t.Cleanup(func() { deleteTables(t, db, wrongPrefix) })
			if err := index.Create(t.Context(), db, bad); err != nil {
				t.Fatal(err)
			}
			if err := index.Create(t.Context(), db, profile.CheckpointTable(profile.NamesFor(wrongPrefix).Checkpoints)); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := run(t, p, "-prefix", wrongPrefix, "-service", "profile", "verify")
			if code != cli.ExitFailure {
				t.Errorf("verify exited %d; want %d", code, cli.ExitFailure)
			}
			if !strings.Contains(errOut, bad.Name+": does not match its declaration") || !strings.Contains(errOut, c.want) {
				t.Errorf("verify said %q; want it to name %s and say %s", errOut, bad.Name, c.want)
			}
		})
	}
}

// TestUsage checks the command's conventions: -h, exit codes, errors on
// standard error.
func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"-h"}, cli.ExitOK, "Commands:"},
		{[]string{"policy", "-h"}, cli.ExitOK, "-account"},
		{nil, cli.ExitUsage, "no command"},
		{[]string{"deploy"}, cli.ExitUsage, `unknown command "deploy"`},
		{[]string{"-service", "billing", "policy"}, cli.ExitUsage, `no service "billing"`},
		{[]string{"cloudformation", "-format", "xml"}, cli.ExitUsage, `-format "xml"`},
		{[]string{"policy", "-bogus"}, cli.ExitUsage, "flag provided but not defined"},
		{[]string{"policy", "extra"}, cli.ExitUsage, "unexpected arguments"},
	} {
		code, out, errOut := run(t, program, c.args...)
		if code != c.code || !strings.Contains(errOut, c.err) {
			t.Errorf("tablestakes %q = %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.err)
		}
		if c.code != cli.ExitOK && out != "" {
			t.Errorf("tablestakes %q wrote %q to stdout on failure", c.args, out)
		}
	}
	code, out, _ := run(t, program, "-service", "profile", "policy", "-partition", "aws", "-region", "eu-west-1", "-account", "123456789012")
	if code != cli.ExitOK || !strings.Contains(out, `"arn:aws:dynamodb:eu-west-1:123456789012:table/tablestakes-companies/index/by-industry"`) {
		t.Errorf("policy -service profile = %d, %s", code, out)
	}
	if strings.Contains(out, `"*"`) || strings.Contains(out, "Scan") {
		t.Errorf("policy grants * or Scan:\n%s", out)
	}
	_, out, _ = run(t, program, "-service", "statistics", "policy")
	if !strings.Contains(out, `"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/tablestakes-statistics"`) {
		t.Errorf("policy without an account does not reference CloudFormation's:\n%s", out)
	}
}
