package sync_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	tssync "github.com/tablestakes/tablestakes/sync"
)

// sqsAllowed reports whether r is a character SQS accepts in a message
// body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func sqsAllowed(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// TestMessageBodyCharactersSQSAccepts: DynamoDB stores any valid UTF-8,
// U+FFFE and U+FFFF included, but SQS refuses a message body holding them
// (InvalidMessageContents). A change's message body escapes them, so that
// it reaches the queue, and reads back to the same value.
func TestMessageBodyCharactersSQSAccepts(t *testing.T) {
	odd := "a\uFFFEb\uFFFFc\u0000d\u001fe"
	c := tssync.Change{EventID: "e1", Event: tssync.Modify, Table: "companies", Sequence: "1",
		Keys: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "K" + odd}},
		New: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "K" + odd},
			"name" + odd: &types.AttributeValueMemberSS{Value: []string{odd}}}}
	b, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexFunc(string(b), func(r rune) bool { return !sqsAllowed(r) }); i >= 0 {
		t.Errorf("MarshalJSON holds %U at byte %d, which SQS refuses", []rune(string(b)[i:])[0], i)
	}
	got, err := tssync.ParseMessage(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if v := got.New["name"+odd].(*types.AttributeValueMemberSS).Value[0]; v != odd {
		t.Errorf("read back %q; want %q", v, odd)
	}
	var again tssync.Change
	if err := json.Unmarshal(b, &again); err != nil || again.Keys["pk"].(*types.AttributeValueMemberS).Value != "K"+odd {
		t.Errorf("Unmarshal: %v %#v", err, again.Keys)
	}
}
