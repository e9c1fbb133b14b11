// Package statistics is the company statistics service of the examples:
// Service 2 of the data synchronization pattern. It keeps its own table of
// per-company statistics, holding a copy of each company's name that it
// receives from the profile service's change events (pattern 3), and it
// records the metadata of report files uploaded to S3 when S3 notifies it
// (event-driven updates, pattern 2). It knows nothing of the profile
// service but the events' format.
package statistics

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"

	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

// Stats are a company's statistics. CompanyName duplicates the profile
// service's name so that reading statistics never calls that service
// (principles 2, 3 and 5); Reports and ReportBytes are kept up to date on
// every upload instead of being counted on reads (principle 4).
type Stats struct {
	ID               string `dynamodbav:"id" json:"companyId"`
	CompanyName      string `dynamodbav:"companyName" json:"companyName"`
	CompanyNameLower string `dynamodbav:"companyNameLower,omitempty" json:"-"`
	Reports          int    `dynamodbav:"reports" json:"reports"`
	ReportBytes      int64  `dynamodbav:"reportBytes" json:"reportBytes"`
	SyncOrder        string `dynamodbav:"syncOrder,omitempty" json:"-"`
	Version          int64  `dynamodbav:"version" json:"version"`
}

// Report is the metadata of a report file uploaded to S3. Reports grow
// without bound, so they are items of their own, not a list inside Stats,
// kept in the company's partition next to its Stats (principle 11) and read
// with one query of it, ReportsOfCompany.
type Report struct {
	ID          string `dynamodbav:"id" json:"id"`
	CompanyID   string `dynamodbav:"companyId" json:"companyId"`
	Bucket      string `dynamodbav:"bucket" json:"bucket"`
	Key         string `dynamodbav:"key" json:"key"`
	Size        int64  `dynamodbav:"size" json:"size"`
	ContentType string `dynamodbav:"contentType" json:"contentType"`
	UploadedAt  string `dynamodbav:"uploadedAt" json:"uploadedAt"`
}

// The key templates of the statistics table: a company's partition holds
// its Stats and its Reports.
const (
	companyPK index.Template = "COMPANY#{id}"
	statsSK   index.Template = "STATS"
	reportPK  index.Template = "COMPANY#{companyId}"
	reportSK  index.Template = "REPORT#{id}"
)

// ReportsOfCompany lists a company's reports, newest first: the items of
// the company's partition whose sort key begins with "REPORT#", ordered by
// their time-ordered ids. It is derived from the reports' key templates.
var ReportsOfCompany = index.Children("a company's reports, newest first", reportPK, reportSK, true)

// CompanyOverview reads a company's whole partition in descending sort key
// order: its Stats ("STATS") first, then its reports, newest first — what
// the overview page shows, in one query.
var CompanyOverview = index.AccessPattern{
	Name:            "a company's statistics and latest reports",
	PartitionPrefix: companyPK.Prefix(),
	Descending:      true,
}

// Table declares the statistics table: per company, one partition holding
// its Stats ("STATS") and its Reports ("REPORT#<id>").
func Table(name string) index.Table {
	return index.Table{
		Name:         name,
		PartitionKey: index.S("pk"),
		SortKey:      index.S("sk"),
		Patterns:     []index.AccessPattern{ReportsOfCompany, CompanyOverview},
		TTL:          "expiresAt", // the Copier's tombstones expire

	}
}

// S3Client is the part of *s3.Client the service uses.
type S3Client interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// Service is the statistics service.
type Service struct {
	db      repository.TransactWriteItemsAPI
	stats   *repository.Repository[Stats]
	reports *repository.Repository[Report]
	s3      S3Client
}

// New returns the service over table, which must exist.
func New(db repository.Client, table index.Table, s3c S3Client) (*Service, error) {
	stats, err := repository.New[Stats](db, table,
		repository.WithKeys(companyPK, statsSK),
		repository.WithVersion("version"),
		repository.Derive("companyNameLower", func(s *Stats) any { return strings.ToLower(s.CompanyName) }, "companyName"),
	)
	if err != nil {
		return nil, err
	}
	reports, err := repository.New[Report](db, table,
		repository.WithParent("companyId"), repository.WithKeys(reportPK, reportSK))
	if err != nil {
		return nil, err
	}
	return &Service{db: db, stats: stats, reports: reports, s3: s3c}, nil
}

// FromEnvironment returns the service for a Lambda function: its table is
// named by the environment variable TABLE_NAME, and its clients use the
// function's AWS configuration.
func FromEnvironment(ctx context.Context) (*Service, error) {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return nil, errors.New("statistics: TABLE_NAME is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	return New(dynamodb.NewFromConfig(cfg), Table(table), s3.NewFromConfig(cfg))
}

// Subscriber returns the subscriber that keeps the company names: a
// [tssync.Copier] that creates a company's statistics on its first change
// and deletes them with the company.
func (s *Service) Subscriber(logger *slog.Logger) *tssync.Subscriber {
	sub := tssync.NewSubscriber(&tssync.Copier[Stats]{
		Repo:       s.stats,
		Attributes: map[string]string{"name": "companyName"},
		Create: func(_ context.Context, c tssync.Change) (*Stats, error) {
			var company struct {
				ID string `dynamodbav:"id"`
			}
			if err := c.Decode(&company); err != nil {
				return nil, err
			}
			return &Stats{ID: company.ID}, nil
		},
		DeleteOnRemove: true,
	})
	sub.Logger = logger
	return sub
}

// HandleS3Event records the reports an S3 event notification announces:
// for each created object under reports/<company id>/, it reads the object's
// size and type from S3 and, in one transaction, writes the Report and adds
// it to the company's Stats. The report's id is derived from the
// notification (see reportID), so a notification delivered twice records it
// once. It is a Lambda handler as it is (lambda.Start(svc.HandleS3Event)).
func (s *Service) HandleS3Event(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, rec := range ev.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			continue
		}
		if err := s.record(ctx, rec); err != nil {
			errs = append(errs, fmt.Errorf("s3://%s/%s: %w", rec.S3.Bucket.Name, rec.S3.Object.Key, err))
		}
	}
	return errors.Join(errs...)
}

// reportID returns the id of the report an S3 notification announces: a
// version 7 UUID whose time is the event's, to the millisecond and, in the
// 12 bits RFC 9562 (6.2, method 3) allows, its fraction, so reports sort by
// upload time, and whose other bits are a hash of the bucket, key and
// sequencer instead of random ones, so the same notification always yields
// the same id. Uploads within one 244ns step sort by the hash.
func reportID(rec events.S3EventRecord) string {
	h := sha256.Sum256([]byte(rec.S3.Bucket.Name + "/" + rec.S3.Object.Key + "#" + rec.S3.Object.Sequencer))
	var u uuid.UUID
	ms := uint64(rec.EventTime.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (8 * (5 - i)))
	}
	frac := uint64(rec.EventTime.Nanosecond()%1e6) << 12 / 1e6
	u[6] = 0x70 | byte(frac>>8) // version 7
	u[7] = byte(frac)
	copy(u[8:], h[:8])
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}

func (s *Service) record(ctx context.Context, rec events.S3EventRecord) error {
	// S3 notifications carry the key URL-encoded ("Q1+report.pdf").
	bucket, key := rec.S3.Bucket.Name, rec.S3.Object.URLDecodedKey
	if key == "" {
		key = rec.S3.Object.Key // an event built in Go, not decoded from JSON
	}
	company, _, ok := strings.Cut(strings.TrimPrefix(key, "reports/"), "/")
	if !strings.HasPrefix(key, "reports/") || !ok {
		return nil // not a report
	}
	if _, err := s.stats.Key(company); err != nil {
		return nil // not a company's report: it would fail on every delivery
	}
	head, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	r := Report{
		ID:          reportID(rec),
		CompanyID:   company,
		Bucket:      bucket,
		Key:         key,
		Size:        aws.ToInt64(head.ContentLength),
		ContentType: aws.ToString(head.ContentType),
		UploadedAt:  rec.EventTime.UTC().Format(time.RFC3339Nano),
	}
	var tx repository.Tx
	tx.Include(s.reports.PlanCreate(ctx, &r))
	// Counters without a read (ADD): no version needed, and the version
	// still moves for the service's read-modify-write writers.
	tx.Include(s.stats.PlanUpdate(ctx, company, repository.Add("reports", 1).Add("reportBytes", r.Size)))
	err = tx.Commit(ctx, s.db)
	var txErr *repository.TxError
	if errors.As(err, &txErr) && txErr.Index == 0 && errors.Is(err, repository.ErrAlreadyExists) {
		return nil // recorded before: a duplicate notification
	}
	return err
}

// Handler returns the REST API:
//
//	GET /companies/{id}/stats     the company's statistics
//	GET /companies/{id}/reports   its reports, newest first (?cursor= for more)
func (s *Service) Handler(logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /companies/{id}/stats", func(w http.ResponseWriter, r *http.Request) {
		st, err := s.stats.Get(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, repository.ErrInvalidID):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, repository.ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no statistics for this company"})
		case err != nil:
			logger.ErrorContext(r.Context(), "statistics: read failed", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		default:
			writeJSON(w, http.StatusOK, st)
		}
	})
	mux.HandleFunc("GET /companies/{id}", func(w http.ResponseWriter, r *http.Request) {
		// A company's statistics with its 20 latest reports, in one query.
		ov, err := s.Overview(r.Context(), r.PathValue("id"), 20)
		switch {
		case errors.Is(err, repository.ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no statistics for this company"})
		case errors.Is(err, index.ErrInvalidPattern):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case err != nil:
			logger.ErrorContext(r.Context(), "statistics: overview failed", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		default:
			writeJSON(w, http.StatusOK, ov)
		}
	})
	mux.HandleFunc("GET /companies/{id}/reports", func(w http.ResponseWriter, r *http.Request) {
		page, next, err := s.reports.Page(r.Context(), ReportsOfCompany.Partition(r.PathValue("id")),
			repository.Cursor(r.URL.Query().Get("cursor")), repository.Limit(25))
		switch {
		case errors.Is(err, repository.ErrInvalidCursor):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid cursor"})
		case err != nil:
			logger.ErrorContext(r.Context(), "statistics: list failed", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		default:
			if page == nil {
				page = []Report{}
			}
			writeJSON(w, http.StatusOK, map[string]any{"reports": page, "next": next})
		}
	})
	return mux
}

// Overview is a company's statistics with its latest reports.
type Overview struct {
	Stats         Stats    `json:"stats"`
	LatestReports []Report `json:"latestReports"`
}

// Overview reads a company's statistics and its latest reports, at most
// latest of them, newest first, with one query of the company's partition
// (a [repository.Collection] of the two entity types). It returns
// [repository.ErrNotFound] when the company has no statistics.
func (s *Service) Overview(ctx context.Context, companyID string, latest int) (Overview, error) {
	var stats []Stats
	reports := []Report{}
	col, err := repository.NewCollection(repository.Into(s.stats, &stats), repository.Into(s.reports, &reports))
	if err != nil {
		return Overview{}, err
	}
	if _, err := col.Page(ctx, CompanyOverview.Partition(companyID), "", repository.Limit(latest+1)); err != nil {
		return Overview{}, err
	}
	if len(stats) == 0 {
		return Overview{}, fmt.Errorf("%w: statistics of company %q", repository.ErrNotFound, companyID)
	}
	return Overview{Stats: stats[0], LatestReports: reports}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ReceiveUploads long-polls queueURL, the SQS queue S3 sends the reports
// bucket's object-created notifications to, and records each report
// ([Service.HandleS3Event]) until ctx is done. A notification that fails
// stays on the queue and is delivered again.
func (s *Service) ReceiveUploads(ctx context.Context, client tssync.SQSClient, queueURL string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logger.WarnContext(ctx, "statistics: receive failed", "error", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		}
		var done []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			var ev events.S3Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				// It would fail on every delivery: drop it.
				logger.ErrorContext(ctx, "statistics: not an S3 notification; dropped", "error", err)
			} else if err := s.HandleS3Event(ctx, ev); err != nil {
				logger.WarnContext(ctx, "statistics: upload not recorded yet; it will be delivered again", "error", err)
				continue
			}
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if len(done) > 0 {
			if _, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: done}); err != nil {
				logger.WarnContext(ctx, "statistics: delete failed; the uploads will be recorded again, harmlessly", "error", err)
			}
		}
	}
}
