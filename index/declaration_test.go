package index_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
)

var byIndustry = index.AccessPattern{
	Name: "companies by industry", Index: "by-industry", Descending: true, Reads: []string{"id", "name"},
}

func declared() index.Table {
	return index.Table{
		Name: "companies", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes: []index.Index{
			{Name: "by-industry", PartitionKey: index.S("industry"), SortKey: index.S("createdAt"), Projection: index.Include("id", "name")},
			{Name: "by-size", Local: true, SortKey: index.N("employees"), Projection: index.KeysOnly()},
		},
		Stream:   types.StreamViewTypeNewAndOldImages,
		Patterns: []index.AccessPattern{byIndustry, {Name: "by size", Index: "by-size"}},
	}
}

func TestDeclarationValidate(t *testing.T) {
	many := func(n int, local bool) []index.Index {
		var ix []index.Index
		for i := range n {
			ix = append(ix, index.Index{Name: fmt.Sprint("i", i), Local: local, PartitionKey: index.S("g"), SortKey: index.S("s")})
		}
		return ix
	}
	tests := []struct {
		name   string
		change func(*index.Table)
		want   error // nil: valid
	}{
		{"valid", func(*index.Table) {}, nil},
		{"empty name", func(t *index.Table) { t.Name = "" }, index.ErrInvalidDeclaration},
		{"no partition key", func(t *index.Table) { t.PartitionKey = index.Key{} }, index.ErrInvalidDeclaration},
		{"bad key type", func(t *index.Table) { t.PartitionKey.Type = "BOOL" }, index.ErrInvalidDeclaration},
		{"conflicting types", func(t *index.Table) { t.Indexes[0].PartitionKey = index.N("sk") }, index.ErrInvalidDeclaration},
		{"local without table sort key", func(t *index.Table) { t.SortKey = index.Key{}; t.Indexes = t.Indexes[1:]; t.Patterns = nil }, index.ErrInvalidDeclaration},
		{"local without sort key", func(t *index.Table) { t.Indexes[1].SortKey = index.Key{} }, index.ErrInvalidDeclaration},
		{"global without partition key", func(t *index.Table) { t.Indexes[0].PartitionKey = index.Key{} }, index.ErrInvalidDeclaration},
		{"unnamed index", func(t *index.Table) { t.Indexes[0].Name = "" }, index.ErrInvalidDeclaration},
		{"duplicate index", func(t *index.Table) { t.Indexes[1].Name = "by-industry" }, index.ErrInvalidDeclaration},
		{"include nothing", func(t *index.Table) { t.Indexes[0].Projection = index.Include() }, index.ErrInvalidDeclaration},
		{"attributes on ALL", func(t *index.Table) {
			t.Indexes[0].Projection = index.Projection{Type: "ALL", Attributes: []string{"x"}}
		}, index.ErrInvalidDeclaration},
		{"bad projection", func(t *index.Table) { t.Indexes[0].Projection.Type = "SOME" }, index.ErrInvalidDeclaration},
		{"attribute included twice", func(t *index.Table) { t.Indexes[0].Projection = index.Include("id", "name", "id") }, index.ErrInvalidDeclaration},
		{"21 globals", func(t *index.Table) { t.Indexes = many(21, false); t.Patterns = nil }, index.ErrInvalidDeclaration},
		{"6 locals", func(t *index.Table) { t.Indexes = many(6, true); t.Patterns = nil }, index.ErrInvalidDeclaration},
		{"bad billing", func(t *index.Table) { t.BillingMode = "FREE" }, index.ErrInvalidDeclaration},
		{"duplicate pattern", func(t *index.Table) { t.Patterns = append(t.Patterns, byIndustry) }, index.ErrInvalidDeclaration},
		{"unnamed pattern", func(t *index.Table) { t.Patterns = append(t.Patterns, index.AccessPattern{}) }, index.ErrInvalidPattern},
		{"pattern on undeclared index", func(t *index.Table) {
			t.Patterns = append(t.Patterns, index.AccessPattern{Name: "x", Index: "nope"})
		}, index.ErrUndeclaredIndex},
		{"pattern reads unprojected", func(t *index.Table) {
			t.Patterns = append(t.Patterns, index.AccessPattern{Name: "x", Index: "by-industry", Reads: []string{"address"}})
		}, index.ErrInvalidPattern},
		{"keys-only pattern reads keys", func(t *index.Table) {
			t.Patterns = append(t.Patterns, index.AccessPattern{Name: "x", Index: "by-size", Reads: []string{"pk", "sk", "employees"}})
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decl := declared()
			tt.change(&decl)
			err := decl.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			var de *index.DeclarationError
			if !errors.Is(err, tt.want) || !errors.Is(err, index.ErrInvalidDeclaration) || !errors.As(err, &de) {
				t.Fatalf("Validate() = %v; want a *DeclarationError matching %v", err, tt.want)
			}
		})
	}
}

func TestCreateTableInput(t *testing.T) {
	decl := declared()
	decl.BillingMode = types.BillingModeProvisioned
	got, err := decl.CreateTableInput()
	if err != nil {
		t.Fatalf("CreateTableInput() error = %v", err)
	}
	hash, rng := types.KeyTypeHash, types.KeyTypeRange
	ks := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: hash}, {AttributeName: aws.String(sk), KeyType: rng}}
	}
	five := &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
	want := &dynamodb.CreateTableInput{
		TableName:   aws.String("companies"),
		KeySchema:   ks("pk", "sk"),
		BillingMode: types.BillingModeProvisioned,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: "S"},
			{AttributeName: aws.String("sk"), AttributeType: "S"},
			{AttributeName: aws.String("industry"), AttributeType: "S"},
			{AttributeName: aws.String("createdAt"), AttributeType: "S"},
			{AttributeName: aws.String("employees"), AttributeType: "N"},
		},
		ProvisionedThroughput: five,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String("by-industry"), KeySchema: ks("industry", "createdAt"),
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"id", "name"}},
			ProvisionedThroughput: five,
		}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName: aws.String("by-size"), KeySchema: ks("pk", "employees"),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CreateTableInput() = %+v\nwant %+v", got, want)
	}

	plain, err := index.Table{Name: "t", PartitionKey: index.S("pk")}.CreateTableInput()
	if err != nil || plain.BillingMode != types.BillingModePayPerRequest || plain.ProvisionedThroughput != nil || plain.StreamSpecification != nil {
		t.Errorf("CreateTableInput() of a plain table = %+v, %v; want on-demand, no throughput, no stream", plain, err)
	}
	if _, err := (index.Table{}).CreateTableInput(); !errors.Is(err, index.ErrInvalidDeclaration) {
		t.Errorf("CreateTableInput() of an empty table = %v; want ErrInvalidDeclaration", err)
	}
}

func TestKeyConditions(t *testing.T) {
	decl := declared()
	base := index.AccessPattern{Name: "stats", PartitionPrefix: "COMPANY#", SortPrefix: "YEAR#"}
	decl.Patterns = append(decl.Patterns, base)
	tests := []struct {
		name string
		q    index.Query
		want string
		vals []string
	}{
		{"partition", byIndustry.Partition("fintech"), "#0 = :0", []string{"fintech"}},
		{"sort prefix alone", base.Partition("1"), "(#0 = :0) AND (begins_with (#1, :1))", []string{"COMPANY#1", "YEAR#"}},
		{"=", base.Partition("1").Where(index.Eq("2026")), "(#0 = :0) AND (#1 = :1)", []string{"COMPANY#1", "YEAR#2026"}},
		{"<", base.Partition("1").Where(index.Lt("2026")), "(#0 = :0) AND (#1 < :1)", []string{"COMPANY#1", "YEAR#2026"}},
		{"<=", base.Partition("1").Where(index.Le("2026")), "(#0 = :0) AND (#1 <= :1)", []string{"COMPANY#1", "YEAR#2026"}},
		{">", base.Partition("1").Where(index.Gt("2026")), "(#0 = :0) AND (#1 > :1)", []string{"COMPANY#1", "YEAR#2026"}},
		{">=", base.Partition("1").Where(index.Ge("2026")), "(#0 = :0) AND (#1 >= :1)", []string{"COMPANY#1", "YEAR#2026"}},
		{"between", base.Partition("1").Where(index.Between("2020", "2026")), "(#0 = :0) AND (#1 BETWEEN :1 AND :2)", []string{"COMPANY#1", "YEAR#2020", "YEAR#2026"}},
		{"begins_with", base.Partition("1").Where(index.BeginsWith("20")), "(#0 = :0) AND (begins_with (#1, :1))", []string{"COMPANY#1", "YEAR#20"}},
		{"local index", index.AccessPattern{Name: "by size", Index: "by-size"}.Partition("COMPANY#1").Where(index.Gt(10)), "(#0 = :0) AND (#1 > :1)", []string{"COMPANY#1", "10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := tt.q.KeyCondition(decl)
			if err != nil {
				t.Fatalf("KeyCondition() error = %v", err)
			}
			e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
			if err != nil {
				t.Fatalf("Build() error = %v", err)
			}
			if got := aws.ToString(e.KeyCondition()); got != tt.want {
				t.Errorf("KeyCondition() = %q; want %q", got, tt.want)
			}
			for i, want := range tt.vals {
				var got string
				switch v := e.Values()[fmt.Sprint(":", i)].(type) {
				case *types.AttributeValueMemberS:
					got = v.Value
				case *types.AttributeValueMemberN:
					got = v.Value
				}
				if got != want {
					t.Errorf("value :%d = %q; want %q", i, got, want)
				}
			}
		})
	}

	bad := []struct {
		name string
		q    index.Query
		want error
	}{
		{"undeclared index", index.AccessPattern{Name: "x", Index: "nope"}.Partition("a"), index.ErrUndeclaredIndex},
		{"no partition value", byIndustry.Partition(nil), index.ErrInvalidPattern},
		{"prefix on a number", base.Partition(1), index.ErrInvalidPattern},
		{"sort prefix on a number", base.Partition("1").Where(index.Eq(2026)), index.ErrInvalidPattern},
		{"begins_with on a number key", index.AccessPattern{Name: "by size", Index: "by-size"}.Partition("COMPANY#1").Where(index.BeginsWith("1")), index.ErrInvalidPattern},
		{"zero sort condition", index.AccessPattern{Name: "by size", Index: "by-size"}.Partition("x").Where(index.SortCondition{}), nil},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.q.KeyCondition(decl)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("KeyCondition() = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("KeyCondition() = %v; want %v", err, tt.want)
			}
		})
	}
	noSort := index.Table{Name: "t", PartitionKey: index.S("pk")}
	if _, err := (index.AccessPattern{Name: "p"}).Partition("a").Where(index.Eq("b")).KeyCondition(noSort); !errors.Is(err, index.ErrInvalidPattern) {
		t.Errorf("sort condition without a sort key = %v; want ErrInvalidPattern", err)
	}
}

// live returns the description DynamoDB would give of decl.
func live(t *testing.T, decl index.Table) *types.TableDescription {
	t.Helper()
	in, err := decl.CreateTableInput()
	if err != nil {
		t.Fatal(err)
	}
	d := &types.TableDescription{TableName: in.TableName, KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions}
	for _, g := range in.GlobalSecondaryIndexes {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, types.GlobalSecondaryIndexDescription{IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection})
	}
	for _, l := range in.LocalSecondaryIndexes {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, types.LocalSecondaryIndexDescription{IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection})
	}
	d.StreamSpecification = in.StreamSpecification
	return d
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name string
		live func(*index.Table)
		want string // a substring of the one problem; "" for none
	}{
		{"match", func(*index.Table) {}, ""},
		{"missing global", func(d *index.Table) { d.Indexes = d.Indexes[1:] }, `global index "by-industry" is missing`},
		{"missing local", func(d *index.Table) { d.Indexes = d.Indexes[:1] }, `local index "by-size" is missing`},
		{"key schema", func(d *index.Table) { d.Indexes[0].SortKey = index.S("founded") }, "key schema is (industry, founded)"},
		{"key type", func(d *index.Table) { d.Indexes[0].SortKey = index.N("createdAt") }, `key "createdAt" has type N`},
		{"projection type", func(d *index.Table) { d.Indexes[0].Projection = index.All() }, "projects ALL; declared INCLUDE"},
		{"missing projected attribute", func(d *index.Table) { d.Indexes[0].Projection = index.Include("id") }, `does not project "name"`},
		{"stream off", func(d *index.Table) { d.Stream = "" }, "stream is off"},
		{"stream view", func(d *index.Table) { d.Stream = types.StreamViewTypeKeysOnly }, "stream view type is KEYS_ONLY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := declared()
			l.Patterns = nil
			tt.live(&l)
			problems := declared().Compare(live(t, l))
			if tt.want == "" {
				if len(problems) != 0 {
					t.Fatalf("Compare() = %v; want none", problems)
				}
				return
			}
			if !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Fatalf("Compare() = %v; want a problem containing %q", problems, tt.want)
			}
		})
	}
	// A pattern reading an attribute the live index lacks is caught too.
	l := declared()
	l.Indexes[0].Projection = index.Include("id")
	l.Patterns = nil
	if problems := declared().Compare(live(t, l)); !strings.Contains(strings.Join(problems, "\n"), `pattern "companies by industry" reads [name]`) {
		t.Errorf("Compare() = %v; want the pattern's unprojected read reported", problems)
	}
}

func TestVerifyLiveTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	decl := declared()
	table := ddbtest.Table(t, client, decl)
	if err := index.Verify(ctx, client, table); err != nil {
		t.Fatalf("Verify(created from the declaration) = %v; want nil", err)
	}
	if err := index.Create(ctx, client, table); err != nil {
		t.Fatalf("Create(existing table) = %v; want nil", err)
	}

	// The start-up check catches a missing GSI.
	withoutGSI := decl
	withoutGSI.Indexes = decl.Indexes[1:]
	withoutGSI.Patterns = withoutGSI.Patterns[1:]
	live := ddbtest.Table(t, client, withoutGSI)
	want := decl
	want.Name = live.Name
	err := index.Verify(ctx, client, want)
	var me *index.MismatchError
	if !errors.Is(err, index.ErrTableMismatch) || !errors.As(err, &me) || !strings.Contains(strings.Join(me.Problems, ";"), `"by-industry" is missing`) {
		t.Fatalf("Verify(missing GSI) = %v; want a *MismatchError naming by-industry", err)
	}

	missing := decl
	missing.Name = ddbtest.UniqueName(t, "absent")
	if err := index.Verify(ctx, client, missing); !errors.As(err, &me) || me.Problems[0] != "table does not exist" {
		t.Fatalf("Verify(absent table) = %v; want table does not exist", err)
	}
}

// TestSortPrefixOnNumberSortKey: a sort prefix alone reads begins_with the
// prefix, which DynamoDB refuses on a number sort key: the query fails
// before any request.
func TestSortPrefixOnNumberSortKey(t *testing.T) {
	p := index.AccessPattern{Name: "by size", Index: "by-size", SortPrefix: "S#"}
	table := index.Table{Name: "n", PartitionKey: index.S("pk"), SortKey: index.S("sk"),
		Indexes:  []index.Index{{Name: "by-size", Local: true, SortKey: index.N("size")}},
		Patterns: []index.AccessPattern{p}}
	if _, err := p.Partition("C#1").KeyCondition(table); !errors.Is(err, index.ErrInvalidPattern) {
		t.Errorf("KeyCondition() = %v; want ErrInvalidPattern", err)
	}
}

// deletingTable answers DescribeTable with a table being deleted.
type deletingTable struct{ index.Client }

func (deletingTable) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return &dynamodb.DescribeTableOutput{Table: &types.TableDescription{TableStatus: types.TableStatusDeleting}}, nil
}

// TestWaitActiveOnADeletingTable: a table being deleted never becomes
// active; waiting for it fails at once, even without a deadline.
func TestWaitActiveOnADeletingTable(t *testing.T) {
	err := index.WaitActive(context.Background(), deletingTable{}, "t")
	if err == nil || !strings.Contains(err.Error(), "being deleted") {
		t.Errorf("WaitActive = %v; want a table being deleted", err)
	}
}

// createOnly is an index.Client without the time-to-live operations.
type createOnly struct{ index.Client }

func TestTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	decl := index.Table{Name: "ttl", PartitionKey: index.S("pk"), TTL: "expiresAt"}
	table := ddbtest.Table(t, client, decl) // index.Create
	out, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "expiresAt" ||
		(d.TimeToLiveStatus != types.TimeToLiveStatusEnabled && d.TimeToLiveStatus != types.TimeToLiveStatusEnabling) {
		t.Fatalf("DescribeTimeToLive after Create = %+v; want enabled on expiresAt", out.TimeToLiveDescription)
	}
	if err := index.Verify(ctx, client, table); err != nil {
		t.Errorf("Verify(TTL enabled) = %v; want nil", err)
	}

	// A live table without the TTL its declaration names does not verify.
	plain := ddbtest.Table(t, client, index.Table{Name: "no-ttl", PartitionKey: index.S("pk")})
	plain.TTL = "expiresAt"
	if err := index.Verify(ctx, client, plain); !errors.Is(err, index.ErrTableMismatch) || !strings.Contains(err.Error(), "time to live is off") {
		t.Errorf("Verify(TTL off) = %v; want a mismatch saying time to live is off", err)
	}
	other := table
	other.TTL = "deleteAt"
	if err := index.Verify(ctx, client, other); !errors.Is(err, index.ErrTableMismatch) || !strings.Contains(err.Error(), `time to live is on "expiresAt"; declared "deleteAt"`) {
		t.Errorf("Verify(TTL on another attribute) = %v; want a mismatch naming both", err)
	}
	// Create enables it on an existing table.
	if err := index.Create(ctx, client, plain); err != nil {
		t.Fatalf("Create(existing table, TTL declared) = %v", err)
	}
	if err := index.Verify(ctx, client, plain); err != nil {
		t.Errorf("Verify after Create enabled TTL = %v; want nil", err)
	}

	// A client that cannot manage TTL is refused, not ignored.
	if err := index.Verify(ctx, createOnly{client}, table); !errors.Is(err, index.ErrNoTTLClient) {
		t.Errorf("Verify(client without TTL operations) = %v; want ErrNoTTLClient", err)
	}
	if err := index.Create(ctx, createOnly{client}, table); !errors.Is(err, index.ErrNoTTLClient) {
		t.Errorf("Create(client without TTL operations) = %v; want ErrNoTTLClient", err)
	}
}
