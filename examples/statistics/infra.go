package statistics

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tablestakes/tablestakes/cli"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/policy"
	"github.com/tablestakes/tablestakes/repository"
)

// Names are the names of the statistics service's resources in one
// deployment.
type Names struct {
	// Table is the statistics table ([Table]).
	Table string
	// Changes is the SQS queue subscribed to the profile service's topic.
	Changes string
	// Uploads is the SQS queue the reports bucket notifies.
	Uploads string
	// Bucket is the S3 bucket reports are uploaded to.
	Bucket string
}

// NamesFor returns the names of the service's resources in the deployment
// whose names start with prefix.
func NamesFor(prefix string) Names {
	return Names{
		Table:   prefix + "-statistics",
		Changes: prefix + "-statistics-company-changes",
		Uploads: prefix + "-statistics-uploads",
		Bucket:  prefix + "-reports",
	}
}

// Permissions returns what the service sends: reading statistics and
// reports, recording an upload (a report created and its counts updated in
// one transaction, after reading the object's size from bucket), the
// subscriber's copies of company names (received from the changes queue)
// and the uploads received from the uploads queue, plus the check of its
// table at start-up.
func (s *Service) Permissions(n Names) []policy.Access {
	return slices.Concat(
		s.stats.Permissions(repository.MethodGet, repository.MethodPlanUpdate),
		s.reports.Permissions(repository.MethodCreate, repository.MethodQuery),
		s.Subscriber(nil).Permissions(n.Changes),
		[]policy.Access{policy.GetObjects(n.Bucket, "reports/*"), policy.Receive(n.Uploads)},
		policy.Verify(s.stats.Table()),
	)
}

// Declaration declares the service for the tablestakes command
// ([cli.Program]) in the deployment whose names start with prefix. It
// builds the service without sending anything.
func Declaration(prefix string) (cli.Service, error) {
	n := NamesFor(prefix)
	svc, err := New(dynamodb.New(dynamodb.Options{}), Table(n.Table), nil)
	if err != nil {
		return cli.Service{}, err
	}
	return cli.Service{
		Name:   "statistics",
		Tables: []index.Table{Table(n.Table)},
		Access: svc.Permissions(n),
	}, nil
}
