// Package cfn writes CloudFormation templates from table declarations, so
// that the [index.Table] values a service reads and writes through are also
// the single source of its deployed tables (principle 8): keys and their
// attribute definitions, global and local secondary indexes with their
// projections, the stream view type, Time to Live, billing mode and
// throughput, point-in-time recovery and deletion protection — nothing
// re-typed in YAML by hand.
//
//	tmpl, err := cfn.New([]index.Table{profile.Table("companies")},
//		cfn.WithDescription("profile service tables"), cfn.WithNameParameters())
//	yaml, err := tmpl.YAML() // or tmpl.JSON()
//
// Each table becomes an AWS::DynamoDB::Table resource whose logical id is
// the table name in CamelCase plus "Table" ("company-profile" →
// CompanyProfileTable), with outputs for its ARN and, when it has a
// stream, its stream ARN. The properties are those of the CreateTable
// request [index.Create] sends ([index.Table.CreateTableInput]), so a
// table created by either matches the other. A template can be pasted into
// a SAM template's Resources, or deployed as it is.
package cfn
