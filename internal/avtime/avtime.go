// Package avtime holds the one text form in which the repository stores a
// time.Time: UTC with nine fixed fractional digits, so that string order is
// time order (DynamoDB compares strings byte by byte) and key conditions on
// times compare like with like.
package avtime

import (
	"fmt"
	"time"
)

// Layout is the stored form, e.g. "2024-03-14T09:26:53.589793000Z": always
// UTC, always 30 bytes. It is RFC 3339, so a decoder that parses RFC 3339
// (attributevalue's default) reads it, and reads the older trimmed, offset
// forms too.
const Layout = "2006-01-02T15:04:05.000000000Z"

// Format returns t in [Layout], or an error for a year outside 0000-9999,
// which RFC 3339 cannot write with four digits and so would not sort.
func Format(t time.Time) (string, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("time %s: year %d is outside 0000-9999, which a fixed-width RFC 3339 time cannot hold", t.Format(time.RFC3339Nano), y)
	}
	return t.Format(Layout), nil
}
