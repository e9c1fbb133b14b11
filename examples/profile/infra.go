package profile

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/cli"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/policy"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// Names are the names of the profile service's resources in one
// deployment.
type Names struct {
	// Table is the companies table ([Table]).
	Table string
	// Checkpoints is the table of the publisher's stream positions
	// ([CheckpointTable]).
	Checkpoints string
	// Topic is the SNS topic the name changes are published to.
	Topic string
}

// NamesFor returns the names of the service's resources in the deployment
// whose names start with prefix.
func NamesFor(prefix string) Names {
	return Names{Table: prefix + "-companies", Checkpoints: prefix + "-companies-stream", Topic: prefix + "-company-changes"}
}

// CheckpointTable declares the table of the publisher's stream positions:
// a table of its own, since writes to the companies table are records of
// its stream.
func CheckpointTable(name string) index.Table {
	return index.Table{Name: name, PartitionKey: index.S("pk")}
}

// Permissions returns what the service's API sends: reads by id and by
// industry, and creates, updates and deletes with optimistic locking and a
// unique registration number, plus the check of its table at start-up.
func (s *Service) Permissions() []policy.Access {
	return slices.Concat(
		s.companies.Permissions(repository.MethodGet, repository.MethodQuery,
			repository.MethodCreate, repository.MethodUpdate, repository.MethodDelete),
		policy.Verify(s.companies.Table()),
	)
}

// Declaration declares the service for the tablestakes command
// ([cli.Program]): its tables, and what its API and its stream publisher
// send in the deployment whose names start with prefix. It builds the
// service's components without sending anything.
func Declaration(prefix string) (cli.Service, error) {
	n := NamesFor(prefix)
	offline := dynamodb.New(dynamodb.Options{})
	svc, err := New(offline, Table(n.Table), make([]byte, 32))
	if err != nil {
		return cli.Service{}, err
	}
	checkpoints, err := tssync.NewTableCheckpoints(offline, CheckpointTable(n.Checkpoints))
	if err != nil {
		return cli.Service{}, err
	}
	// The stream's label is only known once the table exists; the
	// reader's permissions cover the table's streams, whatever the label.
	reader := tssync.NewStreamReader(nil, "arn:aws:dynamodb:us-east-1:000000000000:table/"+n.Table+"/stream/label")
	publisher := NewPublisher(nil, "arn:aws:sns:us-east-1:000000000000:"+n.Topic)
	return cli.Service{
		Name:   "profile",
		Tables: []index.Table{Table(n.Table), CheckpointTable(n.Checkpoints)},
		Access: slices.Concat(
			svc.Permissions(),
			checkpoints.Permissions(), policy.Verify(CheckpointTable(n.Checkpoints)),
			reader.Permissions(),
			publisher.Permissions(),
		),
	}, nil
}
