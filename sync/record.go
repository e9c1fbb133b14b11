package sync

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// FromStreamRecord turns a record read with the DynamoDB Streams API (as
// [StreamReader] does) into a Change. table names the table whose stream it
// is; the record itself does not.
func FromStreamRecord(table string, rec streamtypes.Record) (Change, error) {
	id := aws.ToString(rec.EventID)
	if rec.Dynamodb == nil {
		return Change{}, &RecordError{EventID: id, Reason: "no dynamodb section"}
	}
	c := Change{
		EventID:  id,
		Event:    Event(rec.EventName),
		Table:    table,
		Sequence: aws.ToString(rec.Dynamodb.SequenceNumber),
	}
	if t := rec.Dynamodb.ApproximateCreationDateTime; t != nil {
		c.Time = creationTime(*t)
	}
	var err error
	for _, img := range []struct {
		from map[string]streamtypes.AttributeValue
		to   *map[string]types.AttributeValue
	}{{rec.Dynamodb.Keys, &c.Keys}, {rec.Dynamodb.OldImage, &c.Old}, {rec.Dynamodb.NewImage, &c.New}} {
		if img.from == nil {
			continue
		}
		if *img.to, err = attributevalue.FromDynamoDBStreamsMap(img.from); err != nil {
			return Change{}, &RecordError{EventID: id, Reason: "image", Err: err}
		}
	}
	return c, checkRecord(c)
}

// FromLambdaRecord turns a record of a Lambda function's DynamoDB stream
// event into a Change. The table name is read from the record's event
// source ARN.
func FromLambdaRecord(rec events.DynamoDBEventRecord) (Change, error) {
	c := Change{
		EventID:  rec.EventID,
		Event:    Event(rec.EventName),
		Table:    TableFromARN(rec.EventSourceArn),
		Sequence: rec.Change.SequenceNumber,
		Time:     creationTime(rec.Change.ApproximateCreationDateTime.Time),
	}
	var err error
	for _, img := range []struct {
		from map[string]events.DynamoDBAttributeValue
		to   *map[string]types.AttributeValue
	}{{rec.Change.Keys, &c.Keys}, {rec.Change.OldImage, &c.Old}, {rec.Change.NewImage, &c.New}} {
		if img.from == nil {
			continue
		}
		if *img.to, err = fromLambdaMap(img.from); err != nil {
			return Change{}, &RecordError{EventID: rec.EventID, Reason: "image", Err: err}
		}
	}
	return c, checkRecord(c)
}

// creationTime returns a record's ApproximateCreationDateTime, which the
// SDK and the Lambda event types read as seconds since 1970, in UTC. DynamoDB
// Streams give whole seconds; records that come through Kinesis Data
// Streams give milliseconds, which read as seconds put the change in the
// year 58,000 or so (and make it fail to encode as JSON). A number of
// seconds past 10^11 (the year 5138) is taken as milliseconds, past 10^14
// as microseconds and past 10^17 as nanoseconds.
func creationTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	n, frac := t.Unix(), int64(t.Nanosecond()) // the number read, split at the point
	switch {
	case n >= 1e17: // nanoseconds
		return time.Unix(0, n).UTC()
	case n >= 1e14: // microseconds
		return time.Unix(0, n*1e3+frac/1e6).UTC()
	case n >= 1e11: // milliseconds
		return time.Unix(0, n*1e6+frac/1e3).UTC()
	}
	return t.UTC()
}

// fromLambdaMap converts a Lambda event's image. It is written out rather
// than round-tripped through DynamoDB JSON (json.Marshal, then
// attributevalue.UnmarshalMapJSON), which made publishing a Lambda event
// over three times as slow as publishing its records by hand; see
// BenchmarkPublishLambdaEvent.
func fromLambdaMap(from map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(from))
	for k, v := range from {
		av, err := fromLambda(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromLambda(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	if v.IsNull() {
		if v.DataType() != events.DataTypeNull {
			return nil, errors.New("a value of no type") // the zero DynamoDBAttributeValue
		}
		return &types.AttributeValueMemberNULL{Value: true}, nil
	}
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			av, err := fromLambda(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := fromLambdaMap(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown type %d", v.DataType())
}

func checkRecord(c Change) error {
	switch c.Event {
	case Insert, Modify, Remove:
	default:
		return &RecordError{EventID: c.EventID, Reason: "event name " + string(c.Event)}
	}
	if len(c.Keys) == 0 {
		return &RecordError{EventID: c.EventID, Reason: "no keys"}
	}
	return nil
}

// TableFromARN returns the table name in a table or stream ARN such as
// arn:aws:dynamodb:eu-west-1:123456789012:table/companies/stream/2026-11-25T00:00:00.000,
// or "" when arn names no table.
func TableFromARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":table/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}
