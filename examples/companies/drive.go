package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tablestakes/tablestakes/examples/profile"
	"github.com/tablestakes/tablestakes/examples/statistics"
)

// drive plays a client of both services and checks what they promise.
func drive(ctx context.Context, out io.Writer, d *deployment) error {
	c := &client{ctx: ctx, http: &http.Client{Timeout: 10 * time.Second}}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	// Principle 1: ids are generated UUIDs; registration numbers are unique.
	var acme, bolt, cobalt profile.Company
	for _, x := range []struct {
		body string
		into *profile.Company
	}{
		{`{"name":"Acme","industry":"fintech","registrationNo":"NO-918273645","employees":40}`, &acme},
		{`{"name":"Bolt","industry":"fintech","registrationNo":"NO-918273646","employees":12}`, &bolt},
		{`{"name":"Cobalt","industry":"retail","registrationNo":"NO-918273647","employees":300}`, &cobalt},
	} {
		if err := c.expect("POST", d.profileURL+"/companies", x.body, "", http.StatusCreated, x.into); err != nil {
			return err
		}
	}
	created := time.Now()
	say("created Acme %s, Bolt and Cobalt (UUID v7 ids)", acme.ID)
	var dup map[string]any
	if err := c.expect("POST", d.profileURL+"/companies", `{"name":"Acme Copy","industry":"fintech","registrationNo":"NO-918273645"}`,
		"", http.StatusConflict, &dup); err != nil {
		return err
	}
	say("a second company with Acme's registration number: 409 %s %q", dup["code"], dup["detail"])
	if err := c.expect("GET", d.profileURL+"/companies/42", "", "", http.StatusBadRequest, nil); err != nil {
		return err
	}
	say("a non-UUID id: 400 before any request to DynamoDB")

	// Principle 8: a declared access pattern, a page at a time, newest first.
	var names []string
	next := ""
	for {
		var page struct {
			Companies []profile.Company `json:"companies"`
			Next      string            `json:"next"`
		}
		u := d.profileURL + "/industries/fintech/companies?limit=1&cursor=" + url.QueryEscape(next)
		if err := c.expect("GET", u, "", "", http.StatusOK, &page); err != nil {
			return err
		}
		for _, co := range page.Companies {
			names = append(names, co.Name)
		}
		if page.Next == "" {
			break
		}
		if next == "" {
			// A cursor edited by the client is refused.
			tampered := page.Next[:len(page.Next)-2] + "xx"
			if err := c.expect("GET", d.profileURL+"/industries/fintech/companies?cursor="+url.QueryEscape(tampered), "", "",
				http.StatusBadRequest, nil); err != nil {
				return err
			}
		}
		next = page.Next
	}
	if got := strings.Join(names, ", "); got != "Bolt, Acme" {
		return fmt.Errorf("fintech companies newest first = %s; want Bolt, Acme", got)
	}
	say("fintech companies, newest first, one per page: %s (a tampered cursor: 400)", strings.Join(names, ", "))

	// Principles 3, 6 and 9: the statistics service gets its copy of the name.
	if err := c.await(d.statsURL+"/companies/"+acme.ID+"/stats", func(s statistics.Stats) bool { return s.CompanyName == "Acme" }); err != nil {
		return err
	}
	say("statistics service has its copy of Acme's name (seen %s after the create)", since(created))

	// Principle 7: optimistic locking through ETags.
	var renamed profile.Company
	if err := c.expect("PATCH", d.profileURL+"/companies/"+acme.ID, `{"name":"Acme Holdings"}`, `"1"`, http.StatusOK, &renamed); err != nil {
		return err
	}
	var stale struct {
		Code    string          `json:"code"`
		Current profile.Company `json:"current"`
	}
	if err := c.expect("PATCH", d.profileURL+"/companies/"+acme.ID, `{"name":"Acme Stale"}`, `"1"`, http.StatusPreconditionFailed, &stale); err != nil {
		return err
	}
	if current := stale.Current; stale.Code != "version_conflict" || current.Name != "Acme Holdings" || current.Version != 2 {
		return fmt.Errorf("412 body = %+v; want a version conflict with the current company, Acme Holdings at version 2", stale)
	}
	say("renamed Acme to %q (version %d); a stale rename: 412 with the current company", renamed.Name, renamed.Version)
	if err := c.expect("PATCH", d.profileURL+"/companies/"+bolt.ID, `{"employees":13}`, `"1"`, http.StatusOK, nil); err != nil {
		return err
	}

	start := time.Now()
	if err := c.await(d.statsURL+"/companies/"+acme.ID+"/stats", func(s statistics.Stats) bool { return s.CompanyName == "Acme Holdings" }); err != nil {
		return err
	}
	say("statistics service has the new name %s after the rename", since(start))

	// Pattern 2: uploads to S3 update the statistics, once per upload.
	if err := c.await(d.statsURL+"/companies/"+bolt.ID+"/stats", func(s statistics.Stats) bool { return s.CompanyName == "Bolt" }); err != nil {
		return err
	}
	sizes := map[string]int{"2026-q2.pdf": 2048, "2026-q3.pdf": 4096}
	for _, file := range []string{"2026-q2.pdf", "2026-q3.pdf"} {
		key := "reports/" + acme.ID + "/" + file
		note, err := d.upload(ctx, key, bytes.Repeat([]byte("%"), sizes[file]))
		if err != nil {
			return err
		}
		// The local S3 sends no notifications: send the one S3 would,
		// twice for the first upload, as S3 may.
		copies := 1
		if file == "2026-q2.pdf" {
			copies = 2
		}
		for range copies {
			if _, err := d.env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.uploadsQueue), MessageBody: aws.String(note)}); err != nil {
				return err
			}
		}
	}
	if err := c.await(d.statsURL+"/companies/"+acme.ID+"/stats", func(s statistics.Stats) bool {
		return s.Reports == 2 && s.ReportBytes == 2048+4096
	}); err != nil {
		return err
	}
	var reports struct {
		Reports []statistics.Report `json:"reports"`
	}
	if err := c.expect("GET", d.statsURL+"/companies/"+acme.ID+"/reports", "", "", http.StatusOK, &reports); err != nil {
		return err
	}
	if len(reports.Reports) != 2 || !strings.HasSuffix(reports.Reports[0].Key, "2026-q3.pdf") {
		return fmt.Errorf("reports = %+v; want 2, the newest (2026-q3.pdf) first", reports.Reports)
	}
	say("two uploads (one notified twice): 2 reports, %d bytes, newest first", 2048+4096)

	// The overview: the statistics and the latest reports, one query.
	var ov statistics.Overview
	if err := c.expect("GET", d.statsURL+"/companies/"+acme.ID, "", "", http.StatusOK, &ov); err != nil {
		return err
	}
	if ov.Stats.Reports != 2 || len(ov.LatestReports) != 2 || !strings.HasSuffix(ov.LatestReports[0].Key, "2026-q3.pdf") {
		return fmt.Errorf("overview = %+v; want the statistics and 2 reports, newest first", ov)
	}
	say("a company with its latest reports, in one query: %d reports", len(ov.LatestReports))

	// A deleted company's statistics go with it.
	if err := c.expect("DELETE", d.profileURL+"/companies/"+cobalt.ID, "", `"1"`, http.StatusNoContent, nil); err != nil {
		return err
	}
	start = time.Now()
	if err := c.awaitStatus(d.statsURL+"/companies/"+cobalt.ID+"/stats", http.StatusNotFound); err != nil {
		return err
	}
	say("deleted Cobalt; its statistics were removed %s later", since(start))
	return nil
}

// upload puts an object in the reports bucket and returns the notification
// S3 sends for it.
func (d *deployment) upload(ctx context.Context, key string, body []byte) (string, error) {
	put, err := d.env.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(d.bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/pdf"),
	})
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: "us-east-1", EventTime: now, EventName: "ObjectCreated:Put",
		S3: events.S3Entity{
			SchemaVersion: "1.0",
			Bucket:        events.S3Bucket{Name: d.bucket, Arn: "arn:aws:s3:::" + d.bucket},
			Object: events.S3Object{
				Key: key, Size: int64(len(body)), ETag: strings.Trim(aws.ToString(put.ETag), `"`),
				Sequencer: fmt.Sprintf("%016X", now.UnixNano()),
			},
		},
	}}}
	b, err := json.Marshal(ev)
	return string(b), err
}

func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }

// client calls the services' APIs.
type client struct {
	ctx  context.Context
	http *http.Client
}

// do sends a request and returns the status and body.
func (c *client) do(method, url, body, ifMatch string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(c.ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// expect sends a request, checks its status and decodes the body into v.
func (c *client) expect(method, url, body, ifMatch string, status int, v any) error {
	got, b, err := c.do(method, url, body, ifMatch)
	if err != nil {
		return err
	}
	if got != status {
		return fmt.Errorf("%s %s = %d %s; want %d", method, url, got, bytes.TrimSpace(b), status)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s %s: body %s: %w", method, url, b, err)
		}
	}
	return nil
}

// await polls url until its statistics satisfy ok: copies are eventually
// consistent (principle 6).
func (c *client) await(url string, ok func(statistics.Stats) bool) error {
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		status, b, err := c.do("GET", url, "", "")
		if err != nil {
			return err
		}
		last = fmt.Sprintf("%d %s", status, bytes.TrimSpace(b))
		var s statistics.Stats
		if status == http.StatusOK && json.Unmarshal(b, &s) == nil && ok(s) {
			return nil
		}
	}
	return fmt.Errorf("GET %s: not as expected within 30s; last: %s", url, last)
}

// awaitStatus polls url until it answers status.
func (c *client) awaitStatus(url string, status int) error {
	var last int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got, _, err := c.do("GET", url, "", "")
		if err != nil {
			return err
		}
		if last = got; got == status {
			return nil
		}
	}
	return fmt.Errorf("GET %s = %d after 30s; want %d", url, last, status)
}
