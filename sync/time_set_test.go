package sync_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	tssync "github.com/tablestakes/tablestakes/sync"
)

// TestCreationTimeUnits reads ApproximateCreationDateTime given in seconds,
// fractional seconds and milliseconds (records that came through Kinesis
// Data Streams), from the Streams API and from Lambda events.
func TestCreationTimeUnits(t *testing.T) {
	want := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		json string // the number in a Lambda event
		sdk  time.Time
		want time.Time
	}{
		{"seconds", "1795600800", time.Unix(1795600800, 0), want},
		{"fractional seconds", "1795600800.25", time.Unix(1795600800, 250_000_000), want.Add(250 * time.Millisecond)},
		{"milliseconds", "1795600800250", time.Unix(1795600800250, 0), want.Add(250 * time.Millisecond)},
		{"microseconds", "1795600800250000", time.Unix(1795600800250000, 0), want.Add(250 * time.Millisecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tssync.FromStreamRecord("companies", streamtypes.Record{
				EventID: aws.String("x"), EventName: streamtypes.OperationTypeInsert,
				Dynamodb: &streamtypes.StreamRecord{
					SequenceNumber: aws.String("5"), ApproximateCreationDateTime: aws.Time(tc.sdk),
					Keys: map[string]streamtypes.AttributeValue{"pk": &streamtypes.AttributeValueMemberS{Value: "A"}},
				},
			})
			require.NoError(t, err)
			if !c.Time.Equal(tc.want) {
				t.Errorf("FromStreamRecord(time %s).Time = %v; want %v", tc.json, c.Time, tc.want)
			}
			_, err = c.MarshalJSON()
			require.NoError(t, err, "the change encodes")

			var ev events.DynamoDBEvent
			body := strings.Replace(lambdaEvent, `"ApproximateCreationDateTime":1795600000`, `"ApproximateCreationDateTime":`+tc.json, 1)
			require.NotEqual(t, lambdaEvent, body)
			require.NoError(t, json.Unmarshal([]byte(body), &ev))
			c, err = tssync.FromLambdaRecord(ev.Records[0])
			require.NoError(t, err)
			if d := c.Time.Sub(tc.want).Abs(); d > time.Millisecond {
				t.Errorf("FromLambdaRecord(time %s).Time = %v; want %v", tc.json, c.Time, tc.want)
			}
			_, err = c.MarshalJSON()
			require.NoError(t, err, "the change encodes")
		})
	}
}

// TestChangedIgnoresSetOrder: sets are unordered, at any depth.
func TestChangedIgnoresSetOrder(t *testing.T) {
	ss := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
	ns := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }
	bs := func(v ...[]byte) types.AttributeValue { return &types.AttributeValueMemberBS{Value: v} }
	m := func(k string, v types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{k: v}}
	}
	for _, tc := range []struct {
		name     string
		old, new types.AttributeValue
		changed  bool
	}{
		{"string set reordered", ss("a", "b"), ss("b", "a"), false},
		{"number set reordered", ns("1", "2", "3"), ns("3", "1", "2"), false},
		{"binary set reordered", bs([]byte{1}, []byte{2}), bs([]byte{2}, []byte{1}), false},
		{"set in a map reordered", m("tags", ss("a", "b")), m("tags", ss("b", "a")), false},
		{"set in a list reordered", &types.AttributeValueMemberL{Value: []types.AttributeValue{ss("a", "b")}},
			&types.AttributeValueMemberL{Value: []types.AttributeValue{ss("b", "a")}}, false},
		{"string set grown", ss("a", "b"), ss("a", "b", "c"), true},
		{"string set changed", ss("a", "b"), ss("a", "c"), true},
		{"list reordered", &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), s("b")}},
			&types.AttributeValueMemberL{Value: []types.AttributeValue{s("b"), s("a")}}, true},
		{"set to string", ss("a"), s("a"), true},
	} {
		c := tssync.Change{Event: tssync.Modify,
			Old: map[string]types.AttributeValue{"tags": tc.old}, New: map[string]types.AttributeValue{"tags": tc.new}}
		if got := c.Changed("tags"); got != tc.changed {
			t.Errorf("%s: Changed(%q) = %v; want %v", tc.name, "tags", got, tc.changed)
		}
	}
}
