package sync

import (
	"cmp"
	"slices"
)

// Superseder is a [Handler] for which applying a later change of an item
// can stand in for applying an earlier one, such as a handler that copies
// attribute values and keeps only the latest ([Copier]).
//
// When every handler of a [Subscriber] is a Superseder, the subscriber
// applies, of the changes of one item it holds at once (one Lambda event,
// or the messages of the item that arrived while its previous change was
// being applied), only those that no later one supersedes — and none
// across a Remove received between the two: one at a time, a change
// applied before a late Remove of an earlier life of the item can keep the
// Remove from deleting the copy, which the change received after the
// Remove cannot do in its stead. A superseded
// change is counted in [Counts].Superseded; its message is deleted (or
// reported handled) when the change that supersedes it has been applied,
// and left to be delivered again when that one fails, so nothing is lost.
// Under a backlog, when many changes of an item wait, this saves a write
// per change superseded; an idle path applies every change as it comes.
//
// A handler wrapping a Superseder (for metrics, say) must implement
// Supersedes too, or the subscriber applies every change.
type Superseder interface {
	Handler
	// Supersedes reports whether applying later leaves the handler's
	// target as applying earlier and then later would, so that earlier
	// need not be applied. later and earlier are changes of one item (one
	// owner table and key). It must be safe for concurrent use and must
	// not block: it is called with no request of its own.
	Supersedes(later, earlier Change) bool
}

// superseding returns which of cs, the changes of one item in the order
// received, to apply: host[i] == i for a change to apply, else the index of
// the later change applied instead. It supersedes nothing unless every
// handler is a [Superseder], never a change stored in S3 (its images
// are not at hand yet), and never across a Remove received between the
// two changes.
func (s *Subscriber) superseding(cs []Change) (host []int) {
	host = make([]int, len(cs))
	for i := range host {
		host[i] = i
	}
	if len(cs) < 2 || len(s.Handlers) == 0 {
		return host
	}
	ss := make([]Superseder, len(s.Handlers))
	for i, h := range s.Handlers {
		sh, ok := h.(Superseder)
		if !ok {
			return host
		}
		ss[i] = sh
	}
	orders := make([]string, len(cs))
	for i, c := range cs {
		orders[i] = c.Order()
	}
	byOrder := make([]int, len(cs)) // latest first
	for i := range byOrder {
		byOrder[i] = i
	}
	slices.SortStableFunc(byOrder, func(a, b int) int { return cmp.Compare(orders[b], orders[a]) })
	// removes[i] counts the Removes received before cs[i].
	removes := make([]int, len(cs)+1)
	for i, c := range cs {
		removes[i+1] = removes[i]
		if c.Event == Remove {
			removes[i+1]++
		}
	}
	// across reports a Remove received between cs[i] and cs[k]: applied
	// one at a time, the earlier of them acts on the copy before the Remove
	// does (its order marker can hold the copy past a late Remove), the
	// later one after it, so neither stands in for the other.
	across := func(i, k int) bool {
		lo, hi := min(i, k), max(i, k)
		return removes[hi]-removes[lo+1] > 0
	}
	var kept []int
	for _, i := range byOrder {
		if cs[i].Claim == nil {
			for _, k := range kept {
				if orders[k] > orders[i] && cs[k].Claim == nil && !across(i, k) && supersedesAll(ss, cs[k], cs[i]) {
					host[i] = k
					break
				}
			}
		}
		if host[i] == i {
			kept = append(kept, i)
		}
	}
	return host
}

// supersedesAll reports whether later supersedes earlier for every handler.
func supersedesAll(ss []Superseder, later, earlier Change) bool {
	for _, s := range ss {
		if !s.Supersedes(later, earlier) {
			return false
		}
	}
	return true
}
