package sync_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
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
// of the copy returned (from then on a consistent read sees it), through
// DynamoDB Local's stream, a StreamReader, SNS and SQS (fauxqs). It runs
// only when TABLESTAKES_PROPAGATION is set, to the number of changes
// (at least 1,000 is meaningful), and logs p50, p99 and changes/s:
//
//	TABLESTAKES_PROPAGATION=1000 go test -run TestPropagation -v -count=1 ./sync/
//
// Writers: 4, each renaming its own companies in turn (a create, then
// renames); every change renames, so every change is published and applied.
func TestPropagation(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TABLESTAKES_PROPAGATION"))
	if n <= 0 {
		t.Skip("set TABLESTAKES_PROPAGATION=<changes> (e.g. 1000) to measure propagation")
	}
	const writers, perCompany = 4, 5
	f := newFixture(t)
	topics := ddbtest.Subscribe(t, ddbtest.SNS(t), ddbtest.SQS(t), "propagation")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		mu      stdsync.Mutex
		started = map[string]time.Time{} // "id/name" -> when its write began
		applied = map[string]time.Time{} // "id/name" -> when its copy was written
	)
	copier := f.copier()
	handler := tssync.HandlerFunc(func(ctx context.Context, c tssync.Change) error {
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
	})
	pub := tssync.NewPublisher(ddbtest.SNS(t), topics.TopicARN,
		tssync.WithAttributes("name"), tssync.WithCarried("id"), tssync.WithVersionAttribute("version"))
	var readerLogs logBuffer
	reader := tssync.NewStreamReader(ddbtest.Streams(t), f.streamARN, tssync.WithPollInterval(50*time.Millisecond), tssync.WithReaderLogger(readerLogs.logger()))
	var logs logBuffer
	sub := tssync.NewSubscriber(handler, tssync.FromTopics(topics.TopicARN), tssync.FromTables(f.companies.Table().Name),
		tssync.WithSubscriberLogger(logs.logger()))
	var loops stdsync.WaitGroup
	loops.Go(func() { _ = pub.PublishStream(ctx, reader) })
	for range 2 {
		loops.Go(func() { _ = sub.Receive(ctx, ddbtest.SQS(t), topics.QueueURL, tssync.WithWaitTime(time.Second)) })
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
	total := 0
	mu.Lock()
	total = len(started)
	mu.Unlock()

	deadline := time.Now().Add(5 * time.Minute)
	for {
		mu.Lock()
		done := len(applied)
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
	var lat []time.Duration
	last := begin
	for k, t0 := range started {
		at, ok := applied[k]
		if !ok {
			t.Fatalf("change %s never applied", k)
		}
		lat = append(lat, at.Sub(t0))
		if at.After(last) {
			last = at
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	elapsed := last.Sub(begin)
	t.Logf("propagation of %d changes (%d writers, %d changes per company; StreamReader polling every 50ms, 2 Receive loops long-polling):", len(lat), writers, perCompany)
	t.Logf("  source write -> copy written: p50 %v, p90 %v, p99 %v, max %v", pct(0.50).Round(time.Millisecond), pct(0.90).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	t.Logf("  throughput: %.0f changes/s end to end (%v from the first write to the last copy; writes took %v)", float64(len(lat))/elapsed.Seconds(), elapsed.Round(time.Millisecond), wrote.Round(time.Millisecond))
	t.Logf("  subscriber counts: %+v", sub.Counts())
	if os.Getenv("TABLESTAKES_PROPAGATION_DEBUG") != "" {
		t.Logf("reader log:\n%s", readerLogs.String())
		type ev struct {
			key    string
			t0, at time.Time
		}
		var evs []ev
		for k, t0 := range started {
			evs = append(evs, ev{k, t0, applied[k]})
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
