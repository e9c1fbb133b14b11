// Package repository provides Repository[T], a typed repository of one
// entity type in a DynamoDB table, that makes the design principles the
// default and their violations hard to write.
//
// It carries these principles:
//
//   - 1, GUIDs not incremental ids: [Repository.Create] generates a UUID
//     (version 7) and writes it under attribute_not_exists; an id that is not
//     a canonical UUID is refused with an [*IDError] before any request,
//     unless the model declares a natural unique key ([WithNaturalKey]).
//   - 2 and 5, denormalized items served from one table: a model embeds what
//     its reads need; there are no joins, only Get and declared queries.
//     Several entity types share a table and a partition: every item names
//     its type ([EntityTypeAttribute]), reads return only their own type,
//     and a [Collection] reads a partition's types with one query a page.
//     The library's own items (unique guards) live in a reserved key space
//     no model key reaches.
//   - 4, precomputed data: [Derive], [WithIndexKey] and [WithPrecompute]
//     compute attributes on every write, and an Update that changes an input
//     updates the derived attribute in the same request.
//   - 6, eventual consistency: reads are eventually consistent unless
//     [ConsistentRead] is given.
//   - 8, queries around access patterns: multi-item reads go through an
//     [index.AccessPattern] declared with the table; [Repository.Query]
//     iterates lazily and [Repository.Page] returns signed cursors.
//   - 10, item sizes: every item is measured by DynamoDB's rules and refused
//     over 400 KB ([*ItemTooLargeError]) before sending; consumed capacity is
//     reported through [WithCapacityHook] or [ReportCapacity].
//   - 11, bounded nested collections: [WithBound] refuses a collection that
//     outgrows its bound ([*GrowthError]); [WithParent] keeps an unbounded
//     one as items of their own in the parent's partition, read with one
//     query ([Repository.In] addresses them).
//   - 12, no scans: [Repository.Scan] returns [ErrScanDisabled] unless the
//     repository is built [WithScan].
//
// Every write is planned as a [Write] and sent through one path, which the
// conditional package also uses to compose transactions.
//
// # Exactly-once writes
//
// A write that DynamoDB applied but whose response was lost (a reset
// connection, a timeout, a 500 after the write) is sent again by the SDK's
// retryer. Sent again as a plain request, a conditional write would fail
// on its own result (a Create as [ErrAlreadyExists], a versioned write as
// [ErrVersionConflict]) and a counter would count twice. So the repository
// sends every write that a resend could misreport or repeat — Create; a
// versioned or [If]-conditioned Put, Update or Delete; an Update that adds
// to a number or appends to a list — as a TransactWriteItems of one item
// under an idempotency token ([Token]); DynamoDB answers the resend with
// success and applies nothing twice, whatever other writers did in between.
// Writes that land the same however often they are sent (a plain Put, an
// Update that only sets and removes, an unconditional Delete, batch writes)
// go as plain requests. The price is DynamoDB's for transactions: two write
// units per KB instead of one, and an Update reads the item back (a
// transaction returns no values). [WithRetryUnsafeWrites] trades the
// guarantee for the plain price; [Token] lets a caller make its own
// retries of a whole call exactly-once too.
//
// # The company profile service
//
//	type Company struct {
//		ID        string `dynamodbav:"id"`
//		Name      string `dynamodbav:"name"`
//		Industry  string `dynamodbav:"industry"`
//		CreatedAt string `dynamodbav:"createdAt"`
//	}
//
//	repo, err := repository.New[Company](client, profiles,
//		repository.WithKeys("COMPANY#{id}", "PROFILE"),
//		repository.Derive("nameLower", func(c *Company) any { return strings.ToLower(c.Name) }, "name"),
//	)
//	c := Company{Name: "Acme", Industry: "fintech", CreatedAt: "2026-11-25"}
//	err = repo.Create(ctx, &c)            // c.ID is now a fresh UUID
//	got, err := repo.Get(ctx, c.ID)       // eventually consistent
//	got, err = repo.Update(ctx, c.ID, repository.Set("name", "Acme Ltd")) // nameLower follows
//	for c, err := range repo.Query(ctx, byIndustry.Partition("fintech")) { ... }
package repository
