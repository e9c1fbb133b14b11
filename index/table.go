package index

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key names a key attribute and its scalar type.
// The zero Key means "no key" (for an absent sort key).
type Key struct {
	// Name is the attribute name, e.g. "pk".
	Name string
	// Type is the attribute's scalar type; the zero value means string (S).
	Type types.ScalarAttributeType
}

// S returns a string-typed [Key] named name.
func S(name string) Key { return Key{Name: name, Type: types.ScalarAttributeTypeS} }

// N returns a number-typed [Key] named name.
func N(name string) Key { return Key{Name: name, Type: types.ScalarAttributeTypeN} }

// B returns a binary-typed [Key] named name.
func B(name string) Key { return Key{Name: name, Type: types.ScalarAttributeTypeB} }

// IsZero reports whether k declares no key.
func (k Key) IsZero() bool { return k.Name == "" }

// ScalarType returns k's type, defaulting to string.
func (k Key) ScalarType() types.ScalarAttributeType {
	if k.Type == "" {
		return types.ScalarAttributeTypeS
	}
	return k.Type
}

// Projection says which attributes an index copies from the base table.
// The zero Projection projects all attributes.
type Projection struct {
	// Type is ALL, KEYS_ONLY or INCLUDE; the zero value means ALL.
	Type types.ProjectionType
	// Attributes lists the non-key attributes an INCLUDE projection copies.
	Attributes []string
}

// All returns a projection of every attribute.
func All() Projection { return Projection{Type: types.ProjectionTypeAll} }

// KeysOnly returns a projection of the table and index keys only.
func KeysOnly() Projection { return Projection{Type: types.ProjectionTypeKeysOnly} }

// Include returns a projection of the keys and the named attributes.
func Include(attrs ...string) Projection {
	return Projection{Type: types.ProjectionTypeInclude, Attributes: attrs}
}

// ProjectionType returns p's type, defaulting to ALL.
func (p Projection) ProjectionType() types.ProjectionType {
	if p.Type == "" {
		return types.ProjectionTypeAll
	}
	return p.Type
}

// Index declares a global or local secondary index.
type Index struct {
	// Name is the index name.
	Name string
	// Local makes this a local secondary index, which shares the table's
	// partition key; PartitionKey is then ignored.
	Local bool
	// PartitionKey is the index's partition key (global indexes only).
	PartitionKey Key
	// SortKey is the index's sort key; a local index needs one.
	SortKey Key
	// Projection says which attributes the index copies; default ALL.
	Projection Projection
	// ReadCapacity and WriteCapacity apply to a global index of a
	// provisioned table; default 5 each.
	ReadCapacity, WriteCapacity int64
}

// Table declares a DynamoDB table: its keys, indexes, billing mode and stream.
type Table struct {
	// Name is the table name.
	Name string
	// PartitionKey is the table's partition (hash) key. Required.
	PartitionKey Key
	// SortKey is the table's sort (range) key; zero for none.
	SortKey Key
	// Indexes lists the global and local secondary indexes.
	Indexes []Index
	// BillingMode defaults to PAY_PER_REQUEST.
	BillingMode types.BillingMode
	// ReadCapacity and WriteCapacity apply to a PROVISIONED table; default 5 each.
	ReadCapacity, WriteCapacity int64
	// Stream is the stream view type; empty for no stream.
	Stream types.StreamViewType
	// TTL names the attribute DynamoDB's Time to Live reads each item's
	// expiry from: a number of seconds since 1970 (Unix epoch time, in
	// seconds, not milliseconds). DynamoDB deletes an item some time after
	// it expires — typically within a few days, never at once — and at no
	// cost; items without the attribute, or with a value of another type,
	// never expire. "" for none. [Create] enables it and [Verify] checks
	// it, through a client with the time-to-live operations
	// ([TTLClient]). A table has at most one TTL attribute.
	TTL string
	// PointInTimeRecovery declares continuous backups with point-in-time
	// recovery: the table can be restored to any second of the last 35
	// days (billed by the table's size). Default false. [Create] enables
	// it with UpdateContinuousBackups and [Verify] checks it, through a
	// client with the backup operations ([BackupClient]); an endpoint
	// that does not implement them — DynamoDB Local 3.3.1 answers
	// UnknownOperationException — is skipped, since the declaration is
	// about the deployed table. Templates from package cfn declare it.
	PointInTimeRecovery bool
	// DeletionProtection declares that the table cannot be deleted
	// (DeleteTable fails with a ValidationException) until it is turned
	// off with UpdateTable. Default false. [Table.CreateTableInput] sets
	// it, [Verify] checks it; [Create] does not change it on an existing
	// table.
	DeletionProtection bool
	// Patterns lists the access patterns that read the table. Validate
	// checks that each names a declared index that projects what it reads.
	Patterns []AccessPattern
}

// Index returns the declared index named name.
func (t Table) Index(name string) (Index, bool) {
	for _, ix := range t.Indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return Index{}, false
}

// KeysOf returns the partition and sort key of the base table (name "") or
// of the named index. A local index's partition key is the table's.
func (t Table) KeysOf(indexName string) (pk, sk Key, err error) {
	if indexName == "" {
		return t.PartitionKey, t.SortKey, nil
	}
	ix, ok := t.Index(indexName)
	if !ok {
		return Key{}, Key{}, fmt.Errorf("%w: %q on table %q", ErrUndeclaredIndex, indexName, t.Name)
	}
	if ix.Local {
		return t.PartitionKey, ix.SortKey, nil
	}
	return ix.PartitionKey, ix.SortKey, nil
}

// KeyAttributes returns the names of the base table's key attributes.
func (t Table) KeyAttributes() []string {
	if t.SortKey.IsZero() {
		return []string{t.PartitionKey.Name}
	}
	return []string{t.PartitionKey.Name, t.SortKey.Name}
}

// Validate reports the first problem with the declaration as a
// [*DeclarationError], or nil.
func (t Table) Validate() error {
	bad := func(format string, args ...any) error {
		return &DeclarationError{Table: t.Name, Reason: fmt.Sprintf(format, args...)}
	}
	if t.Name == "" {
		return bad("table name is empty")
	}
	if t.PartitionKey.IsZero() {
		return bad("partition key is not declared")
	}
	keyTypes := map[string]types.ScalarAttributeType{}
	declare := func(k Key, where string) error {
		if k.IsZero() {
			return nil
		}
		if !slices.Contains(k.ScalarType().Values(), k.ScalarType()) {
			return bad("%s key %q has type %q; want S, N or B", where, k.Name, k.Type)
		}
		if prev, ok := keyTypes[k.Name]; ok && prev != k.ScalarType() {
			return bad("attribute %q is declared as %s and as %s", k.Name, prev, k.ScalarType())
		}
		keyTypes[k.Name] = k.ScalarType()
		return nil
	}
	if err := declare(t.PartitionKey, "table partition"); err != nil {
		return err
	}
	if err := declare(t.SortKey, "table sort"); err != nil {
		return err
	}
	seen := map[string]bool{}
	var globals, locals int
	for _, ix := range t.Indexes {
		if ix.Name == "" {
			return bad("an index has no name")
		}
		if seen[ix.Name] {
			return bad("index %q is declared twice", ix.Name)
		}
		seen[ix.Name] = true
		if ix.Local {
			locals++
			if t.SortKey.IsZero() {
				return bad("local index %q needs a table with a sort key", ix.Name)
			}
			if ix.SortKey.IsZero() {
				return bad("local index %q has no sort key", ix.Name)
			}
		} else {
			globals++
			if ix.PartitionKey.IsZero() {
				return bad("global index %q has no partition key", ix.Name)
			}
			if err := declare(ix.PartitionKey, "index "+ix.Name+" partition"); err != nil {
				return err
			}
		}
		if err := declare(ix.SortKey, "index "+ix.Name+" sort"); err != nil {
			return err
		}
		p := ix.Projection
		if !slices.Contains(p.ProjectionType().Values(), p.ProjectionType()) {
			return bad("index %q has projection type %q", ix.Name, p.Type)
		}
		if p.ProjectionType() == "INCLUDE" && len(p.Attributes) == 0 {
			return bad("index %q has an INCLUDE projection with no attributes", ix.Name)
		}
		if p.ProjectionType() != "INCLUDE" && len(p.Attributes) > 0 {
			return bad("index %q lists attributes for a %s projection", ix.Name, p.ProjectionType())
		}
		for i, a := range p.Attributes {
			if slices.Contains(p.Attributes[:i], a) {
				return bad("index %q projects attribute %q twice", ix.Name, a)
			}
		}
	}
	if globals > 20 {
		return bad("%d global indexes declared; DynamoDB allows 20", globals)
	}
	if locals > 5 {
		return bad("%d local indexes declared; DynamoDB allows 5", locals)
	}
	names := map[string]bool{}
	for _, p := range t.Patterns {
		if names[p.Name] {
			return bad("access pattern %q is declared twice", p.Name)
		}
		names[p.Name] = true
		if err := p.check(t); err != nil {
			return &DeclarationError{Table: t.Name, Reason: err.Error(), Err: err}
		}
	}
	switch t.BillingMode {
	case "", types.BillingModePayPerRequest, types.BillingModeProvisioned:
	default:
		return bad("billing mode %q", t.BillingMode)
	}
	return nil
}

// CreateTableInput returns the CreateTable request for the declaration, or
// the [*DeclarationError] that [Table.Validate] reports.
func (t Table) CreateTableInput() (*dynamodb.CreateTableInput, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	provisioned := t.BillingMode == types.BillingModeProvisioned
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(t.Name),
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
		BillingMode: types.BillingModePayPerRequest,
	}
	if provisioned {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = throughput(t.ReadCapacity, t.WriteCapacity)
	}
	defined := map[string]bool{}
	define := func(k Key) {
		if k.IsZero() || defined[k.Name] {
			return
		}
		defined[k.Name] = true
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(k.Name), AttributeType: k.ScalarType(),
		})
	}
	define(t.PartitionKey)
	define(t.SortKey)
	for _, ix := range t.Indexes {
		pk := ix.PartitionKey
		if ix.Local {
			pk = t.PartitionKey
		}
		define(pk)
		define(ix.SortKey)
		proj := &types.Projection{ProjectionType: ix.Projection.ProjectionType()}
		if len(ix.Projection.Attributes) > 0 {
			proj.NonKeyAttributes = slices.Clone(ix.Projection.Attributes)
		}
		if ix.Local {
			in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
				IndexName: aws.String(ix.Name), KeySchema: keySchema(pk, ix.SortKey), Projection: proj,
			})
			continue
		}
		g := types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name), KeySchema: keySchema(pk, ix.SortKey), Projection: proj,
		}
		if provisioned {
			g.ProvisionedThroughput = throughput(ix.ReadCapacity, ix.WriteCapacity)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
	}
	if t.DeletionProtection {
		in.DeletionProtectionEnabled = aws.Bool(true)
	}
	if t.Stream != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: t.Stream}
	}
	return in, nil
}

func keySchema(pk, sk Key) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: types.KeyTypeHash}}
	if !sk.IsZero() {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: types.KeyTypeRange})
	}
	return ks
}

func throughput(r, w int64) *types.ProvisionedThroughput {
	if r <= 0 {
		r = 5
	}
	if w <= 0 {
		w = 5
	}
	return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(r), WriteCapacityUnits: aws.Int64(w)}
}
