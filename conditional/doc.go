// Package conditional builds on the repository's write path to make
// concurrent writers safe without locks: read-modify-write under optimistic
// locking, conditions, and counters for transactions.
//
// Principle 7 (transactions through conditional writes) has one home for
// each of its parts, so that each has one name: the declarations that apply
// on every write path live on the repository, where no write can forget
// them — [repository.WithVersion] (optimistic locking),
// [repository.WithUnique] (unique attributes, the guard half of principle
// 1), [repository.If] (a write's condition) — and so do transactions,
// [repository.Tx], and the sentinels callers match. This package adds what
// composes those writes:
//
//   - [Mutate] reads an item, applies a function and writes it back under a
//     version check, retrying on conflicts from fresh state; its function
//     runs once per attempt, and a write whose response was lost is not
//     attempted again (the repository's writes are exactly-once).
//   - Conditions ([Exists], [Equal], [Compare], [BeginsWith], [SizeOf],
//     [HasType]) build the expression package's conditions with attribute
//     names taken literally, for [repository.If]; expression.And, Or and
//     Not combine them.
//   - [Increment] plans an atomic counter (ADD) for a [repository.Tx],
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
//	var tx repository.Tx
//	tx.Include(companies.PlanCreate(ctx, &c))
//	tx.Include(conditional.Increment(ctx, stats, industryID, "companies", 1))
//	err = tx.Commit(ctx, client)
//	var txErr *repository.TxError
//	if errors.As(err, &txErr) { /* txErr.Index says which write failed */ }
package conditional
