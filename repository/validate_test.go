package repository_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
)

// noClient is a client that must not be called: plans send nothing.
type noClient struct{ repository.Client }

type fuzzItem struct {
	ID    string             `dynamodbav:"id"`
	Kind  string             `dynamodbav:"kind"`
	At    time.Time          `dynamodbav:"at"`
	Note  string             `dynamodbav:"note,omitempty"`
	Tags  []string           `dynamodbav:"tags"`
	Score float64            `dynamodbav:"score"`
	Count int64              `dynamodbav:"count"`
	Big   *bigNumber         `dynamodbav:"big,omitempty"`
	Attrs map[string]float64 `dynamodbav:"attrs,omitempty"`
}

// FuzzValuesRoundTripOrAreRefused encodes generated items as Put would
// (through the in-process codec, without a request) and checks that each
// is either refused with ErrInvalidValue, ErrItemTooLarge or an index key
// limit, or decodes back to exactly the item given. Run it for five
// minutes with
//
//	go test -run '^$' -fuzz FuzzValuesRoundTripOrAreRefused -fuzztime 5m ./repository/
//
// plain go test runs its seed corpus.
func FuzzValuesRoundTripOrAreRefused(f *testing.F) {
	table := index.Table{Name: "fuzz", PartitionKey: index.S("pk"),
		Indexes: []index.Index{{Name: "by-kind", PartitionKey: index.S("kind"), SortKey: index.S("at")}}}
	repo, err := repository.New[fuzzItem](noClient{}, table, repository.WithKeys("F#{id}", ""))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("kind", "note", "tag", "key", 1.5, int64(7), int64(1714557605), int64(5), "12")
	f.Add("k", "\xff", "", "", math.NaN(), int64(0), int64(0), int64(0), "")
	f.Add("", "日本", "\xc3", "\x00", math.Inf(-1), int64(math.MinInt64), int64(-62135596800), int64(999999999), "1e126")
	f.Add("x", "", "a", "b", 1e-200, int64(math.MaxInt64), int64(253402300800), int64(1), "123456789012345678901234567890123456789")
	f.Fuzz(func(t *testing.T, kind, note, tag, key string, score float64, count, sec, nsec int64, big string) {
		in := fuzzItem{ID: "0190c7d2-5c1e-7cc3-9a6e-1f0a6d3f2b11", Kind: kind, Note: note, Score: score, Count: count,
			At: time.Unix(sec, nsec%1e9).In(time.FixedZone("F", int(count%50400))), Tags: []string{tag}}
		if key != "" {
			in.Attrs = map[string]float64{key: score}
		}
		if big != "" {
			b := bigNumber(big)
			in.Big = &b
		}
		w, err := repo.PlanPut(context.Background(), &in)
		if err != nil {
			if !errors.Is(err, repository.ErrInvalidValue) && !errors.Is(err, repository.ErrItemTooLarge) {
				t.Fatalf("PlanPut(%+v) = %v; want a value error", in, err)
			}
			return
		}
		out, err := repo.Decode(w.Item())
		if err != nil {
			t.Fatalf("Decode(%v) = %v", w.Item(), err)
		}
		if !out.At.Equal(in.At) {
			t.Errorf("At = %v; want %v", out.At, in.At)
		}
		out.At, in.At = time.Time{}, time.Time{}
		if !reflect.DeepEqual(out, in) {
			t.Errorf("decoded %+v; want %+v", out, in)
		}
	})
}
