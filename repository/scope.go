package repository

import (
	"fmt"
	"strings"

	"github.com/tablestakes/tablestakes/index"
)

// scope checks that a query of the base table can hold T's items, and,
// on a repository bound to a parent ([Repository.In]), confines it to the
// parent's partition: a query without a partition value reads the
// parent's, and one of another partition is refused. Queries of secondary
// indexes pass unchanged. Errors match [index.ErrInvalidPattern].
func (r *Repository[T]) scope(q index.Query) (index.Query, error) {
	if q.Pattern.Index != "" {
		return q, nil
	}
	if r.scoped {
		if r.scopeErr != nil {
			return q, r.scopeErr
		}
		if err := r.checkParent(r.parent); err != nil {
			return q, err
		}
		want, err := r.pk.Expand(func(f string) (string, bool) { return r.parent, f == r.s.parentAttr })
		if err != nil {
			return q, fmt.Errorf("%w: In(%q) scopes queries of the parent's partition, but the partition key template %q needs more than the parent",
				index.ErrInvalidPattern, r.parent, string(r.pk))
		}
		if q.Value == nil || q.Value == "" {
			q.Value = strings.TrimPrefix(want, q.Pattern.PartitionPrefix)
		}
		if v, err := q.PartitionValue(); err != nil || v != want {
			return q, fmt.Errorf("%w: pattern %q reads partition %v, but the repository is bound to parent %q (partition %q) by In",
				index.ErrInvalidPattern, q.Pattern.Name, v, r.parent, want)
		}
	}
	v, err := q.PartitionValue()
	if err != nil {
		return q, err
	}
	if s, ok := v.(string); ok && !r.pk.Matches(s) {
		return q, fmt.Errorf("%w: pattern %q reads partition %q, which cannot hold %s items (partition keys %q)",
			index.ErrInvalidPattern, q.Pattern.Name, s, r.entityType, string(r.pk))
	}
	if sp, own := q.Pattern.SortPrefix, r.sk.Prefix(); sp != "" && !strings.HasPrefix(sp, own) && !strings.HasPrefix(own, sp) {
		return q, fmt.Errorf("%w: pattern %q reads sort keys beginning %q, where no %s item is (sort keys %q)",
			index.ErrInvalidPattern, q.Pattern.Name, sp, r.entityType, string(r.sk))
	}
	return q, nil
}
