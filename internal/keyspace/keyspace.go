// Package keyspace names the part of a table's key space where the
// library keeps its own items — unique attribute guards, sync tombstones,
// stream checkpoints — so that no model's id, natural key or parent can
// reach them.
package keyspace

import "strings"

// Prefixes are the partition key prefixes of the library's own items:
// unique guards are keyed "UNIQUE#<entity>#<attribute>#<value>", and the
// sync package's items "SYNC-TOMBSTONE#…" and "SYNC-CHECKPOINT#…".
var prefixes = [...]string{"UNIQUE#", "SYNC-"}

// Reserved reports whether the partition key value pk lies in the
// library's part of the key space.
func Reserved(pk string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(pk, p) {
			return true
		}
	}
	return false
}

// Prefixes returns the reserved prefixes, for messages and docs.
func Prefixes() []string { return prefixes[:] }

// Token is what only the library's own models can return from
// LibraryKeySpace: the package is internal, so no other module can name it.
type Token struct{}

// Owner is implemented by the library's own models, which keep their items
// in the reserved key space.
type Owner interface{ LibraryKeySpace() Token }

// Library, embedded in a model (with the tag `dynamodbav:"-"`), makes it
// an [Owner].
type Library struct{}

// LibraryKeySpace marks the embedding model as the library's own.
func (Library) LibraryKeySpace() Token { return Token{} }
