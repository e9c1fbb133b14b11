package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/index"
)

// ErrDuplicateLogicalID reports two tables whose names give one logical id
// ("a-b" and "a_b" are both ABTable).
var ErrDuplicateLogicalID = errors.New("cfn: two tables have the same logical id")

// Template is a CloudFormation template. Its JSON form (encoding/json) is
// the template; [Template.YAML] writes the same in YAML.
type Template struct {
	// FormatVersion is "2010-09-09".
	FormatVersion string `json:"AWSTemplateFormatVersion"`
	// Description describes the template (at most 1,024 bytes).
	Description string `json:"Description,omitempty"`
	// Parameters are the template's parameters by logical id: the table
	// names with [WithNameParameters].
	Parameters map[string]Parameter `json:"Parameters,omitempty"`
	// Resources are the template's resources by logical id.
	Resources map[string]Resource `json:"Resources"`
	// Outputs are the template's outputs by logical id.
	Outputs map[string]Output `json:"Outputs,omitempty"`
}

// Parameter is a template parameter.
type Parameter struct {
	// Type is the parameter type, "String".
	Type string `json:"Type"`
	// Default is the value when none is given.
	Default string `json:"Default,omitempty"`
	// Description describes the parameter.
	Description string `json:"Description,omitempty"`
	// AllowedPattern is a regular expression the value must match.
	AllowedPattern string `json:"AllowedPattern,omitempty"`
}

// Resource is a template resource.
type Resource struct {
	// Type is the resource type, e.g. "AWS::DynamoDB::Table".
	Type string `json:"Type"`
	// Properties are the resource's properties: a [*TableProperties] for
	// a table, or any value that encodes as a JSON object.
	Properties any `json:"Properties"`
}

// Output is a template output.
type Output struct {
	// Description describes the output.
	Description string `json:"Description,omitempty"`
	// Value is the output's value, usually an intrinsic function.
	Value any `json:"Value"`
}

// TableProperties are the properties of an AWS::DynamoDB::Table resource
// that a declaration sets. Field names are CloudFormation's.
type TableProperties struct {
	TableName                        any                          `json:"TableName,omitempty"`
	BillingMode                      string                       `json:"BillingMode,omitempty"`
	ProvisionedThroughput            *Throughput                  `json:"ProvisionedThroughput,omitempty"`
	AttributeDefinitions             []AttributeDefinition        `json:"AttributeDefinitions"`
	KeySchema                        []KeySchema                  `json:"KeySchema"`
	GlobalSecondaryIndexes           []GlobalSecondaryIndex       `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes            []LocalSecondaryIndex        `json:"LocalSecondaryIndexes,omitempty"`
	StreamSpecification              *StreamSpecification         `json:"StreamSpecification,omitempty"`
	TimeToLiveSpecification          *TimeToLiveSpecification     `json:"TimeToLiveSpecification,omitempty"`
	PointInTimeRecoverySpecification *PointInTimeRecoverySpecific `json:"PointInTimeRecoverySpecification,omitempty"`
	DeletionProtectionEnabled        bool                         `json:"DeletionProtectionEnabled,omitempty"`
}

// Throughput is a ProvisionedThroughput property.
type Throughput struct {
	ReadCapacityUnits  int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits int64 `json:"WriteCapacityUnits"`
}

// AttributeDefinition defines a key attribute's type (S, N or B).
type AttributeDefinition struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

// KeySchema is one key attribute of a table or index (HASH or RANGE).
type KeySchema struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

// Projection says which attributes an index copies.
type Projection struct {
	ProjectionType   string   `json:"ProjectionType"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

// GlobalSecondaryIndex is a global secondary index.
type GlobalSecondaryIndex struct {
	IndexName             string      `json:"IndexName"`
	KeySchema             []KeySchema `json:"KeySchema"`
	Projection            Projection  `json:"Projection"`
	ProvisionedThroughput *Throughput `json:"ProvisionedThroughput,omitempty"`
}

// LocalSecondaryIndex is a local secondary index.
type LocalSecondaryIndex struct {
	IndexName  string      `json:"IndexName"`
	KeySchema  []KeySchema `json:"KeySchema"`
	Projection Projection  `json:"Projection"`
}

// StreamSpecification turns the table's stream on with a view type.
type StreamSpecification struct {
	StreamViewType string `json:"StreamViewType"`
}

// TimeToLiveSpecification turns Time to Live on for an attribute.
type TimeToLiveSpecification struct {
	AttributeName string `json:"AttributeName"`
	Enabled       bool   `json:"Enabled"`
}

// PointInTimeRecoverySpecific turns point-in-time recovery on. (Its name
// is CloudFormation's PointInTimeRecoverySpecification, shortened.)
type PointInTimeRecoverySpecific struct {
	PointInTimeRecoveryEnabled bool `json:"PointInTimeRecoveryEnabled"`
}

// Options configure [New].
type Options struct {
	// Description is the template's description; default none.
	Description string
	// NameParameters makes each table name a template parameter (its
	// logical id plus "Name", defaulting to the declared name) instead of
	// a literal; default false.
	NameParameters bool
}

// Option configures [New].
type Option func(*Options)

// WithDescription sets the template's description.
func WithDescription(d string) Option { return func(o *Options) { o.Description = d } }

// WithNameParameters makes the table names template parameters that
// default to the declared names.
func WithNameParameters() Option { return func(o *Options) { o.NameParameters = true } }

// New returns the template of the declared tables. It returns the
// [*index.DeclarationError] of an invalid declaration and an error
// matching [ErrDuplicateLogicalID] when two names give one logical id.
func New(tables []index.Table, opts ...Option) (*Template, error) {
	var o Options
	for _, fn := range opts {
		if fn != nil {
			fn(&o)
		}
	}
	t := &Template{FormatVersion: "2010-09-09", Description: o.Description, Resources: map[string]Resource{}, Outputs: map[string]Output{}}
	for _, decl := range tables {
		props, err := Properties(decl)
		if err != nil {
			return nil, err
		}
		id := LogicalID(decl.Name)
		if _, dup := t.Resources[id]; dup {
			return nil, fmt.Errorf("%w: %s (table %q)", ErrDuplicateLogicalID, id, decl.Name)
		}
		if o.NameParameters {
			if t.Parameters == nil {
				t.Parameters = map[string]Parameter{}
			}
			t.Parameters[id+"Name"] = Parameter{
				Type: "String", Default: decl.Name, AllowedPattern: "[a-zA-Z0-9_.-]{3,255}",
				Description: fmt.Sprintf("The name of the table declared as %q.", decl.Name),
			}
			props.TableName = map[string]string{"Ref": id + "Name"}
		}
		t.Resources[id] = Resource{Type: "AWS::DynamoDB::Table", Properties: props}
		t.Outputs[id+"Arn"] = Output{
			Description: fmt.Sprintf("The ARN of table %q.", decl.Name),
			Value:       map[string][]string{"Fn::GetAtt": {id, "Arn"}},
		}
		if decl.Stream != "" {
			t.Outputs[id+"StreamArn"] = Output{
				Description: fmt.Sprintf("The ARN of the stream of table %q.", decl.Name),
				Value:       map[string][]string{"Fn::GetAtt": {id, "StreamArn"}},
			}
		}
	}
	return t, nil
}

// Properties returns the AWS::DynamoDB::Table properties of decl, built
// from the CreateTable request [index.Create] sends, or the
// [*index.DeclarationError] of an invalid declaration.
func Properties(decl index.Table) (*TableProperties, error) {
	in, err := decl.CreateTableInput()
	if err != nil {
		return nil, err
	}
	p := &TableProperties{
		TableName:                 aws.ToString(in.TableName),
		BillingMode:               string(in.BillingMode),
		ProvisionedThroughput:     throughput(in.ProvisionedThroughput),
		KeySchema:                 keySchema(in.KeySchema),
		DeletionProtectionEnabled: aws.ToBool(in.DeletionProtectionEnabled),
	}
	for _, a := range in.AttributeDefinitions {
		p.AttributeDefinitions = append(p.AttributeDefinitions, AttributeDefinition{
			AttributeName: aws.ToString(a.AttributeName), AttributeType: string(a.AttributeType),
		})
	}
	for _, g := range in.GlobalSecondaryIndexes {
		p.GlobalSecondaryIndexes = append(p.GlobalSecondaryIndexes, GlobalSecondaryIndex{
			IndexName: aws.ToString(g.IndexName), KeySchema: keySchema(g.KeySchema),
			Projection: projection(g.Projection), ProvisionedThroughput: throughput(g.ProvisionedThroughput),
		})
	}
	for _, l := range in.LocalSecondaryIndexes {
		p.LocalSecondaryIndexes = append(p.LocalSecondaryIndexes, LocalSecondaryIndex{
			IndexName: aws.ToString(l.IndexName), KeySchema: keySchema(l.KeySchema), Projection: projection(l.Projection),
		})
	}
	if s := in.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		p.StreamSpecification = &StreamSpecification{StreamViewType: string(s.StreamViewType)}
	}
	if decl.TTL != "" {
		p.TimeToLiveSpecification = &TimeToLiveSpecification{AttributeName: decl.TTL, Enabled: true}
	}
	if decl.PointInTimeRecovery {
		p.PointInTimeRecoverySpecification = &PointInTimeRecoverySpecific{PointInTimeRecoveryEnabled: true}
	}
	return p, nil
}

func keySchema(ks []types.KeySchemaElement) []KeySchema {
	out := make([]KeySchema, len(ks))
	for i, k := range ks {
		out[i] = KeySchema{AttributeName: aws.ToString(k.AttributeName), KeyType: string(k.KeyType)}
	}
	return out
}

func projection(p *types.Projection) Projection {
	if p == nil {
		return Projection{ProjectionType: string(types.ProjectionTypeAll)}
	}
	return Projection{ProjectionType: string(p.ProjectionType), NonKeyAttributes: p.NonKeyAttributes}
}

func throughput(t *types.ProvisionedThroughput) *Throughput {
	if t == nil {
		return nil
	}
	return &Throughput{ReadCapacityUnits: aws.ToInt64(t.ReadCapacityUnits), WriteCapacityUnits: aws.ToInt64(t.WriteCapacityUnits)}
}

// LogicalID returns the logical id of the table named name: its letters
// and digits in CamelCase, split at other characters, plus "Table"
// ("company-profile" → "CompanyProfileTable"). A name starting with a
// digit is prefixed with "T".
func LogicalID(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	id := b.String() + "Table"
	if id[0] >= '0' && id[0] <= '9' {
		id = "T" + id
	}
	return id
}

// JSON returns the template as indented JSON.
func (t *Template) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("cfn: encode template: %w", err)
	}
	return buf.Bytes(), nil
}

// YAML returns the template as YAML: the JSON form's tree in block style,
// keys in the same order, every string double-quoted.
func (t *Template) YAML() ([]byte, error) {
	j, err := t.JSON()
	if err != nil {
		return nil, err
	}
	return ToYAML(j)
}
