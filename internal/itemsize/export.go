package itemsize

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// CheckValueAt is [CheckValue] for a value nested at depth (an attribute of
// the item is at depth 2), so that a value checked on its own is held to
// [MaxDepth] as it would be inside its item.
func CheckValueAt(v types.AttributeValue, depth int) (int, *Fault) { return check(v, depth) }

// CheckName returns why DynamoDB would refuse name as an attribute name or
// map key (empty, over [MaxNameLen] bytes, not valid UTF-8), or nil.
func CheckName(name string) *Fault { return checkName(name) }

// CheckNumber returns the size of the number s and, if DynamoDB would
// refuse it, why: [Check]'s rules for one number.
func CheckNumber(s string) (int, string) { return checkNumber(s) }
