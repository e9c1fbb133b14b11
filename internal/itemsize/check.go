package itemsize

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB's limits on what an item may hold, checked by [Check].
const (
	// MaxNameLen is the longest attribute name in bytes: 64 KB. (DynamoDB
	// Local refuses names over 50,000 bytes, a limit of its JSON parser.)
	MaxNameLen = 65535
	// MaxDigits is the precision of a number: 38 significant digits.
	MaxDigits = 38
	// MaxExponent and MinExponent bound a number's magnitude: at most
	// 9.9999999999999999999999999999999999999E+125, at least 1E-130.
	MaxExponent = 125
	MinExponent = -130
	// MaxDepth is how deeply an item nests: the item is level 1, and each
	// list or map inside it one more, up to 32.
	MaxDepth = 32
)

// Fault is a value DynamoDB would refuse, found by [Check].
type Fault struct {
	// Path is the document path of the value, e.g. "address.city" or
	// "tags[2]"; for a fault in an attribute name, the path of the map
	// holding it followed by the name.
	Path   string
	Reason string
}

func (f *Fault) under(name string) *Fault {
	switch {
	case f.Path == "":
		f.Path = name
	case f.Path[0] == '[':
		f.Path = name + f.Path
	default:
		f.Path = name + "." + f.Path
	}
	return f
}

// Check returns the size of item in bytes, as [Of] does, and the first value
// in it that DynamoDB would refuse or alter, or nil: an attribute name that
// is empty, over [MaxNameLen] bytes or not valid UTF-8; a string that is not
// valid UTF-8 (DynamoDB would store U+FFFD in its place); a number that is
// malformed, NaN or infinite, over [MaxDigits] significant digits or out of
// range; an empty set or a set with duplicates; a NULL that is not true; a
// nil value; nesting deeper than [MaxDepth]. It walks the item once, and
// allocates only when it finds a fault or checks a set of two or more
// elements for duplicates.
func Check(item map[string]types.AttributeValue) (int, *Fault) {
	n := 0
	for name, v := range item {
		if f := checkName(name); f != nil {
			return n, f
		}
		s, f := check(v, 2)
		if f != nil {
			return n, f.under(name)
		}
		n += len(name) + s
	}
	return n, nil
}

// CheckValue is [Check] for one value, such as the value of an update's SET.
func CheckValue(v types.AttributeValue) (int, *Fault) { return check(v, 2) }

func checkName(name string) *Fault {
	switch {
	case name == "":
		return &Fault{Reason: "empty attribute name"}
	case len(name) > MaxNameLen:
		return &Fault{Path: name[:min(len(name), 32)] + "...", Reason: fmt.Sprintf("attribute name is %d bytes; DynamoDB's limit is %d", len(name), MaxNameLen)}
	case !utf8.ValidString(name):
		return &Fault{Path: name, Reason: "attribute name is not valid UTF-8"}
	}
	return nil
}

func check(v types.AttributeValue, depth int) (int, *Fault) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		if !utf8.ValidString(v.Value) {
			return 0, &Fault{Reason: invalidUTF8(v.Value)}
		}
		return len(v.Value), nil
	case *types.AttributeValueMemberN:
		size, why := checkNumber(v.Value)
		if why != "" {
			return 0, &Fault{Reason: why}
		}
		return size, nil
	case *types.AttributeValueMemberB:
		return len(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return 1, nil
	case *types.AttributeValueMemberNULL:
		if !v.Value {
			return 0, &Fault{Reason: "NULL must be true"}
		}
		return 1, nil
	case *types.AttributeValueMemberSS:
		if len(v.Value) == 0 {
			return 0, &Fault{Reason: "empty string set; DynamoDB stores no empty set (leave the attribute out)"}
		}
		n := 0
		for i, s := range v.Value {
			if !utf8.ValidString(s) {
				return 0, &Fault{Path: "[" + strconv.Itoa(i) + "]", Reason: invalidUTF8(s)}
			}
			n += len(s)
		}
		if len(v.Value) > 1 {
			seen := make(map[string]struct{}, len(v.Value))
			for _, s := range v.Value {
				if _, dup := seen[s]; dup {
					return 0, &Fault{Reason: fmt.Sprintf("string set holds %q twice", s)}
				}
				seen[s] = struct{}{}
			}
		}
		return n, nil
	case *types.AttributeValueMemberNS:
		if len(v.Value) == 0 {
			return 0, &Fault{Reason: "empty number set; DynamoDB stores no empty set (leave the attribute out)"}
		}
		n := 0
		for i, s := range v.Value {
			size, why := checkNumber(s)
			if why != "" {
				return 0, &Fault{Path: "[" + strconv.Itoa(i) + "]", Reason: why}
			}
			n += size
		}
		if len(v.Value) > 1 {
			seen := make(map[string]struct{}, len(v.Value))
			for _, s := range v.Value {
				c := canonical(s)
				if _, dup := seen[c]; dup {
					return 0, &Fault{Reason: fmt.Sprintf("number set holds %s twice", s)}
				}
				seen[c] = struct{}{}
			}
		}
		return n, nil
	case *types.AttributeValueMemberBS:
		if len(v.Value) == 0 {
			return 0, &Fault{Reason: "empty binary set; DynamoDB stores no empty set (leave the attribute out)"}
		}
		n := 0
		for i, b := range v.Value {
			n += len(b)
			for _, c := range v.Value[:i] {
				if bytes.Equal(b, c) {
					return 0, &Fault{Reason: "binary set holds a value twice"}
				}
			}
		}
		return n, nil
	case *types.AttributeValueMemberL:
		if depth > MaxDepth {
			return 0, &Fault{Reason: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
		}
		n := 3
		for i, e := range v.Value {
			s, f := check(e, depth+1)
			if f != nil {
				return 0, f.under("[" + strconv.Itoa(i) + "]")
			}
			n += 1 + s
		}
		return n, nil
	case *types.AttributeValueMemberM:
		if depth > MaxDepth {
			return 0, &Fault{Reason: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
		}
		n := 3
		for k, e := range v.Value {
			if f := checkName(k); f != nil {
				return 0, f
			}
			s, f := check(e, depth+1)
			if f != nil {
				return 0, f.under(k)
			}
			n += 1 + len(k) + s
		}
		return n, nil
	case nil:
		return 0, &Fault{Reason: "nil value"}
	}
	return 0, &Fault{Reason: fmt.Sprintf("unknown attribute value type %T", v)}
}

func invalidUTF8(s string) string {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			return fmt.Sprintf("string is not valid UTF-8 (byte %#x at offset %d); DynamoDB would store U+FFFD in its place", s[i], i)
		}
		i += w
	}
	return "string is not valid UTF-8"
}

// numberParts splits DynamoDB's number syntax — an optional sign, digits
// with at most one decimal point (".5" and "5." are numbers), and an
// optional exponent — into the integer and fraction digits and the
// exponent. ok is false for anything else, NaN and Inf included.
func numberParts(s string) (negative bool, intPart, frac string, exp int, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		negative = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[start:i]
	}
	if intPart == "" && frac == "" {
		return false, "", "", 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		start = i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digits := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		lead := digits // leading zeros, which DynamoDB accepts ("1e0000001")
		for lead < i-1 && s[lead] == '0' {
			lead++
		}
		if i == digits || i-lead > 6 {
			return false, "", "", 0, false
		}
		e, err := strconv.Atoi(s[start:digits] + s[lead:i])
		if err != nil {
			return false, "", "", 0, false
		}
		exp = e
	}
	if i != len(s) {
		return false, "", "", 0, false
	}
	return negative, intPart, frac, exp, true
}

// significant returns the positions, in intPart followed by frac, of the
// first and last non-zero digits (-1 for zero), and the power of ten of the
// first.
func significant(intPart, frac string, exp int) (first, last, pow int) {
	first, last = -1, -1
	n := len(intPart) + len(frac)
	for k := 0; k < n; k++ {
		var d byte
		if k < len(intPart) {
			d = intPart[k]
		} else {
			d = frac[k-len(intPart)]
		}
		if d != '0' {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	return first, last, len(intPart) - 1 - first + exp
}

// canonical returns one text for every spelling of a number ("1", "1.0",
// "10E-1"), to find duplicates in a number set.
func canonical(s string) string {
	negative, intPart, frac, exp, ok := numberParts(s)
	if !ok {
		return s
	}
	first, last, pow := significant(intPart, frac, exp)
	if first < 0 {
		return "0"
	}
	all := intPart + frac
	sign := ""
	if negative {
		sign = "-"
	}
	return sign + all[first:last+1] + "e" + strconv.Itoa(pow)
}

// checkNumber returns the size of the number s and, if DynamoDB would
// refuse it, why.
func checkNumber(s string) (int, string) {
	_, intPart, frac, exp, ok := numberParts(s)
	if !ok {
		return 0, fmt.Sprintf("%q is not a number DynamoDB accepts (NaN and infinities are refused)", s)
	}
	first, last, pow := significant(intPart, frac, exp)
	switch {
	case first < 0:
		return 1, ""
	case last-first+1 > MaxDigits:
		return 0, fmt.Sprintf("%s has %d significant digits; DynamoDB keeps at most %d", s, last-first+1, MaxDigits)
	case pow > MaxExponent:
		return 0, fmt.Sprintf("%s is larger in magnitude than DynamoDB's largest number, 9.99...E+125", s)
	case pow < MinExponent:
		return 0, fmt.Sprintf("%s is smaller in magnitude than DynamoDB's smallest number, 1E-130", s)
	}
	return number(s), ""
}
