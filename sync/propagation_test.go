package sync_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/tablestakes/tablestakes/ddbtest"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// TestPropagation measures the whole sync path on the local servers: an
// owner's write (its start) to the moment the Copier's conditional update
// of the copy with it or a later change of the item returned (from then on
// a consistent read sees it, or newer), through
// DynamoDB Local's stream, a StreamReader, SNS and SQS (fauxqs). It runs
// only when TABLESTAKES_PROPAGATION is set, to the number of changes
// (at least 1,000 is meaningful), and logs p50, p99 and changes/s, and
// the lag split in two: the owner's write to the reader handing the change
// over (DynamoDB Local's stream and the reader's poll), to SNS accepting
// it, to the subscriber beginning to apply it (SNS to SQS, and the wait in
// the queue), to the copy written:
//
//	TABLESTAKES_PROPAGATION=1000 go test -run TestPropagation -v -count=1 ./sync/
//
// Writers: 4, each renaming its own companies in turn (a create, then
// renames); every change renames, so every change is published and applied.
// They write as fast as they can (a burst), or, with
// TABLESTAKES_PROPAGATION_PACE set to a duration (e.g. 200ms), each waits
// that long after each write (paced changes: the lag of a change that
// finds the path idle). With TABLESTAKES_PROPAGATION_BACKLOG set, the
// reader and subscribers start only once every change is written, and the
// test logs how fast they drain the backlog: the sync path's throughput,
// whatever the writers' pace.
func TestPropagation(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TABLESTAKES_PROPAGATION"))
	if n <= 0 {
		t.Skip("set TABLESTAKES_PROPAGATION=<changes> (e.g. 1000) to measure propagation")
	}
	backlog := os.Getenv("TABLESTAKES_PROPAGATION_BACKLOG") != ""
	var pace time.Duration
	if v := os.Getenv("TABLESTAKES_PROPAGATION_PACE"); v != "" {
		var err error
		pace, err = time.ParseDuration(v)
		require.NoError(t, err, "TABLESTAKES_PROPAGATION_PACE")
	}
	const writers, perCompany = 4, 5
	f := newFixture(t)
	topics := ddbtest.Subscribe(t, ddbtest.SNS(t), ddbtest.SQS(t), "propagation")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		mu      stdsync.Mutex
		started = map[string]time.Time{} // "id/name" -> when its write began
		handed  = map[string]time.Time{} // "id/name" -> when the reader handed it over
		sent    = map[string]time.Time{} // "id/name" -> when SNS accepted it
		began   = map[string]time.Time{} // "id/name" -> when the subscriber began to apply it
		applied = map[string]time.Time{} // "id/name" -> when its copy was written
	)
	copier := f.copier()
	handler := timedCopier{copier: copier, apply: func(ctx context.Context, c tssync.Change) error {
		if id, _ := c.New["id"].(*types.AttributeValueMemberS); id != nil {
			if name, _ := c.New["name"].(*types.AttributeValueMemberS); name != nil {
				mu.Lock()
				if key := id.Value + "/" + name.Value; began[key].IsZero() {
					began[key] = time.Now()
				}
				mu.Unlock()
			}
		}
		if err := copier.Apply(ctx, c); err != nil {
			return err
		}
		if c.Event != tssync.Remove {
			id, _ := c.New["id"].(*types.AttributeValueMemberS)
			name, _ := c.New["name"].(*types.AttributeValueMemberS)
			if id != nil && name != nil {
				mu.Lock()
				key := id.Value + "/" + name.Value
				if _, ok := applied[key]; !ok {
					applied[key] = time.Now()
				}
				mu.Unlock()
			}
		}
		return nil
	}}
	pub := tssync.NewPublisher(ddbtest.SNS(t), topics.TopicARN,
		tssync.WithAttributes("name"), tssync.WithCarried("id"), tssync.WithVersionAttribute("version"))
	var readerLogs logBuffer
	reader := tssync.NewStreamReader(ddbtest.Streams(t), f.streamARN, tssync.WithPollInterval(50*time.Millisecond), tssync.WithReaderLogger(readerLogs.logger()))
	var logs logBuffer
	sub := tssync.NewSubscriber(handler, tssync.FromTopics(topics.TopicARN), tssync.FromTables(f.companies.Table().Name),
		tssync.WithSubscriberLogger(logs.logger()))
	var loops stdsync.WaitGroup
	var pathStarted time.Time
	startPath := func() {
		pathStarted = time.Now()
		loops.Go(func() {
			_ = reader.Read(ctx, func(ctx context.Context, cs []tssync.Change) error {
				now := time.Now()
				mu.Lock()
				for _, c := range cs {
					id, _ := c.New["id"].(*types.AttributeValueMemberS)
					name, _ := c.New["name"].(*types.AttributeValueMemberS)
					if id != nil && name != nil {
						if key := id.Value + "/" + name.Value; handed[key].IsZero() {
							handed[key] = now
						}
					}
				}
				mu.Unlock()
				err := pub.Publish(ctx, cs...)
				now = time.Now()
				mu.Lock()
				for _, c := range cs {
					id, _ := c.New["id"].(*types.AttributeValueMemberS)
					name, _ := c.New["name"].(*types.AttributeValueMemberS)
					if id != nil && name != nil {
						if key := id.Value + "/" + name.Value; sent[key].IsZero() {
							sent[key] = now
						}
					}
				}
				mu.Unlock()
				return err
			})
		})
		for range 2 {
			loops.Go(func() { _ = sub.Receive(ctx, ddbtest.SQS(t), topics.QueueURL, tssync.WithWaitTime(time.Second)) })
		}
	}
	if !backlog {
		startPath()
	}
	defer loops.Wait()
	defer cancel()

	begin := time.Now()
	var writes stdsync.WaitGroup
	errs := make(chan error, writers)
	companies := (n + perCompany - 1) / perCompany
	for w := range writers {
		writes.Go(func() {
			for k := w; k < companies; k += writers {
				changes := min(perCompany, n-k*perCompany)
				c := Company{Name: fmt.Sprintf("c%d-v1", k)}
				t0 := time.Now()
				if err := f.companies.Create(ctx, &c); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				started[c.ID+"/"+c.Name] = t0
				mu.Unlock()
				for v := 2; v <= changes; v++ {
					time.Sleep(pace)
					name := fmt.Sprintf("c%d-v%d", k, v)
					mu.Lock()
					started[c.ID+"/"+name] = time.Now()
					mu.Unlock()
					got, err := f.companies.Update(ctx, c.ID, repository.Set("name", name), repository.IfVersion(c.Version))
					if err != nil {
						errs <- err
						return
					}
					c = got
				}
			}
		})
	}
	writes.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	wrote := time.Since(begin)
	if backlog {
		startPath()
	}
	total := 0
	mu.Lock()
	total = len(started)
	mu.Unlock()

	// A change is in the copy once it, or a later change of its company,
	// was applied: the subscriber applies only the latest of the changes
	// of an item it holds at once (the Copier is a Superseder).
	inCopy := func(key string) (time.Time, bool) {
		id, name, _ := strings.Cut(key, "/")
		prefix, v, _ := strings.Cut(name, "-v")
		from, _ := strconv.Atoi(v)
		var first time.Time
		for w := from; w <= perCompany; w++ {
			if at, ok := applied[fmt.Sprintf("%s/%s-v%d", id, prefix, w)]; ok && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
		return first, !first.IsZero()
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		mu.Lock()
		done := 0
		for k := range started {
			if _, ok := inCopy(k); ok {
				done++
			}
		}
		mu.Unlock()
		if done >= total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d changes applied after 5 minutes", done, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var lat, toReader, publishing, delivering, applying []time.Duration
	last := begin
	for k, t0 := range started {
		at, ok := inCopy(k)
		if !ok {
			t.Fatalf("change %s never in the copy", k)
		}
		lat = append(lat, at.Sub(t0))
		if _, self := applied[k]; !self {
			continue // superseded: no stages of its own
		}
		if h, ok := handed[k]; ok {
			toReader = append(toReader, h.Sub(t0))
			publishing = append(publishing, sent[k].Sub(h))
			delivering = append(delivering, began[k].Sub(sent[k]))
			applying = append(applying, at.Sub(began[k]))
		}
		if at.After(last) {
			last = at
		}
	}
	slices.Sort(lat)
	for _, d := range [][]time.Duration{toReader, publishing, delivering, applying} {
		slices.Sort(d)
	}
	pctOf := func(d []time.Duration, p float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[min(len(d)-1, int(p*float64(len(d))))].Round(time.Millisecond)
	}
	pct := func(p float64) time.Duration { return pctOf(lat, p) }
	elapsed := last.Sub(begin)
	mode := "a burst"
	switch {
	case backlog:
		mode = "a backlog: written before the path started"
	case pace > 0:
		mode = fmt.Sprintf("paced: each writer waits %v after each write", pace)
	}
	t.Logf("propagation of %d changes (%d writers, %d changes per company, %s; StreamReader polling every 50ms, 2 Receive loops long-polling):", len(lat), writers, perCompany, mode)
	t.Logf("  source write -> copy written: p50 %v, p90 %v, p99 %v, max %v", pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1].Round(time.Millisecond))
	t.Logf("  by stage, p50/p99: write -> reader hands it over %v/%v; -> SNS accepted %v/%v; -> subscriber begins %v/%v; -> copy written %v/%v",
		pctOf(toReader, 0.5), pctOf(toReader, 0.99), pctOf(publishing, 0.5), pctOf(publishing, 0.99),
		pctOf(delivering, 0.5), pctOf(delivering, 0.99), pctOf(applying, 0.5), pctOf(applying, 0.99))
	t.Logf("  throughput: %.0f changes/s end to end (%v from the first write to the last copy; writes took %v)", float64(len(lat))/elapsed.Seconds(), elapsed.Round(time.Millisecond), wrote.Round(time.Millisecond))
	if backlog {
		drained := last.Sub(pathStarted)
		t.Logf("  backlog drained: %.0f changes/s (%v from the start of the reader and subscribers to the last copy)", float64(len(lat))/drained.Seconds(), drained.Round(time.Millisecond))
	}
	t.Logf("  subscriber counts: %+v", sub.Counts())
	if os.Getenv("TABLESTAKES_PROPAGATION_DEBUG") != "" {
		t.Logf("reader log:\n%s", readerLogs.String())
		type ev struct {
			key    string
			t0, at time.Time
		}
		var evs []ev
		for k, t0 := range started {
			at, _ := inCopy(k)
			evs = append(evs, ev{k, t0, at})
		}
		slices.SortFunc(evs, func(a, b ev) int { return a.t0.Compare(b.t0) })
		for _, e := range evs {
			if e.at.Sub(e.t0) > 5*time.Second {
				t.Logf("late: %s written %v applied %v", e.key, e.t0.Sub(begin).Round(time.Millisecond), e.at.Sub(begin).Round(time.Millisecond))
			}
		}
	}
	if w := logs.warnings(); len(w) > 0 {
		t.Logf("  %d messages failed once and were delivered again after their visibility timeout; the first: %s", len(w), w[0])
	}
	if c := sub.Counts(); c.Untrusted+c.Refused+c.Foreign > 0 {
		t.Errorf("counts %+v; want only applied", c)
	}
}

// timedCopier applies changes with apply and supersedes as copier does.
type timedCopier struct {
	copier *tssync.Copier[Stats]
	apply  func(ctx context.Context, c tssync.Change) error
}

func (tc timedCopier) Apply(ctx context.Context, c tssync.Change) error { return tc.apply(ctx, c) }

func (tc timedCopier) Supersedes(later, earlier tssync.Change) bool {
	return tc.copier.Supersedes(later, earlier)
}
