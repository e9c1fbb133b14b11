package sync_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	stdsync "sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/awsfake"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// ownerChange is change v of owner item id in table "companies": event ev,
// with the old and new images given as attribute → value ("" leaves the
// attribute out; a nil map, no image).
func ownerChange(ev tssync.Event, id string, v int64, old, new map[string]string) tssync.Change {
	img := func(m map[string]string) map[string]types.AttributeValue {
		if m == nil {
			return nil
		}
		out := map[string]types.AttributeValue{"pk": s("C#" + id), "id": s(id)}
		for k, val := range m {
			if val != "" {
				out[k] = s(val)
			}
		}
		return out
	}
	return tssync.Change{
		EventID: fmt.Sprintf("%s-v%d", id, v), Event: ev, Table: "companies", Version: v,
		Sequence: fmt.Sprint(1000 + v), Keys: map[string]types.AttributeValue{"pk": s("C#" + id)},
		Old: img(old), New: img(new),
	}
}

type attrs = map[string]string

// TestCopierSupersedes: which later change of an item stands in for an
// earlier one, for a Copier of two attributes.
func TestCopierSupersedes(t *testing.T) {
	t.Parallel()
	cp := &tssync.Copier[Stats]{Attributes: map[string]string{"name": "companyName", "city": "city"}}
	named := func(v int64, name string) tssync.Change {
		return ownerChange(tssync.Modify, "a", v, attrs{"name": "old", "city": "Oslo"}, attrs{"name": name, "city": "Oslo"})
	}
	claimed := named(3, "n3")
	claimed.Claim = &tssync.Claim{Bucket: "b", Key: "k"}
	otherTable := named(3, "n3")
	otherTable.Table = "elsewhere"
	impossible := named(3, "n3")
	impossible.Version = tssync.MaxVersion + 1
	movedID := named(3, "n3")
	movedID.New["id"] = s("b")
	for _, tc := range []struct {
		name           string
		later, earlier tssync.Change
		want           bool
	}{
		{"a later rename, the same attributes", named(3, "n3"), named(2, "n2"), true},
		{"an insert, then a rename", named(2, "n2"), ownerChange(tssync.Insert, "a", 1, nil, attrs{"name": "n1", "city": "Oslo"}), true},
		{"not later", named(2, "n2"), named(3, "n3"), false},
		{"the same change twice", named(2, "n2"), named(2, "n2"), false},
		{"a later remove", ownerChange(tssync.Remove, "a", 3, attrs{"name": "n2"}, nil), named(2, "n2"), false},
		{"an earlier remove", named(3, "n3"), ownerChange(tssync.Remove, "a", 2, attrs{"name": "n1"}, nil), false},
		{"later changes no copied attribute",
			ownerChange(tssync.Modify, "a", 3, attrs{"name": "n2", "city": "Oslo", "employees": "1"}, attrs{"name": "n2", "city": "Oslo", "employees": "2"}),
			named(2, "n2"), false},
		{"earlier changes no copied attribute", named(3, "n3"),
			ownerChange(tssync.Modify, "a", 2, attrs{"name": "old", "city": "Oslo", "employees": "1"}, attrs{"name": "old", "city": "Oslo", "employees": "2"}), true},
		{"later without city: the owner removed it",
			ownerChange(tssync.Modify, "a", 3, attrs{"name": "n2"}, attrs{"name": "n3"}), named(2, "n2"), true},
		{"later without a new image (KEYS_ONLY)",
			ownerChange(tssync.Modify, "a", 3, nil, nil), named(2, "n2"), false},
		{"later removes the attribute earlier sets",
			ownerChange(tssync.Modify, "a", 3, attrs{"name": "n2", "city": "Oslo"}, attrs{"name": "n2"}),
			ownerChange(tssync.Modify, "a", 2, attrs{"name": "n1", "city": "Rome"}, attrs{"name": "n1", "city": "Oslo"}), true},
		{"another copy: the id attribute changed", movedID, named(2, "n2"), false},
		{"another table", otherTable, named(2, "n2"), false},
		{"later stored in S3", claimed, named(2, "n2"), false},
		{"later of an impossible order", impossible, named(2, "n2"), false},
		{"not this copier's item (no copied attribute, no id)",
			tssync.Change{Event: tssync.Modify, Table: "companies", Version: 3, New: map[string]types.AttributeValue{"x": s("1")}},
			tssync.Change{Event: tssync.Modify, Table: "companies", Version: 2, New: map[string]types.AttributeValue{"x": s("0")}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, cp.Supersedes(tc.later, tc.earlier))
		})
	}
	only := &tssync.Copier[Stats]{Table: "elsewhere", Attributes: map[string]string{"name": "companyName"}}
	require.True(t, only.Supersedes(named(3, "n3"), named(2, "n2")), "a copier of another table skips both")
	creating := &tssync.Copier[Stats]{
		Attributes: map[string]string{"name": "companyName", "city": "city"},
		Create:     func(context.Context, tssync.Change) (*Stats, error) { return &Stats{}, nil },
	}
	require.False(t, creating.Supersedes(named(2, "n2"), ownerChange(tssync.Insert, "a", 1, nil, attrs{"name": "n1", "city": "Oslo"})),
		"an Insert Create builds the copy from")
	require.True(t, creating.Supersedes(named(3, "n3"), named(2, "n2")))
}

// versionLog is a Superseder that records the versions it applied per
// item, failing those fail reports.
type versionLog struct {
	mu      stdsync.Mutex
	applied map[string][]int64
	delay   time.Duration
	fail    func(tssync.Change) bool
}

func (l *versionLog) Apply(_ context.Context, c tssync.Change) error {
	time.Sleep(l.delay)
	if l.fail != nil && l.fail(c) {
		return errors.New("refused by the test")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.applied == nil {
		l.applied = map[string][]int64{}
	}
	id := c.Keys["pk"].(*types.AttributeValueMemberS).Value
	l.applied[id] = append(l.applied[id], c.Version)
	return nil
}

func (l *versionLog) Supersedes(later, earlier tssync.Change) bool {
	return later.Version > earlier.Version
}

func (l *versionLog) versions(id string) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.applied["C#"+id]...)
}

func sqsEvent(t *testing.T, cs []tssync.Change) events.SQSEvent {
	var ev events.SQSEvent
	for _, c := range cs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: c.EventID, Body: body(t, c)})
	}
	return ev
}

// TestSubscriberSupersedes: of an event's changes of one item, a Subscriber
// whose handlers are all Superseders applies only the latest; a superseded
// change fails with the change that superseded it; one handler that is not
// a Superseder, or a change stored in S3, has every change applied.
func TestSubscriberSupersedes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cs := interleaved([]string{"a", "b"}, 3) // a-v1, b-v1, a-v2, b-v2, a-v3, b-v3
	cs = append(cs, itemChange("c", 1))

	log := &versionLog{}
	sub := tssync.NewSubscriber(log)
	resp, err := sub.HandleSQSEvent(ctx, sqsEvent(t, cs))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []int64{3}, log.versions("a"))
	require.Equal(t, []int64{3}, log.versions("b"))
	require.Equal(t, []int64{1}, log.versions("c"))
	require.Equal(t, tssync.Counts{Applied: 3, Superseded: 4}, sub.Counts())

	// The latest change of a fails: so do the two it superseded.
	failing := &versionLog{fail: func(c tssync.Change) bool { return c.EventID == "a-v3" }}
	sub = tssync.NewSubscriber(failing)
	resp, err = sub.HandleSQSEvent(ctx, sqsEvent(t, cs))
	require.NoError(t, err)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	require.Equal(t, []string{"a-v1", "a-v2", "a-v3"}, failed)
	require.Equal(t, tssync.Counts{Applied: 2, Superseded: 2}, sub.Counts())

	// A handler that is not a Superseder: every change applied, in order.
	plain := newApplyLog()
	log = &versionLog{}
	sub = tssync.NewSubscriber(log)
	sub.Handlers = append(sub.Handlers, plain.handler(0, nil))
	resp, err = sub.HandleSQSEvent(ctx, sqsEvent(t, cs))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, []int64{1, 2, 3}, log.versions("a"))
	require.Equal(t, []int64{1, 2, 3}, plain.versions["C#a"])
	require.Equal(t, tssync.Counts{Applied: 7}, sub.Counts())
}

// TestReceiveSupersedes: Receive applies, of the changes of an item that
// arrived while its previous change was applied, only the latest; every
// message is deleted, each item's last change is applied, and its changes
// are applied in order.
func TestReceiveSupersedes(t *testing.T) {
	t.Parallel()
	queue := &awsfake.SQS{}
	url := queue.CreateQueue("stats")
	items := []string{"a", "b", "c"}
	const perItem = 20
	cs := interleaved(items, perItem)
	for _, c := range cs {
		queue.Send(url, body(t, c))
	}
	log := &versionLog{delay: 20 * time.Millisecond}
	sub := tssync.NewSubscriber(log, tssync.WithSubscriberConcurrency(2))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sub.Receive(ctx, queue, url, tssync.WithWaitTime(0)) }()
	eventually(t, "every message handled and deleted", func() (bool, string) {
		c := sub.Counts()
		return queue.Len(url) == 0 && c.Applied+c.Superseded == uint64(len(cs)), fmt.Sprintf("%d messages left; counts %+v", queue.Len(url), c)
	})
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	c := sub.Counts()
	require.Positive(t, c.Superseded, "no change superseded: %+v", c)
	for _, id := range items {
		vs := log.versions(id)
		require.NotEmpty(t, vs, id)
		require.Equal(t, int64(perItem), vs[len(vs)-1], "item %s: its last change applied", id)
		require.IsIncreasing(t, vs, "item %s: applied in order", id)
	}
	t.Logf("%d changes: %+v", len(cs), c)
}

// TestCopierSupersessionOverTheWire: random changes of a few owner items —
// inserts, renames, moves, attributes removed, removes and re-creates —
// delivered in a shuffled order, in one Lambda event, to a subscriber
// whose Copier supersedes, end with the same copies in DynamoDB Local as
// applying every change one at a time in that order.
func TestCopierSupersessionOverTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := ddbtest.DynamoDB(t)
	type target struct {
		ID        string `dynamodbav:"id"`
		Name      string `dynamodbav:"name,omitempty"`
		City      string `dynamodbav:"city,omitempty"`
		SyncOrder string `dynamodbav:"syncOrder"`
		Version   int64  `dynamodbav:"version"`
	}
	copierOn := func(client repository.Client) *tssync.Copier[target] {
		tbl := ddbtest.Table(t, db, index.Table{Name: "copies", PartitionKey: index.S("pk"), TTL: "expiresAt"})
		repo, err := repository.New[target](client, tbl, repository.WithKeys("COPY#{id}", ""), repository.WithVersion("version"))
		require.NoError(t, err)
		return &tssync.Copier[target]{
			Repo: repo, Attributes: map[string]string{"name": "name", "city": "city"}, DeleteOnRemove: true,
			Create: func(_ context.Context, c tssync.Change) (*target, error) {
				return &target{ID: c.Image()["id"].(*types.AttributeValueMemberS).Value}, nil
			},
		}
	}
	copier := func() *tssync.Copier[target] { return copierOn(db) }
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 20261130))
	var cs []tssync.Change
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	names, cities := []string{"", "Acme", "Initech", "Globex"}, []string{"", "Oslo", "Rome"}
	for _, id := range ids {
		var cur attrs // nil: the owner item does not exist
		for v := int64(1); v <= 16; v++ {
			switch {
			case cur == nil:
				cur = attrs{"name": names[1+rng.IntN(3)], "city": cities[rng.IntN(3)]}
				cs = append(cs, ownerChange(tssync.Insert, id, v, nil, cur))
			case rng.IntN(6) == 0:
				cs = append(cs, ownerChange(tssync.Remove, id, v, cur, nil))
				cur = nil
			default:
				next := attrs{"name": names[rng.IntN(4)], "city": cities[rng.IntN(3)], "employees": fmt.Sprint(rng.IntN(3))}
				cs = append(cs, ownerChange(tssync.Modify, id, v, cur, next))
				cur = next
			}
		}
	}
	rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })

	one := copier()
	for _, c := range cs {
		require.NoError(t, one.Apply(ctx, c), c.EventID)
	}
	many := copier()
	sub := tssync.NewSubscriber(many)
	resp, err := sub.HandleSQSEvent(ctx, sqsEvent(t, cs))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	counts := sub.Counts()
	require.Positive(t, counts.Superseded)
	require.Equal(t, uint64(len(cs)), counts.Applied+counts.Superseded)
	for _, id := range ids {
		// The owner item as of its last change.
		var last tssync.Change
		for _, c := range cs {
			if c.Keys["pk"].(*types.AttributeValueMemberS).Value == "C#"+id && c.Version > last.Version {
				last = c
			}
		}
		truth, err := many.Repo.Get(ctx, id, repository.ConsistentRead())
		if last.Event == tssync.Remove {
			require.ErrorIs(t, err, repository.ErrNotFound, "copy of %s, removed", id)
		} else {
			require.NoError(t, err, "copy of %s", id)
			str := func(a string) string {
				v, _ := last.New[a].(*types.AttributeValueMemberS)
				if v == nil {
					return ""
				}
				return v.Value
			}
			// The marker is the last change's that changed a copied
			// attribute: one that changed none is skipped.
			require.Equal(t, target{ID: id, Name: str("name"), City: str("city"), SyncOrder: truth.SyncOrder, Version: truth.Version}, truth,
				"copy of %s: the owner's as of its last change", id)
		}
		want, wantErr := one.Repo.Get(ctx, id, repository.ConsistentRead())
		got, gotErr := many.Repo.Get(ctx, id, repository.ConsistentRead())
		require.Equal(t, wantErr != nil, gotErr != nil, "copy of %s: %v / %v", id, wantErr, gotErr)
		if wantErr != nil {
			require.ErrorIs(t, gotErr, repository.ErrNotFound)
			continue
		}
		want.Version, got.Version = 0, 0 // incremented once per change applied
		if !assert.Equal(t, want, got, "copy of %s", id) {
			for _, c := range cs {
				if c.Keys["pk"].(*types.AttributeValueMemberS).Value == "C#"+id {
					str := func(m map[string]types.AttributeValue) string {
						return fmt.Sprintf("name=%v city=%v", m["name"], m["city"])
					}
					t.Logf("%s %s old: %s new: %s", c.EventID, c.Event, str(c.Old), str(c.New))
				}
			}
		}
	}
	t.Logf("%d changes: %+v", len(cs), counts)

	// The same event through a client that loses responses (the write
	// applied, its answer dropped, the SDK sending it again) and is
	// throttled; the changes that fail are delivered again, as SQS would,
	// until none fails. The copies end the same.
	faults := ddbtest.NewFaults(func(o *ddbtest.FaultOptions) {
		o.Seed = int64(seed)
		o.Rates = map[ddbtest.FaultKind]float64{ddbtest.LostResponse: 0.15, ddbtest.Throttling: 0.1, ddbtest.InternalServerError: 0.05}
	})
	faulty := copierOn(ddbtest.DynamoDBWithFaults(t, faults))
	sub = tssync.NewSubscriber(faulty)
	ev := sqsEvent(t, cs)
	for round := 0; len(ev.Records) > 0; round++ {
		require.Less(t, round, 20, "changes still failing after 20 deliveries")
		resp, err := sub.HandleSQSEvent(ctx, ev)
		require.NoError(t, err)
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		var again events.SQSEvent
		for _, r := range ev.Records {
			if failed[r.MessageId] {
				again.Records = append(again.Records, r)
			}
		}
		ev = again
	}
	require.Positive(t, faults.Count("", ddbtest.LostResponse), "no response lost")
	read, err := repository.New[target](db, faulty.Repo.Table(), repository.WithKeys("COPY#{id}", ""), repository.WithVersion("version"))
	require.NoError(t, err) // the copies read back without faults
	for _, id := range ids {
		want, wantErr := one.Repo.Get(ctx, id, repository.ConsistentRead())
		got, gotErr := read.Get(ctx, id, repository.ConsistentRead())
		require.Equal(t, wantErr != nil, gotErr != nil, "copy of %s through faults: %v / %v", id, wantErr, gotErr)
		if wantErr == nil {
			want.Version, got.Version = 0, 0
			require.Equal(t, want, got, "copy of %s through faults", id)
		}
	}
	t.Logf("through faults: %+v; %d lost responses, %d throttled, %d 500s", sub.Counts(),
		faults.Count("", ddbtest.LostResponse), faults.Count("", ddbtest.Throttling), faults.Count("", ddbtest.InternalServerError))
}

// TestCopierCreateGivenTheLatestChange: a Modify that finds no copy (its
// Insert carried no copied attribute, or the subscriber came after it) has
// Create build it from that change; when a later Modify supersedes it,
// Create is given the later one — as it would be were the earlier delivered
// late — and the copy holds the owner's item as of the later change.
func TestCopierCreateGivenTheLatestChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	cp := f.copier()
	var (
		mu    stdsync.Mutex
		given []string
	)
	cp.Create = func(_ context.Context, c tssync.Change) (*Stats, error) {
		mu.Lock()
		given = append(given, c.EventID)
		mu.Unlock()
		var co Company
		if err := c.Decode(&co); err != nil {
			return nil, err
		}
		return &Stats{ID: co.ID, Orders: co.Employees}, nil // seeded from the owner's item
	}
	id := uuid.NewString()
	m2 := ownerChange(tssync.Modify, id, 2, attrs{}, attrs{"name": "Acme"})
	m2.New["employees"] = n("7")
	m3 := ownerChange(tssync.Modify, id, 3, attrs{"name": "Acme"}, attrs{"name": "Acme Ltd"})
	m3.Old["employees"] = n("7")
	m3.New["employees"] = n("9")

	sub := tssync.NewSubscriber(cp)
	resp, err := sub.HandleSQSEvent(ctx, sqsEvent(t, []tssync.Change{m2, m3}))
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Equal(t, tssync.Counts{Applied: 1, Superseded: 1}, sub.Counts())
	require.Equal(t, []string{m3.EventID}, given, "Create is given the latest change")
	got, err := f.statsOf(id)
	require.NoError(t, err)
	require.Equal(t, "Acme Ltd", got.CompanyName)
	require.Equal(t, 9, got.Orders)
	require.Equal(t, m3.Order(), got.SyncOrder)
}

// TestSupersedingAcrossALateRemove: a Remove of the owner item's earlier
// life, delivered late, between two changes of its next life: applied one
// at a time, the first of them raises the copy's marker past the Remove,
// which is then skipped; superseded by the second, it leaves the marker
// where it was, and the Remove deletes the copy — with the subscriber's
// own attributes, and for good when the Copier has no Create.
func TestSupersedingAcrossALateRemove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	for _, create := range []bool{true, false} {
		t.Run(fmt.Sprintf("Create=%v", create), func(t *testing.T) {
			copier := func() *tssync.Copier[Stats] {
				cp := f.copier()
				if !create {
					cp.Create = nil
				}
				return cp
			}
			// The owner item's first life (v1, v2) is applied; its Remove
			// (v3) comes late, after the next life's changes v5 and v6
			// (its Insert, v4, later still).
			run := func(id string) []tssync.Change {
				return []tssync.Change{
					ownerChange(tssync.Modify, id, 5, attrs{"name": "Acme"}, attrs{"name": "Globex"}),
					ownerChange(tssync.Remove, id, 3, attrs{"name": "Initech"}, nil),
					ownerChange(tssync.Modify, id, 6, attrs{"name": "Globex"}, attrs{"name": "Globex Ltd"}),
				}
			}
			setUp := func(id string) {
				require.NoError(t, f.stats.Create(ctx, &Stats{ID: id, Orders: 3}))
				require.NoError(t, copier().Apply(ctx, ownerChange(tssync.Modify, id, 2, attrs{"name": "Acme"}, attrs{"name": "Initech"})))
			}

			one := uuid.NewString()
			setUp(one)
			cp := copier()
			for _, c := range run(one) {
				require.NoError(t, cp.Apply(ctx, c), c.EventID)
			}
			want, err := f.statsOf(one)
			require.NoError(t, err, "one at a time: v5 holds the copy past the late Remove")
			require.Equal(t, "Globex Ltd", want.CompanyName)
			require.Equal(t, 3, want.Orders)

			many := uuid.NewString()
			setUp(many)
			sub := tssync.NewSubscriber(copier())
			resp, err := sub.HandleSQSEvent(ctx, sqsEvent(t, run(many)))
			require.NoError(t, err)
			require.Empty(t, resp.BatchItemFailures)
			got, err := f.statsOf(many)
			require.NoError(t, err, "the copy, deleted by the late Remove; counts %+v", sub.Counts())
			require.Equal(t, "Globex Ltd", got.CompanyName)
			require.Equal(t, 3, got.Orders, "the subscriber's own attribute")
		})
	}
}
