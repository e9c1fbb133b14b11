package sync_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"

	tssync "github.com/tablestakes/tablestakes/sync"
)

func ExampleParseMessage() {
	// The body of a change, as a queue with raw message delivery receives it.
	raw := `{"format":"tablestakes.change/v1","eventId":"4f2a","event":"MODIFY","table":"firms",` +
		`"version":2,"time":"2026-11-25T10:00:00Z","keys":{"pk":{"S":"FIRM#1"}},` +
		`"old":{"pk":{"S":"FIRM#1"},"id":{"S":"1"},"name":{"S":"Acme"},"version":{"N":"1"}},` +
		`"new":{"pk":{"S":"FIRM#1"},"id":{"S":"1"},"name":{"S":"Acme Ltd"},"version":{"N":"2"}}}`
	// The same change inside the SNS notification a queue receives
	// without raw message delivery.
	envelope, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "b1c9", "Message": raw,
		"TopicArn": "arn:aws:sns:us-east-1:000000000000:firm-changes",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, body := range []string{raw, string(envelope)} {
		c, err := tssync.ParseMessage(body)
		if err != nil {
			log.Fatal(err)
		}
		var f struct {
			Name string `dynamodbav:"name"`
		}
		if err := c.Decode(&f); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Event, c.Table, c.Version, f.Name, c.Changed("name"))
	}

	// A message of another format on the same topic, or plain text, is
	// foreign: a subscriber skips it. A change cut short is broken: a
	// subscriber refuses it.
	for _, body := range []string{`{"format":"orders.placed/v2","order":"o-1"}`, `Hello from SNS!`, raw[:40]} {
		_, err := tssync.ParseMessage(body)
		var me *tssync.MessageError
		fmt.Println(errors.Is(err, tssync.ErrNotAChange), errors.As(err, &me) && me.Foreign)
	}
	// Output:
	// MODIFY firms 2 Acme Ltd true
	// MODIFY firms 2 Acme Ltd true
	// true true
	// true true
	// true false
}

func ExampleChange_Order() {
	// Changes to one item, as SNS and SQS may deliver them.
	changes := []tssync.Change{
		{EventID: "remove at v10", Event: tssync.Remove, Version: 10},
		{EventID: "modify to v10", Event: tssync.Modify, Version: 10},
		{EventID: "modify to v9", Event: tssync.Modify, Version: 9},
	}
	slices.SortFunc(changes, func(a, b tssync.Change) int { return cmp.Compare(a.Order(), b.Order()) })
	for _, c := range changes {
		fmt.Println(c.Order(), c.EventID)
	}

	// Without a version, the stream's sequence numbers order changes, as
	// numbers rather than as strings.
	a := tssync.Change{Event: tssync.Modify, Sequence: "900000000000000000001"}
	b := tssync.Change{Event: tssync.Modify, Sequence: "1000000000000000000002"}
	fmt.Println(a.Order() < b.Order(), a.Sequence < b.Sequence)
	// Output:
	// v00000000000000000009.0 modify to v9
	// v00000000000000000010.0 modify to v10
	// v00000000000000000010.1 remove at v10
	// true false
}
