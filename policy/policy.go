package policy

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Policy is the union of a service's accesses, one entry per resource with
// the actions sent to it, in the order first given. Build it with [New];
// render it with [Policy.Document].
type Policy struct {
	accesses []Access
}

// New merges accesses: actions to one resource (under the same
// LeadingKeys) are joined, duplicates dropped and sorted.
func New(accesses ...Access) *Policy {
	p := &Policy{}
	for _, a := range accesses {
		i := slices.IndexFunc(p.accesses, func(b Access) bool { return sameResource(a, b) })
		if i < 0 {
			a.Actions = slices.Clone(a.Actions)
			a.LeadingKeys = slices.Clone(a.LeadingKeys)
			p.accesses = append(p.accesses, a)
			i = len(p.accesses) - 1
		} else {
			p.accesses[i].Actions = append(p.accesses[i].Actions, a.Actions...)
		}
		slices.Sort(p.accesses[i].Actions)
		p.accesses[i].Actions = slices.Compact(p.accesses[i].Actions)
	}
	return p
}

// Accesses returns the merged accesses.
func (p *Policy) Accesses() []Access { return slices.Clone(p.accesses) }

// Env says where the resources live. A field left empty is a CloudFormation
// pseudo parameter (${AWS::Partition}, ${AWS::Region}, ${AWS::AccountId})
// and the ARNs that need it are Fn::Sub objects; with all three set every
// ARN is a plain string.
type Env struct {
	// Partition is "aws", "aws-cn" or "aws-us-gov".
	Partition string
	// Region is the region of the tables, topics and queues, e.g. "eu-west-1".
	Region string
	// Account is the 12-digit account id.
	Account string
}

// complete reports whether every field is set.
func (e Env) complete() bool { return e.Partition != "" && e.Region != "" && e.Account != "" }

func (e Env) fields() (partition, region, account string) {
	partition, region, account = e.Partition, e.Region, e.Account
	if partition == "" {
		partition = "${AWS::Partition}"
	}
	if region == "" {
		region = "${AWS::Region}"
	}
	if account == "" {
		account = "${AWS::AccountId}"
	}
	return partition, region, account
}

// ARN returns the ARN of r in e, with ${AWS::…} references for e's empty
// fields (an Fn::Sub string).
func (e Env) ARN(r Resource) string {
	p, reg, acct := e.fields()
	ddb := "arn:" + p + ":dynamodb:" + reg + ":" + acct + ":table/" + r.Name
	switch r.Kind {
	case KindTable:
		return ddb
	case KindIndex:
		return ddb + "/index/" + r.Sub
	case KindStream:
		return ddb + "/stream/*"
	case KindTopic:
		return "arn:" + p + ":sns:" + reg + ":" + acct + ":" + r.Name
	case KindQueue:
		return "arn:" + p + ":sqs:" + reg + ":" + acct + ":" + r.Name
	case KindObjects:
		return "arn:" + p + ":s3:::" + r.Name + "/" + r.Sub
	}
	return ""
}

// Document is an IAM policy document. Its JSON form is what IAM takes;
// Resource values are strings, or Fn::Sub objects inside a CloudFormation
// template.
type Document struct {
	// Version is the policy language version, "2012-10-17".
	Version string `json:"Version"`
	// Statement lists the allowed actions, one statement per resource.
	Statement []Statement `json:"Statement"`
}

// Statement allows actions on one resource.
type Statement struct {
	// Effect is always "Allow".
	Effect string `json:"Effect"`
	// Action lists the IAM actions, sorted.
	Action []string `json:"Action"`
	// Resource is the ARN: a string, or {"Fn::Sub": "…"} when the Env
	// leaves a field to CloudFormation.
	Resource any `json:"Resource"`
	// Condition holds the dynamodb:LeadingKeys condition, if any.
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Document renders the policy for env. It returns an [*AccessError]
// (matching [ErrInvalidAccess]) for an access without actions or a name,
// an action without a service prefix or with a wildcard, or an unknown
// resource kind; and [ErrEmpty] for a policy with no access.
func (p *Policy) Document(env Env) (Document, error) {
	if len(p.accesses) == 0 {
		return Document{}, ErrEmpty
	}
	doc := Document{Version: "2012-10-17"}
	for _, a := range p.accesses {
		if err := check(a); err != nil {
			return Document{}, err
		}
		var res any = env.ARN(a.Resource)
		if !env.complete() {
			res = map[string]string{"Fn::Sub": res.(string)}
		}
		st := Statement{Effect: "Allow", Action: a.Actions, Resource: res}
		if len(a.LeadingKeys) > 0 {
			st.Condition = map[string]map[string][]string{
				"ForAllValues:StringLike": {"dynamodb:LeadingKeys": a.LeadingKeys},
			}
		}
		doc.Statement = append(doc.Statement, st)
	}
	return doc, nil
}

func check(a Access) error {
	bad := func(format string, args ...any) error {
		return &AccessError{Resource: a.Resource, Reason: fmt.Sprintf(format, args...)}
	}
	if a.Resource.Kind < KindTable || a.Resource.Kind > KindObjects {
		return bad("unknown resource kind %d", a.Resource.Kind)
	}
	if a.Resource.Name == "" || strings.ContainsAny(a.Resource.Name, "*?$") {
		return bad("resource name %q: want a name without wildcards", a.Resource.Name)
	}
	if (a.Resource.Kind == KindIndex || a.Resource.Kind == KindObjects) && a.Resource.Sub == "" {
		return bad("%s of %q names no index or key pattern", a.Resource.Kind, a.Resource.Name)
	}
	if len(a.Actions) == 0 {
		return bad("no actions")
	}
	for _, act := range a.Actions {
		service, name, ok := strings.Cut(act, ":")
		if !ok || service == "" || name == "" || strings.ContainsAny(act, "*?") {
			return bad("action %q: want service:Action without wildcards", act)
		}
	}
	if len(a.LeadingKeys) > 0 && a.Resource.Kind != KindTable {
		return bad("LeadingKeys on a %s: DynamoDB tables only", a.Resource.Kind)
	}
	return nil
}

// JSON returns the document as indented JSON.
func (d Document) JSON() ([]byte, error) {
	return json.MarshalIndent(d, "", "  ")
}

// Request is one authorisation a request needs: an action on a resource's
// ARN, with the partition key values it touches when they are known (for
// dynamodb:LeadingKeys).
type Request struct {
	// Action is the IAM action, e.g. "dynamodb:PutItem".
	Action string
	// Resource is the ARN acted on.
	Resource string
	// LeadingKeys are the partition key values of the items the request
	// touches, when known.
	LeadingKeys []string
}

// String returns "action on resource".
func (r Request) String() string { return r.Action + " on " + r.Resource }

// Allows reports whether some statement of d allows req, by IAM's rules for
// what a Document holds: the action matches one of the statement's
// (case-insensitively), the ARN matches its resource (* and ? wildcards),
// and its dynamodb:LeadingKeys condition, if any, holds for every key.
// Resources that are Fn::Sub objects never match: render the document
// for a complete [Env] to evaluate it.
func (d Document) Allows(req Request) bool {
	for _, st := range d.Statement {
		if st.Effect != "Allow" || !slices.ContainsFunc(st.Action, func(a string) bool { return strings.EqualFold(a, req.Action) }) {
			continue
		}
		res, ok := st.Resource.(string)
		if !ok || !match(res, req.Resource) {
			continue
		}
		if keys := st.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]; len(keys) > 0 &&
			!allLike(req.LeadingKeys, keys) {
			continue
		}
		return true
	}
	return false
}

// allLike reports whether every value matches one of the patterns.
func allLike(values, patterns []string) bool {
	for _, v := range values {
		if !slices.ContainsFunc(patterns, func(p string) bool { return match(p, v) }) {
			return false
		}
	}
	return true
}

// match matches s against an IAM pattern, in which * matches any run of
// characters (slashes included) and ? any one character.
func match(pattern, s string) bool {
	// path.Match stops * at '/'; IAM does not, so match segment-free.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(escape(pattern), "/", sep), strings.ReplaceAll(s, "/", sep))
	return err == nil && ok
}

// escape quotes the characters path.Match treats specially besides * and ?.
func escape(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`)
	return r.Replace(p)
}
