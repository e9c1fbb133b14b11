package sync

import (
	"encoding/json"
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
		c.Time = t.UTC()
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
		Time:     rec.Change.ApproximateCreationDateTime.UTC(),
	}
	if rec.Change.ApproximateCreationDateTime.IsZero() {
		c.Time = time.Time{}
	}
	var err error
	for _, img := range []struct {
		from map[string]events.DynamoDBAttributeValue
		to   *map[string]types.AttributeValue
	}{{rec.Change.Keys, &c.Keys}, {rec.Change.OldImage, &c.Old}, {rec.Change.NewImage, &c.New}} {
		if img.from == nil {
			continue
		}
		// Both sides speak DynamoDB JSON: let the two libraries convert.
		b, err2 := json.Marshal(img.from)
		if err2 != nil {
			return Change{}, &RecordError{EventID: rec.EventID, Reason: "image", Err: err2}
		}
		if *img.to, err = attributevalue.UnmarshalMapJSON(b); err != nil {
			return Change{}, &RecordError{EventID: rec.EventID, Reason: "image", Err: err}
		}
	}
	return c, checkRecord(c)
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
