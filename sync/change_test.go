package sync_test

import (
	"encoding/json"
	"errors"
	"slices"
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

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// everyType is an image holding each attribute value type.
func everyType() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":    s("COMPANY#1"),
		"s":     s("Ünïcode \"quoted\""),
		"n":     n("-12.5e3"),
		"b":     &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}},
		"bool":  &types.AttributeValueMemberBOOL{Value: true},
		"null":  &types.AttributeValueMemberNULL{Value: true},
		"l":     &types.AttributeValueMemberL{Value: []types.AttributeValue{s("a"), n("1")}},
		"m":     &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": s("y")}},
		"ss":    &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":    &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"bs":    &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
		"empty": s(""),
	}
}

func TestChangeJSONRoundTrip(t *testing.T) {
	in := tssync.Change{
		EventID: "e1", Event: tssync.Modify, Table: "companies", Sequence: "1200000000000000000001",
		Version: 7, Time: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Keys: map[string]types.AttributeValue{"pk": s("COMPANY#1")},
		Old:  map[string]types.AttributeValue{"pk": s("COMPANY#1"), "name": s("Acme")},
		New:  everyType(),
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	if !strings.Contains(string(b), `"format":"`+tssync.Format+`"`) || !strings.Contains(string(b), `"pk":{"S":"COMPANY#1"}`) {
		t.Errorf("JSON %s: want the format field and DynamoDB JSON images", b)
	}
	var out tssync.Change
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, in, out)

	// A Remove has no new image, and no "new" field.
	rm := tssync.Change{EventID: "e2", Event: tssync.Remove, Table: "t", Keys: in.Keys, Old: in.Old}
	b, err = json.Marshal(rm)
	require.NoError(t, err)
	if strings.Contains(string(b), `"new"`) {
		t.Errorf("Remove JSON %s has a new image", b)
	}
	out = tssync.Change{}
	require.NoError(t, json.Unmarshal(b, &out))
	require.Nil(t, out.New)
	require.Equal(t, rm.Old, out.Old)
}

func TestParseMessage(t *testing.T) {
	c := tssync.Change{EventID: "e1", Event: tssync.Insert, Table: "companies",
		Keys: map[string]types.AttributeValue{"pk": s("A")}, New: map[string]types.AttributeValue{"pk": s("A"), "name": s("Acme")}}
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	envelope, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "m1", "TopicArn": "arn:aws:sns:us-east-1:000000000000:changes",
		"Message": string(raw), "Timestamp": "2026-11-25T10:00:00.000Z",
	})
	require.NoError(t, err)

	for _, tc := range []struct {
		name    string
		body    string
		foreign bool
		bad     bool
	}{
		{name: "raw delivery", body: string(raw)},
		{name: "SNS envelope", body: string(envelope)},
		{name: "another format", body: `{"format":"orders/v2","id":1}`, foreign: true, bad: true},
		{name: "plain JSON", body: `{"hello":"world"}`, foreign: true, bad: true},
		{name: "not JSON", body: `hello`, foreign: true, bad: true},
		{name: "a change cut short", body: `{"format":"` + tssync.Format + `","event":"INSERT"`, bad: true},
		{name: "an object message", body: `{"type":"order.created","message":{"id":1}}`, foreign: true, bad: true},
		{name: "a number format", body: `{"format":2}`, foreign: true, bad: true},
		{name: "a JSON array", body: `[1,2]`, foreign: true, bad: true},
		{name: "bad event", body: `{"format":"` + tssync.Format + `","event":"TRUNCATE","keys":{}}`, bad: true},
		{name: "bad image", body: `{"format":"` + tssync.Format + `","event":"INSERT","keys":{"pk":{"Q":"x"}}}`, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tssync.ParseMessage(tc.body)
			if tc.bad {
				var me *tssync.MessageError
				if !errors.Is(err, tssync.ErrNotAChange) || !errors.As(err, &me) {
					t.Fatalf("ParseMessage = %v; want a *MessageError matching ErrNotAChange", err)
				}
				if me.Foreign != tc.foreign {
					t.Errorf("Foreign = %v; want %v (%v)", me.Foreign, tc.foreign, err)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, c, got)
		})
	}
}

func TestChanged(t *testing.T) {
	old := map[string]types.AttributeValue{"pk": s("A"), "name": s("Acme"), "tags": &types.AttributeValueMemberSS{Value: []string{"x"}}, "fax": s("1")}
	nw := map[string]types.AttributeValue{"pk": s("A"), "name": s("Acme Ltd"), "tags": &types.AttributeValueMemberSS{Value: []string{"x"}}, "web": s("a.example")}
	for _, tc := range []struct {
		c    tssync.Change
		attr string
		want bool
	}{
		{tssync.Change{Event: tssync.Modify, Old: old, New: nw}, "name", true},
		{tssync.Change{Event: tssync.Modify, Old: old, New: nw}, "tags", false},
		{tssync.Change{Event: tssync.Modify, Old: old, New: nw}, "fax", true}, // removed
		{tssync.Change{Event: tssync.Modify, Old: old, New: nw}, "web", true}, // added
		{tssync.Change{Event: tssync.Modify, Old: old, New: nw}, "other", false},
		{tssync.Change{Event: tssync.Modify, New: nw}, "tags", true}, // no old image: present counts
		{tssync.Change{Event: tssync.Insert, New: nw}, "name", true},
		{tssync.Change{Event: tssync.Insert, New: nw}, "fax", false},
		{tssync.Change{Event: tssync.Remove, Old: old}, "fax", true},
		{tssync.Change{Event: tssync.Remove, Old: old}, "web", false},
	} {
		if got := tc.c.Changed(tc.attr); got != tc.want {
			t.Errorf("%s Changed(%q) = %v; want %v", tc.c.Event, tc.attr, got, tc.want)
		}
	}
}

func TestOrder(t *testing.T) {
	// Each list is in the order the changes were made.
	for name, changes := range map[string][]tssync.Change{
		"versions": {
			{Event: tssync.Insert, Version: 1, Sequence: "900"},
			{Event: tssync.Modify, Version: 2, Sequence: "100"}, // the version decides, not the sequence
			{Event: tssync.Modify, Version: 10},
			{Event: tssync.Remove, Version: 10},
		},
		"sequences": {
			{Event: tssync.Insert, Sequence: "9"},
			{Event: tssync.Modify, Sequence: "10"}, // numeric, not lexical
			{Event: tssync.Modify, Sequence: "400000000000000000000001"},
			{Event: tssync.Remove, Sequence: "400000000000000000000002"},
		},
	} {
		orders := make([]string, len(changes))
		for i, c := range changes {
			orders[i] = c.Order()
		}
		if !slices.IsSorted(orders) || len(slices.Compact(slices.Clone(orders))) != len(orders) {
			t.Errorf("%s: orders %q are not strictly increasing", name, orders)
		}
	}
}

func TestTableFromARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:dynamodb:eu-west-1:123456789012:table/companies/stream/2026-11-25T00:00:00.000": "companies",
		"arn:aws:dynamodb:ddblocal:000000000000:table/my.table-1/stream/2026-11-25T00:00:00.000": "my.table-1",
		"arn:aws:dynamodb:eu-west-1:123456789012:table/companies":                                "companies",
		"arn:aws:sns:eu-west-1:123456789012:topic":                                               "",
		"": "",
	} {
		if got := tssync.TableFromARN(arn); got != want {
			t.Errorf("TableFromARN(%q) = %q; want %q", arn, got, want)
		}
	}
}

// lambdaEvent is a DynamoDB stream event as Lambda delivers it.
const lambdaEvent = `{"Records":[{
  "eventID":"c4ca4238a0b923820dcc509a6f75849b","eventName":"MODIFY","eventVersion":"1.1",
  "eventSource":"aws:dynamodb","awsRegion":"eu-west-1",
  "eventSourceARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/companies/stream/2026-11-25T00:00:00.000",
  "dynamodb":{
    "ApproximateCreationDateTime":1795600000,
    "Keys":{"pk":{"S":"COMPANY#1"},"sk":{"S":"PROFILE"}},
    "NewImage":{"pk":{"S":"COMPANY#1"},"sk":{"S":"PROFILE"},"id":{"S":"1"},"name":{"S":"Acme Ltd"},"version":{"N":"3"},
      "tags":{"SS":["a","b"]},"logo":{"B":"AAH/"},"address":{"M":{"city":{"S":"Oslo"}}},"list":{"L":[{"N":"1"},{"NULL":true}]},"ok":{"BOOL":true}},
    "OldImage":{"pk":{"S":"COMPANY#1"},"sk":{"S":"PROFILE"},"id":{"S":"1"},"name":{"S":"Acme"},"version":{"N":"2"}},
    "SequenceNumber":"111100000000000000000001","SizeBytes":120,"StreamViewType":"NEW_AND_OLD_IMAGES"}}]}`

func TestFromLambdaRecord(t *testing.T) {
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal([]byte(lambdaEvent), &ev))
	c, err := tssync.FromLambdaRecord(ev.Records[0])
	require.NoError(t, err)
	require.Equal(t, tssync.Modify, c.Event)
	require.Equal(t, "companies", c.Table)
	require.Equal(t, "111100000000000000000001", c.Sequence)
	require.Equal(t, time.Unix(1795600000, 0).UTC(), c.Time)
	require.Equal(t, map[string]types.AttributeValue{"pk": s("COMPANY#1"), "sk": s("PROFILE")}, c.Keys)
	require.Equal(t, s("Acme"), c.Old["name"])
	want := map[string]types.AttributeValue{
		"pk": s("COMPANY#1"), "sk": s("PROFILE"), "id": s("1"), "name": s("Acme Ltd"), "version": n("3"),
		"tags":    &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"logo":    &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}},
		"address": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": s("Oslo")}},
		"list":    &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1"), &types.AttributeValueMemberNULL{Value: true}}},
		"ok":      &types.AttributeValueMemberBOOL{Value: true},
	}
	require.Equal(t, want, c.New)

	var company struct {
		Name    string `dynamodbav:"name"`
		Version int64  `dynamodbav:"version"`
	}
	require.NoError(t, c.Decode(&company))
	if company.Name != "Acme Ltd" || company.Version != 3 {
		t.Errorf("Decode = %+v; want Acme Ltd at version 3", company)
	}
}

func TestRecordsRefused(t *testing.T) {
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal([]byte(lambdaEvent), &ev))
	rec := ev.Records[0]
	rec.EventName = "TRUNCATE"
	if _, err := tssync.FromLambdaRecord(rec); !errors.Is(err, tssync.ErrRecord) {
		t.Errorf("FromLambdaRecord(event TRUNCATE) = %v; want ErrRecord", err)
	}
	rec = ev.Records[0]
	rec.Change.Keys = nil
	var re *tssync.RecordError
	if _, err := tssync.FromLambdaRecord(rec); !errors.As(err, &re) || re.EventID != rec.EventID {
		t.Errorf("FromLambdaRecord(no keys) = %v; want a *RecordError naming the record", err)
	}
	rec = ev.Records[0]
	rec.Change.NewImage = map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("A"),
		"l": events.NewListAttribute([]events.DynamoDBAttributeValue{{}})} // a value of no type
	if _, err := tssync.FromLambdaRecord(rec); !errors.Is(err, tssync.ErrRecord) || !strings.Contains(err.Error(), `attribute "l": element 0`) {
		t.Errorf("FromLambdaRecord(untyped value) = %v; want ErrRecord naming the attribute", err)
	}
	if _, err := tssync.FromStreamRecord("t", streamtypes.Record{EventID: aws.String("x"), EventName: streamtypes.OperationTypeInsert}); !errors.Is(err, tssync.ErrRecord) {
		t.Errorf("FromStreamRecord(no dynamodb section) = %v; want ErrRecord", err)
	}
	c, err := tssync.FromStreamRecord("companies", streamtypes.Record{
		EventID: aws.String("x"), EventName: streamtypes.OperationTypeRemove,
		Dynamodb: &streamtypes.StreamRecord{
			SequenceNumber: aws.String("5"),
			Keys:           map[string]streamtypes.AttributeValue{"pk": &streamtypes.AttributeValueMemberS{Value: "A"}},
			OldImage:       map[string]streamtypes.AttributeValue{"pk": &streamtypes.AttributeValueMemberS{Value: "A"}, "n": &streamtypes.AttributeValueMemberN{Value: "1"}},
		},
	})
	require.NoError(t, err)
	require.Equal(t, tssync.Change{EventID: "x", Event: tssync.Remove, Table: "companies", Sequence: "5",
		Keys: map[string]types.AttributeValue{"pk": s("A")}, Old: map[string]types.AttributeValue{"pk": s("A"), "n": n("1")}}, c)
}
