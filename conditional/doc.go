// Package conditional builds on the repository's write path to make
// concurrent writers safe without locks: optimistic locking with
// read-modify-write retries, typed conditions, transactions across
// repositories and tables, unique attributes and atomic counters.
//
// It carries principle 7 (build transactions from conditional writes) and
// the unique-attribute half of principle 1. The declarations that apply on
// every write path live on the repository, so that no write can forget them:
// [repository.WithVersion] turns on optimistic locking and
// [repository.WithUnique] declares unique attributes. This package composes
// those writes:
//
//   - [Mutate] reads an item, applies a function and writes it back under a
//     version check, retrying on conflicts from fresh state; its function
//     runs once per attempt, and a write whose response was lost is not
//     attempted again (the repository's writes are exactly-once).
//   - [Tx] collects planned writes from several repositories and tables and
//     commits them atomically with an idempotency token; a canceled
//     transaction reports which write failed and why.
//   - Conditions ([Exists], [Equal], [Compare], [BeginsWith], [SizeOf],
//     [HasType], combined with [And], [Or], [Not]) are typed wrappers over
//     the expression package for [If].
//   - [Increment] is an atomic counter (ADD) usable alone or in a [Tx],
//     applied once however often the SDK resends it.
//
// # Moving a company's registration number
//
//	companies, _ := repository.New[Company](client, profiles,
//		repository.WithKeys("COMPANY#{id}", "PROFILE"),
//		repository.WithVersion("version"),
//		repository.WithUnique("registration"))
//
//	// Rename safely against concurrent writers:
//	c, err := conditional.Mutate(ctx, companies, id, func(c *Company) error {
//		c.Name = "Acme Ltd"
//		return nil
//	})
//
//	// Create a company and count it in the statistics table, atomically:
//	var tx conditional.Tx
//	tx.Add(companies.PlanCreate(ctx, &c))
//	tx.Add(conditional.Increment(ctx, stats, industryID, "companies", 1))
//	err = tx.Commit(ctx, client)
//	var txErr *repository.TxError
//	if errors.As(err, &txErr) { /* txErr.Index says which write failed */ }
package conditional
