package repository_test

// Tests of issue 11: what the repository accepts is what DynamoDB stores.
// Every value either round-trips exactly through DynamoDB Local or is
// refused before any request by an error naming the attribute.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/conditional"
	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// bigNumber is a number kept as text, as a custom marshaler may produce.
type bigNumber string

func (b bigNumber) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberN{Value: string(b)}, nil
}

func (b *bigNumber) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	if n, ok := av.(*types.AttributeValueMemberN); ok {
		*b = bigNumber(n.Value)
	}
	return nil
}

type mapEvent struct {
	ID    string            `dynamodbav:"id"`
	Kind  string            `dynamodbav:"kind"`
	At    time.Time         `dynamodbav:"at"`
	Note  string            `dynamodbav:"note,omitempty"`
	Owner string            `dynamodbav:"owner,omitempty"`
	Tags  []string          `dynamodbav:"tags"`
	Codes []string          `dynamodbav:"codes,stringset,omitempty"`
	Score float64           `dynamodbav:"score"`
	Big   *bigNumber        `dynamodbav:"big,omitempty"`
	Attrs map[string]string `dynamodbav:"attrs,omitempty"`
}

var (
	mapByKind  = index.AccessPattern{Name: "events by kind, newest first", Index: "by-kind", Descending: true}
	mapByOwner = index.AccessPattern{Name: "events by owner", Index: "by-owner"}
	mapTable   = index.Table{
		Name: "events", PartitionKey: index.S("pk"),
		Indexes: []index.Index{
			{Name: "by-kind", PartitionKey: index.S("kind"), SortKey: index.S("at")},
			{Name: "by-owner", PartitionKey: index.S("owner"), SortKey: index.S("note")},
		},
		Patterns: []index.AccessPattern{mapByKind, mapByOwner},
	}
)

func mapRepo(t *testing.T, opts ...repository.Option) (*repository.Repository[mapEvent], *counting, *dynamodb.Client) {
	t.Helper()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, mapTable)
	cc := &counting{Client: client}
	repo, err := repository.New[mapEvent](cc, table, append([]repository.Option{repository.WithKeys("EVENT#{id}", "")}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return repo, cc, client
}

func raw(t *testing.T, client *dynamodb.Client, table string, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	return out.Item
}

// TestTimeKeysSortInTimeOrder stores times as a GSI sort key and reads them
// back newest first: the stored text must sort as the times do, whatever
// their fraction and zone, and each must read back as the same instant.
func TestTimeKeysSortInTimeOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, _, client := mapRepo(t)
	base := time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC)
	times := []time.Time{
		base,                             // :05Z
		base.Add(100 * time.Millisecond), // :05.1Z
		base.Add(150 * time.Millisecond), // :05.15Z
		base.Add(time.Second),            // :06Z
		base.Add(-30 * time.Minute).In(time.FixedZone("CET", 3600)), // 10:30:05+01:00, the earliest
		base.Add(time.Nanosecond),
	}
	kind := "k-" + uuid.NewString()
	byID := map[string]time.Time{}
	for _, at := range times {
		e := mapEvent{Kind: kind, At: at}
		if err := repo.Create(ctx, &e); err != nil {
			t.Fatalf("Create(%v): %v", at, err)
		}
		byID[e.ID] = at
		got, err := repo.Get(ctx, e.ID)
		if err != nil || !got.At.Equal(at) {
			t.Errorf("Get(%q).At = %v, %v; want %v", e.ID, got.At, err, at)
		}
		key, _ := repo.Key(e.ID)
		if s, ok := raw(t, client, repo.Table().Name, key)["at"].(*types.AttributeValueMemberS); !ok || len(s.Value) != 30 || !strings.HasSuffix(s.Value, "Z") {
			t.Errorf("stored at = %#v; want 30 bytes of UTC", raw(t, client, repo.Table().Name, key)["at"])
		}
	}
	var prev time.Time
	n := 0
	for e, err := range repo.Query(ctx, mapByKind.Partition(kind)) {
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && !byID[e.ID].Before(prev) {
			t.Errorf("Query newest first: %v came after %v", byID[e.ID], prev)
		}
		prev, n = byID[e.ID], n+1
	}
	if n != len(times) {
		t.Errorf("Query read %d items; want %d", n, len(times))
	}
	// A sort condition on a time compares like with like.
	n = 0
	for _, err := range repo.Query(ctx, mapByKind.Partition(kind).Where(index.Between(base, base.Add(150*time.Millisecond)))) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Errorf("Between(:05, :05.15) read %d items; want 4", n)
	}
}

type mapBase struct {
	ID   string `dynamodbav:"id"`
	Kind string `dynamodbav:"kind"`
}

// mapShadowed's ID shadows mapBase's: the encoder stores the outer one.
type mapShadowed struct {
	mapBase
	ID   string `dynamodbav:"id"`
	Name string `dynamodbav:"name"`
}

// mapConflict has two "name" fields at one depth: the encoder stores neither.
type mapConflict struct {
	ID string `dynamodbav:"id"`
	mapNamedA
	mapNamedB
}
type mapNamedA struct {
	Name string `dynamodbav:"name"`
}
type mapNamedB struct {
	Name string `dynamodbav:"name"`
}

// TestShadowedFieldsResolveAsTheEncoder resolves the id of a model whose
// embedded struct's id is shadowed by an outer field of the same name.
func TestShadowedFieldsResolveAsTheEncoder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, mapTable)
	repo, err := repository.New[mapShadowed](client, table, repository.WithKeys("S#{id}", ""))
	if err != nil {
		t.Fatal(err)
	}
	item := mapShadowed{Name: "n"}
	if err := repo.Create(ctx, &item); err != nil {
		t.Fatal(err)
	}
	if item.ID == "" || item.mapBase.ID != "" {
		t.Errorf("Create set ID %q and mapBase.ID %q; want the outer one set", item.ID, item.mapBase.ID)
	}
	got, err := repo.Get(ctx, item.ID)
	if err != nil || got.ID != item.ID {
		t.Errorf("Get(%q).ID = %q, %v; want %q", item.ID, got.ID, err, item.ID)
	}
	_, err = repository.New[mapConflict](client, table, repository.WithKeys("C#{id}", ""), repository.WithUnique("name"))
	if !errors.Is(err, repository.ErrInvalidModel) {
		t.Errorf("New with a unique attribute no field encodes as = %v; want ErrInvalidModel", err)
	}
}

// TestNilSliceAppend appends to a list that a nil slice left absent, and to
// one an Update set to nil, with and without a bound.
func TestNilSliceAppend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, bounded := range []bool{false, true} {
		t.Run(fmt.Sprint("bounded=", bounded), func(t *testing.T) {
			var opts []repository.Option
			if bounded {
				opts = append(opts, repository.WithBound("tags", 5))
			}
			repo, _, client := mapRepo(t, opts...)
			e := mapEvent{Kind: "k", At: time.Now()}
			if err := repo.Create(ctx, &e); err != nil {
				t.Fatal(err)
			}
			key, _ := repo.Key(e.ID)
			if v, ok := raw(t, client, repo.Table().Name, key)["tags"]; ok {
				t.Errorf("a nil slice is stored as %#v; want no attribute", v)
			}
			got, err := repo.Update(ctx, e.ID, repository.Append("tags", "a"))
			if err != nil || len(got.Tags) != 1 {
				t.Fatalf("Append to a nil slice = %v, %v; want [a]", got.Tags, err)
			}
			if _, err := repo.Update(ctx, e.ID, repository.Set("tags", []string(nil))); err != nil {
				t.Fatal(err)
			}
			got, err = repo.Update(ctx, e.ID, repository.Append("tags", "b"))
			if err != nil || len(got.Tags) != 1 || got.Tags[0] != "b" {
				t.Errorf("Append after Set(nil) = %v, %v; want [b]", got.Tags, err)
			}
		})
	}
}

// TestValuesRefusedBeforeAnyRequest tries, through Create and Update,
// values DynamoDB would refuse or alter.
func TestValuesRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc, _ := mapRepo(t)
	big := bigNumber("123456789012345678901234567890123456789")
	deep := map[string]any{"v": 1}
	for range 40 {
		deep = map[string]any{"m": deep}
	}
	tests := []struct {
		name   string
		edit   func(*mapEvent)
		change repository.Changes
		attr   string // want ValueError.Attribute to start with it
	}{
		{"invalid UTF-8", func(e *mapEvent) { e.Note = "ok\xff" }, repository.Set("note", "ok\xff"), "note"},
		{"invalid UTF-8 in a list", func(e *mapEvent) { e.Tags = []string{"a", "\xc3"} }, repository.Set("tags", []string{"a", "\xc3"}), "tags[1]"},
		{"invalid UTF-8 in a map key", func(e *mapEvent) { e.Attrs = map[string]string{"k\xff": "v"} }, repository.Set("attrs", map[string]string{"k\xff": "v"}), "attrs"},
		{"invalid UTF-8 in a map value", func(e *mapEvent) { e.Attrs = map[string]string{"k": "\xff"} }, repository.Set("attrs", map[string]string{"k": "\xff"}), "attrs.k"},
		{"invalid UTF-8 in a set", func(e *mapEvent) { e.Codes = []string{"\xff"} }, repository.Set("codes", &types.AttributeValueMemberSS{Value: []string{"\xff"}}), "codes"},
		{"39 digits", func(e *mapEvent) { e.Big = &big }, repository.Set("big", big), "big"},
		{"NaN", func(e *mapEvent) { e.Score = math.NaN() }, repository.Set("score", math.NaN()), "score"},
		{"+Inf", func(e *mapEvent) { e.Score = math.Inf(1) }, repository.Add("score", math.Inf(1)), "score"},
		{"over 9.99E+125", func(e *mapEvent) { e.Score = 1e200 }, repository.Set("score", 1e200), "score"},
		{"under 1E-130", func(e *mapEvent) { e.Score = 1e-200 }, repository.Set("score", 1e-200), "score"},
		{"empty set", nil, repository.Set("codes", &types.AttributeValueMemberSS{}), "codes"},
		{"duplicates in a set", nil, repository.Add("codes", &types.AttributeValueMemberSS{Value: []string{"a", "a"}}), "codes"},
		{"name over 64 KB", func(e *mapEvent) { e.Attrs = map[string]string{strings.Repeat("n", 70000): "v"} }, repository.Set("attrs", map[string]string{strings.Repeat("n", 70000): "v"}), "attrs"},
		{"nested over 32 levels", nil, repository.Set("attrs", deep), "attrs"},
		{"year 10000", func(e *mapEvent) { e.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, repository.Set("at", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), "at"},
	}
	existing := mapEvent{Kind: "k", At: time.Now()}
	if err := repo.Create(ctx, &existing); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, op string, err error, attr string) {
		t.Helper()
		var ve *repository.ValueError
		if !errors.Is(err, repository.ErrInvalidValue) || !errors.As(err, &ve) || !strings.HasPrefix(ve.Attribute, attr) {
			t.Errorf("%s = %v; want a *ValueError naming %q", op, err, attr)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := cc.total()
			if tt.edit != nil {
				e := mapEvent{Kind: "k", At: time.Now()}
				tt.edit(&e)
				check(t, "Create", repo.Create(ctx, &e), tt.attr)
			}
			_, err := repo.Update(ctx, existing.ID, tt.change)
			check(t, "Update", err, tt.attr)
			if n := cc.total() - before; n != 0 {
				t.Errorf("%d requests sent; want none", n)
			}
		})
	}
}

// TestAcceptedValuesRoundTrip stores values at DynamoDB's limits and reads
// them back unchanged.
func TestAcceptedValuesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, _, _ := mapRepo(t)
	big := bigNumber("12345678901234567890123456789012345678")
	in := mapEvent{
		Kind: "k", At: time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.FixedZone("X", -7*3600)),
		Note: "日本 — ✓", Tags: []string{}, Codes: []string{"b", "a"}, Score: 1e125, Big: &big,
		Attrs: map[string]string{"": "empty name?", "k": ""},
	}
	delete(in.Attrs, "") // empty names are refused; tested elsewhere
	if err := repo.Create(ctx, &in); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(in.At) || got.Note != in.Note || got.Score != in.Score || *got.Big != big ||
		got.Tags == nil || len(got.Tags) != 0 || len(got.Codes) != 2 || got.Attrs["k"] != "" || len(got.Attrs) != 1 {
		t.Errorf("Get = %+v; want %+v", got, in)
	}
}

// TestUpdateSizeChecked refuses an update whose SET values alone are over
// 400 KB before any request, and maps DynamoDB's refusal of one that makes
// the stored item too large to ErrItemTooLarge.
func TestUpdateSizeChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc, _ := mapRepo(t)
	e := mapEvent{Kind: "k", At: time.Now()}
	if err := repo.Create(ctx, &e); err != nil {
		t.Fatal(err)
	}
	before := cc.total()
	_, err := repo.Update(ctx, e.ID, repository.Set("tags", []string{strings.Repeat("x", 500<<10)}))
	var tl *repository.ItemTooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, repository.ErrItemTooLarge) || cc.total() != before {
		t.Errorf("Update of 500 KB = %v (%d requests); want *ItemTooLargeError before any request", err, cc.total()-before)
	}
	if _, err := repo.Update(ctx, e.ID, repository.Set("attrs", map[string]string{"a": strings.Repeat("x", 300<<10)})); err != nil {
		t.Fatal(err)
	}
	_, err = repo.Update(ctx, e.ID, repository.Set("tags", []string{strings.Repeat("x", 300<<10)}))
	if !errors.Is(err, repository.ErrItemTooLarge) {
		t.Errorf("Update growing the item past 400 KB = %v; want ErrItemTooLarge", err)
	}
	// An Append goes exactly once, as a one-item transaction.
	_, err = repo.Update(ctx, e.ID, repository.Append("tags", strings.Repeat("x", 300<<10)))
	if !errors.Is(err, repository.ErrItemTooLarge) {
		t.Errorf("Append growing the item past 400 KB = %v; want ErrItemTooLarge", err)
	}
}

type mapNatural struct {
	Email  string `dynamodbav:"email"`
	Handle string `dynamodbav:"handle,omitempty"`
	Kind   string `dynamodbav:"kind,omitempty"`
	At     string `dynamodbav:"at,omitempty"`
}

// TestKeyByteLimits refuses natural ids, composed keys, unique values and
// index keys over DynamoDB's key limits before any request.
func TestKeyByteLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, mapTable)
	cc := &counting{Client: client}
	repo, err := repository.New[mapNatural](cc, table, repository.WithNaturalKey("email"),
		repository.WithKeys("USER#{email}", ""), repository.WithUnique("handle"))
	if err != nil {
		t.Fatal(err)
	}
	events, err := repository.New[mapEvent](cc, table, repository.WithKeys("EVENT#{id}", ""))
	if err != nil {
		t.Fatal(err)
	}
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		call func() error
		want error
		attr string
	}{
		{"natural id over 2048 bytes", func() error { return repo.Create(ctx, &mapNatural{Email: x(2049)}) }, repository.ErrInvalidID, ""},
		{"Get of an id over 2048 bytes", func() error { _, err := repo.Get(ctx, x(2049)); return err }, repository.ErrInvalidID, ""},
		{"invalid UTF-8 id", func() error { _, err := repo.Get(ctx, "a\xff"); return err }, repository.ErrInvalidID, ""},
		{"composed key over 2048 bytes", func() error { return repo.Create(ctx, &mapNatural{Email: x(2045)}) }, repository.ErrInvalidValue, "pk"},
		{"unique value over the guard key limit", func() error { return repo.Create(ctx, &mapNatural{Email: "a@b", Handle: x(2040)}) }, repository.ErrInvalidValue, "handle"},
		{"index partition key over 2048 bytes", func() error { return events.Create(ctx, &mapEvent{Kind: x(2049), At: time.Now()}) }, repository.ErrInvalidValue, "kind"},
		{"index sort key over 1024 bytes", func() error { return repo.Create(ctx, &mapNatural{Email: "c@d", Kind: "k", At: x(1025)}) }, repository.ErrInvalidValue, "at"},
		{"index sort key over 1024 bytes in Update", func() error {
			_, err := events.Update(ctx, uuid.NewString(), repository.Set("note", x(1025)).Set("owner", "o"))
			return err
		}, repository.ErrInvalidValue, "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := cc.total()
			err := tt.call()
			var ve *repository.ValueError
			if !errors.Is(err, tt.want) || tt.attr != "" && (!errors.As(err, &ve) || ve.Attribute != tt.attr) {
				t.Errorf("err = %v; want %v naming %q", err, tt.want, tt.attr)
			}
			if n := cc.total() - before; n != 0 {
				t.Errorf("%d requests sent; want none", n)
			}
		})
	}
	// At the limits, they are stored.
	if err := repo.Create(ctx, &mapNatural{Email: x(2042), Kind: "k", At: x(1024)}); err != nil {
		t.Errorf("Create at the key limits: %v", err)
	}
}

// TestBatchPutValidatedWhole refuses a batch with one bad item before its
// first request.
func TestBatchPutValidatedWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc, _ := mapRepo(t)
	kind := "k-" + uuid.NewString()
	items := make([]*mapEvent, 30)
	for i := range items {
		items[i] = &mapEvent{Kind: kind, At: time.Now()}
	}
	big := bigNumber("123456789012345678901234567890123456789")
	items[26].Big = &big
	err := repo.BatchPut(ctx, items)
	var ve *repository.ValueError
	if !errors.As(err, &ve) || ve.Attribute != "big" {
		t.Errorf("BatchPut = %v; want a *ValueError naming big", err)
	}
	if n := cc.n("BatchWriteItem"); n != 0 {
		t.Errorf("BatchWriteItem sent %d times; want none", n)
	}
}

type mapVersioned struct {
	ID      string `dynamodbav:"id"`
	Name    string `dynamodbav:"name"`
	Version int64  `dynamodbav:"version"`
}

// TestUnversionedItemsAtVersionZero writes items stored before the model
// was versioned: version 0 means "stored without a version".
func TestUnversionedItemsAtVersionZero(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := ddbtest.DynamoDB(t)
	table := ddbtest.Table(t, client, mapTable)
	repo, err := repository.New[mapVersioned](client, table, repository.WithKeys("V#{id}", ""), repository.WithVersion("version"))
	if err != nil {
		t.Fatal(err)
	}
	old := func() string {
		id := uuid.NewString()
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "V#" + id}, "id": &types.AttributeValueMemberS{Value: id},
			"name": &types.AttributeValueMemberS{Value: "old"}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := old()
	item, err := repo.Get(ctx, id)
	if err != nil || item.Version != 0 {
		t.Fatalf("Get = %+v, %v; want version 0", item, err)
	}
	item.Name = "put"
	if err := repo.Put(ctx, &item); err != nil || item.Version != 1 {
		t.Errorf("Put at version 0 = %v (version %d); want nil, 1", err, item.Version)
	}
	if err := repo.Put(ctx, &mapVersioned{ID: id, Name: "stale"}); !errors.Is(err, repository.ErrVersionConflict) {
		t.Errorf("Put at version 0 of a versioned item = %v; want ErrVersionConflict", err)
	}
	if err := repo.Put(ctx, &mapVersioned{ID: uuid.NewString(), Name: "new"}); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Put at version 0 of an absent item = %v; want ErrNotFound", err)
	}
	id2 := old()
	if got, err := repo.Update(ctx, id2, repository.Set("name", "updated"), repository.IfVersion(0)); err != nil || got.Version != 1 {
		t.Errorf("Update IfVersion(0) = %+v, %v; want version 1", got, err)
	}
	if _, err := repo.Update(ctx, id2, repository.Set("name", "again"), repository.IfVersion(0)); !errors.Is(err, repository.ErrVersionConflict) {
		t.Errorf("Update IfVersion(0) of a versioned item = %v; want ErrVersionConflict", err)
	}
	id3 := old()
	got, err := conditional.Mutate(ctx, repo, id3, func(v *mapVersioned) error { v.Name = "mutated"; return nil })
	if err != nil || got.Version != 1 || got.Name != "mutated" {
		t.Errorf("Mutate = %+v, %v; want version 1", got, err)
	}
	id4 := old()
	if err := repo.Delete(ctx, id4, repository.IfVersion(0)); err != nil {
		t.Errorf("Delete IfVersion(0) = %v", err)
	}
	if _, err := repo.Get(ctx, id4); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get after Delete = %v; want ErrNotFound", err)
	}
}

// TestDeclarationsChecked refuses declarations and call options that cannot
// work, at New or before any request.
func TestDeclarationsChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, cc, client := mapRepo(t, repository.WithAttributes("ttl"))
	table := repo.Table()
	newWith := func(opts ...repository.Option) error {
		_, err := repository.New[mapEvent](client, table, append([]repository.Option{repository.WithKeys("EVENT#{id}", "")}, opts...)...)
		return err
	}
	lower := func(e *mapEvent) any { return strings.ToLower(e.Note) }
	for name, err := range map[string]error{
		"WithBound on a string":     newWith(repository.WithBound("note", 3)),
		"WithBound on no attribute": newWith(repository.WithBound("nope", 3)),
		"Derive from no attribute":  newWith(repository.Derive("noteLower", lower, "nope")),
		"unique and derived":        newWith(repository.Derive("noteLower", lower, "note"), repository.WithUnique("noteLower")),
		"unique index key":          newWith(repository.WithIndexKey("owner", "{note}"), repository.WithUnique("owner")),
		"WithAttributes of a field": newWith(repository.WithAttributes("")),
	} {
		if !errors.Is(err, repository.ErrInvalidModel) {
			t.Errorf("%s: New = %v; want ErrInvalidModel", name, err)
		}
	}
	if err := newWith(repository.WithBound("tags", 3), repository.WithBound("attrs", 3), repository.Derive("noteLower", lower, "note")); err != nil {
		t.Errorf("New with valid bounds and derivation = %v", err)
	}
	e := mapEvent{Kind: "k", At: time.Now()}
	if err := repo.Create(ctx, &e); err != nil {
		t.Fatal(err)
	}
	before := cc.total()
	var ue *repository.UpdateError
	if _, err := repo.Update(ctx, e.ID, repository.Set("nmae", "x")); !errors.As(err, &ue) || ue.Attribute != "nmae" {
		t.Errorf("Update of a misspelt attribute = %v; want *UpdateError naming it", err)
	}
	if _, err := repo.Update(ctx, e.ID, repository.Changes{}.SetPath("atrs.k", "x")); !errors.As(err, &ue) || ue.Attribute != "atrs" {
		t.Errorf("SetPath of a misspelt attribute = %v; want *UpdateError naming it", err)
	}
	if _, _, err := repo.Page(ctx, mapByKind.Partition("k"), "", repository.Limit(100000)); !errors.Is(err, repository.ErrInvalidValue) {
		t.Errorf("Page with Limit(100000) = %v; want ErrInvalidValue", err)
	}
	for _, err := range repo.Query(ctx, mapByKind.Partition("k"), repository.Limit(-1)) {
		if !errors.Is(err, repository.ErrInvalidValue) {
			t.Errorf("Query with Limit(-1) = %v; want ErrInvalidValue", err)
		}
	}
	if n := cc.total() - before; n != 0 {
		t.Errorf("%d requests sent; want none", n)
	}
	if _, err := repo.Update(ctx, e.ID, repository.Set("ttl", 12345).SetPath("attrs", map[string]string{})); err != nil {
		t.Errorf("Update of a declared attribute = %v", err)
	}
	if _, err := repo.Update(ctx, e.ID, repository.Changes{}.SetPath("attrs.anything", "x")); err != nil {
		t.Errorf("SetPath inside a map attribute = %v", err)
	}
}
