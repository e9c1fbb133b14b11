package sync

import (
	"slices"
	"strings"

	"github.com/tablestakes/tablestakes/policy"
	"github.com/tablestakes/tablestakes/repository"
)

// Permissions returns the IAM access the publisher needs, for
// [policy.New]: sns:Publish on its topic and, with [WithS3], s3:PutObject
// under its prefix in the bucket. The stream it reads is the reader's
// ([StreamReader.Permissions]) or, in Lambda, the event source mapping's.
func (p *Publisher) Permissions() []policy.Access {
	out := []policy.Access{policy.Publish(p.topic[strings.LastIndex(p.topic, ":")+1:])}
	if p.s3 != nil {
		out = append(out, policy.PutObjects(p.bucket, p.prefix+"*"))
	}
	return out
}

// Permissions returns the IAM access the reader needs: DescribeStream,
// GetShardIterator and GetRecords on its table's streams.
func (r *StreamReader) Permissions() []policy.Access {
	return []policy.Access{policy.ReadStream(r.table)}
}

// Permissions returns the IAM access the checkpoints need: GetItem and
// PutItem on their table.
func (c *TableCheckpoints) Permissions() []policy.Access {
	return c.repo.Permissions(repository.MethodGet, repository.MethodPut)
}

// Permissions returns the IAM access the copier needs on its repository's
// table: UpdateItem for a change; PutItem when it has a Create function;
// with DeleteOnRemove, DeleteItem and PutItem for a removal and its
// tombstone, and ConditionCheckItem for a create that checks the tombstone
// (plus what unique attributes of the copy need).
func (cp *Copier[T]) Permissions() []policy.Access {
	if cp.Repo == nil {
		return nil
	}
	methods := []repository.Method{repository.MethodPlanUpdate}
	if cp.Create != nil {
		methods = append(methods, repository.MethodCreate)
	}
	if cp.DeleteOnRemove {
		methods = append(methods, repository.MethodDelete, repository.MethodPut)
		if cp.Create != nil {
			methods = append(methods, repository.MethodCheck)
		}
	}
	return cp.Repo.Permissions(methods...)
}

// Permissions returns the IAM access the subscriber needs to receive from
// queue (sqs:ReceiveMessage and sqs:DeleteMessage, as [Subscriber.Receive]
// sends; "" for a subscriber that does not receive from a queue itself, as
// in Lambda), what its handlers need — those with a method
// Permissions() []policy.Access, such as a [Copier] — and, with
// [WithS3Claims], s3:GetObject on the buckets it names (a subscriber
// accepting claims from any bucket gets none: name the buckets).
func (s *Subscriber) Permissions(queue string) []policy.Access {
	var out []policy.Access
	if queue != "" {
		out = append(out, policy.Receive(queue))
	}
	for _, h := range s.Handlers {
		if p, ok := h.(interface{ Permissions() []policy.Access }); ok {
			out = append(out, p.Permissions()...)
		}
	}
	if s.s3 != nil {
		buckets := make([]string, 0, len(s.buckets))
		for b := range s.buckets {
			buckets = append(buckets, b)
		}
		slices.Sort(buckets)
		for _, b := range buckets {
			out = append(out, policy.GetObjects(b, "*"))
		}
	}
	return out
}
