// Package index declares DynamoDB tables, their indexes and the access
// patterns that read them, in Go.
//
// It carries principle 8 (design tables and indexes around queries) and the
// projection half of principle 10 (mind item sizes and index projections):
// a [Table] lists its keys, global and local secondary indexes with their
// projections, billing mode, stream and Time to Live attribute, and the
// named [AccessPattern] values
// through which every multi-item read must go. From the declaration the
// package builds the CreateTableInput ([Table.CreateTableInput]), creates a
// missing table and waits until it is active ([Create]), and checks a live
// table against the declaration at start-up ([Verify]), failing with a
// [*MismatchError] when an index is missing, a key schema differs or a
// projection lacks an attribute that a pattern reads. A table that declares
// a TTL attribute has Time to Live enabled by [Create] and checked by
// [Verify], through a client that also implements [TTLClient].
// Point-in-time recovery and deletion protection are declared options too:
// [Create] applies them and [Verify] checks them. Package cfn writes the
// same declarations as a CloudFormation template.
//
// # One access pattern, end to end
//
// A company profile service stores companies in one table, keyed
// COMPANY#<id> / PROFILE, and lists companies by industry, newest first,
// through a GSI that projects only what the list shows:
//
//	var profiles = index.Table{
//		Name:         "company-profile",
//		PartitionKey: index.S("pk"),
//		SortKey:      index.S("sk"),
//		Indexes: []index.Index{{
//			Name:         "by-industry",
//			PartitionKey: index.S("industry"),
//			SortKey:      index.S("createdAt"),
//			Projection:   index.Include("name", "id"),
//		}},
//		Stream:   types.StreamViewTypeNewAndOldImages,
//		Patterns: []index.AccessPattern{byIndustry},
//	}
//
//	var byIndustry = index.AccessPattern{
//		Name:       "companies by industry, newest first",
//		Index:      "by-industry",
//		Descending: true,
//		Reads:      []string{"id", "name", "createdAt"},
//	}
//
//	q := byIndustry.Partition("fintech").Where(index.BeginsWith("2026-"))
//
// The repository package runs such a query; nothing else reads many items.
package index
