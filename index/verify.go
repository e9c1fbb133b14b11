package index

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Verify checks the live table named t.Name against the declaration, as a
// service should at start-up. It returns a [*MismatchError] listing every
// difference: a missing table or index, a key schema or key type that
// differs, a projection that differs or lacks an attribute that one of
// t.Patterns reads, a stream that is off or of another view type, Time to
// Live off or on another attribute than t.TTL declares (checked with
// DescribeTimeToLive), deletion protection off where declared, or
// point-in-time recovery off where declared (checked with
// DescribeContinuousBackups, skipped on an endpoint without it, such as
// DynamoDB Local). Extra live indexes, and Time to Live on a table
// that declares none, are not an error. An invalid declaration is a
// [*DeclarationError], as from [Table.Validate]; a declared TTL with a
// client that is no [TTLClient] is [ErrNoTTLClient], and declared
// point-in-time recovery with one that is no [BackupClient]
// [ErrNoBackupClient]; a failed call is the SDK's error, wrapped.
func Verify(ctx context.Context, c Client, t Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	ttl, backup, err := optionalClients(c, t)
	if err != nil {
		return err
	}
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if asNotFound(err, &nf) {
			return &MismatchError{Table: t.Name, Problems: []string{"table does not exist"}}
		}
		return fmt.Errorf("index: describe table %q: %w", t.Name, err)
	}
	problems := t.Compare(out.Table)
	if ttl != nil {
		attr, on, err := liveTTL(ctx, ttl, t.Name)
		switch {
		case err != nil:
			return err
		case !on:
			problems = append(problems, fmt.Sprintf("time to live is off; declared on %q", t.TTL))
		case attr != t.TTL:
			problems = append(problems, fmt.Sprintf("time to live is on %q; declared %q", attr, t.TTL))
		}
	}
	if backup != nil {
		p, err := pitrProblem(ctx, backup, t.Name)
		if err != nil {
			return err
		}
		if p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return &MismatchError{Table: t.Name, Problems: problems}
	}
	return nil
}

// Compare returns the differences between the declaration and a live
// table's description, one line each; none means they match.
func (t Table) Compare(d *types.TableDescription) []string {
	if d == nil {
		return []string{"table does not exist"}
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	liveTypes := map[string]types.ScalarAttributeType{}
	for _, a := range d.AttributeDefinitions {
		liveTypes[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	checkKeys := func(where string, live []types.KeySchemaElement, pk, sk Key) {
		lpk, lsk := liveKeys(live)
		if lpk != pk.Name || lsk != sk.Name {
			add("%s key schema is (%s, %s); declared (%s, %s)", where, show(lpk), show(lsk), show(pk.Name), show(sk.Name))
			return
		}
		for _, k := range []Key{pk, sk} {
			if !k.IsZero() && liveTypes[k.Name] != k.ScalarType() {
				add("%s key %q has type %s; declared %s", where, k.Name, liveTypes[k.Name], k.ScalarType())
			}
		}
	}
	checkKeys("table", d.KeySchema, t.PartitionKey, t.SortKey)

	type liveIndex struct {
		keys []types.KeySchemaElement
		proj *types.Projection
	}
	live := map[string]liveIndex{}
	for _, g := range d.GlobalSecondaryIndexes {
		live["g:"+aws.ToString(g.IndexName)] = liveIndex{g.KeySchema, g.Projection}
	}
	for _, l := range d.LocalSecondaryIndexes {
		live["l:"+aws.ToString(l.IndexName)] = liveIndex{l.KeySchema, l.Projection}
	}
	for _, ix := range t.Indexes {
		kind, prefix := "global", "g:"
		if ix.Local {
			kind, prefix = "local", "l:"
		}
		li, ok := live[prefix+ix.Name]
		if !ok {
			add("%s index %q is missing", kind, ix.Name)
			continue
		}
		pk, sk, _ := t.KeysOf(ix.Name)
		checkKeys(kind+" index "+quote(ix.Name), li.keys, pk, sk)
		var lp Projection
		if li.proj != nil {
			lp = Projection{Type: li.proj.ProjectionType, Attributes: li.proj.NonKeyAttributes}
		}
		if lp.ProjectionType() != ix.Projection.ProjectionType() {
			add("index %q projects %s; declared %s", ix.Name, lp.ProjectionType(), ix.Projection.ProjectionType())
		} else if lp.ProjectionType() == types.ProjectionTypeInclude {
			for _, a := range ix.Projection.Attributes {
				if !slices.Contains(lp.Attributes, a) {
					add("index %q does not project %q", ix.Name, a)
				}
			}
		}
		liveDecl := ix
		liveDecl.Projection = lp
		for _, p := range t.Patterns {
			if p.Index != ix.Name {
				continue
			}
			if missing := t.unprojected(liveDecl, p.Reads); len(missing) > 0 {
				add("pattern %q reads %v, which live index %q does not project", p.Name, missing, ix.Name)
			}
		}
	}

	if t.DeletionProtection && !aws.ToBool(d.DeletionProtectionEnabled) {
		add("deletion protection is off; declared on")
	}
	spec := d.StreamSpecification
	on := spec != nil && aws.ToBool(spec.StreamEnabled)
	switch {
	case t.Stream != "" && !on:
		add("stream is off; declared %s", t.Stream)
	case t.Stream != "" && spec.StreamViewType != t.Stream:
		add("stream view type is %s; declared %s", spec.StreamViewType, t.Stream)
	}
	return problems
}

func liveKeys(ks []types.KeySchemaElement) (pk, sk string) {
	for _, k := range ks {
		switch k.KeyType {
		case types.KeyTypeHash:
			pk = aws.ToString(k.AttributeName)
		case types.KeyTypeRange:
			sk = aws.ToString(k.AttributeName)
		}
	}
	return pk, sk
}

func show(name string) string {
	if name == "" {
		return "none"
	}
	return name
}
