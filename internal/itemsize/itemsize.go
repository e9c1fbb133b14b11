// Package itemsize computes the size DynamoDB counts for an item, by the
// rules in the DynamoDB developer guide ("Item sizes and formats"), so that
// an item over the 400 KB limit can be refused before it is sent.
package itemsize

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxItemSize is DynamoDB's item size limit in bytes, attribute names
// included: 400 KB.
const MaxItemSize = 400 * 1024

// Of returns the size of item in bytes: for each attribute, the UTF-8
// length of its name plus the size of its value.
func Of(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + Value(v)
	}
	return n
}

// Value returns the size of one value in bytes:
//   - a string: its UTF-8 length; a binary: its length;
//   - a number: about 1 byte per two significant digits, plus 1 (exactly:
//     see number);
//   - a Boolean or null: 1 byte;
//   - a list or map: 3 bytes, plus 1 byte and the size of each element
//     (for a map, the element's name too);
//   - a set: the sum of its elements' sizes.
//
// Unknown or nil values count 0.
func Value(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return number(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += number(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + Value(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + Value(e)
		}
		return n
	}
	return 0
}

// number returns the size of a number given as text. DynamoDB stores the
// significant digits in base-100 pairs aligned on the decimal point, plus
// one byte, plus one more for a negative number: "1.5" is the pairs 01|50
// (3 bytes) where "15" is 15 (2 bytes). Zero takes 1 byte. Malformed text
// counts by its length. Checked against DynamoDB Local at the 400 KB limit.
func number(s string) int {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return len(s)
		}
		mant, exp = s[:i], e
	}
	negative := strings.HasPrefix(mant, "-")
	mant = strings.TrimLeft(mant, "+-")
	point := strings.IndexByte(mant, '.')
	if point < 0 {
		point = len(mant)
	} else {
		mant = mant[:point] + mant[point+1:]
	}
	if mant == "" {
		return len(s)
	}
	for i := 0; i < len(mant); i++ {
		if mant[i] < '0' || mant[i] > '9' {
			return len(s)
		}
	}
	point += exp
	// Digit i of mant has position point-1-i relative to the units digit
	// (positions >= 0 are the integer part). Pairs group positions
	// {2k+1, 2k}: the pair of position q is floor(q/2).
	first, last := -1, -1
	for i := 0; i < len(mant); i++ {
		if mant[i] != '0' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 1
	}
	hi := floorDiv(point-1-first, 2)
	lo := floorDiv(point-1-last, 2)
	size := hi - lo + 1 + 1
	if negative {
		size++ // a negative number carries a terminator byte
	}
	return size
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
