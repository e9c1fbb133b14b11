package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tablestakes/tablestakes/cfn"
	"github.com/tablestakes/tablestakes/index"
	"github.com/tablestakes/tablestakes/internal/localaws"
	"github.com/tablestakes/tablestakes/policy"
)

// Service is what one service declares: its tables and the requests its
// components send.
type Service struct {
	// Name names the service, for -service and the policy's resource id.
	Name string
	// Tables are the tables the service owns.
	Tables []index.Table
	// Access is what the service's components send, from their
	// Permissions methods (see package policy).
	Access []policy.Access
}

// Declaration returns a service's declaration in the deployment whose
// resource names start with prefix.
type Declaration func(prefix string) (Service, error)

// Program is a tablestakes command for some services.
type Program struct {
	// Name is the command's name in its usage; default "tablestakes".
	Name string
	// Prefix is the default of the -prefix flag, passed to each
	// Declaration.
	Prefix string
	// Services are the declarations the command serves.
	Services []Declaration
	// DynamoDB, when set, returns the client commands use instead of the
	// one from the environment (for tests and wrapped clients).
	DynamoDB func(ctx context.Context) (*dynamodb.Client, error)
}

// Exit codes of [Program.Run].
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // a failed call or check
	ExitUsage   = 2 // a usage error
)

// Main runs the program with the process's arguments and exits with its
// code. An interrupt cancels the running command.
func Main(p Program) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := p.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a usage error; printed says the flag package has said so.
type usageError struct {
	msg     string
	printed bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const commands = `Commands:
  create          create the tables that do not exist and wait until they are active
  verify          check the live tables against their declarations
  describe        print the live tables as JSON
  cloudformation  print the tables' CloudFormation template
  policy          print each service's least-privilege IAM policy

DYNAMODB_ENDPOINT, when set, points create, verify and describe at DynamoDB
Local; otherwise they use the AWS SDK's default configuration.
Run "%s COMMAND -h" for a command's flags.
`

// Run runs the command args names, writing results to stdout and errors to
// stderr, and returns the exit code: [ExitOK], [ExitFailure] or
// [ExitUsage].
func (p Program) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := p.Name
	if name == "" {
		name = "tablestakes"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	prefix := fs.String("prefix", p.Prefix, "the deployment's name prefix, passed to each service's declaration")
	only := fs.String("service", "", "only this service (default: every service)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags] COMMAND [command flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n"+commands, name)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%s: no command\n", name)
		fs.Usage()
		return ExitUsage
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	run, ok := map[string]func(context.Context, *command) error{
		"create": create, "verify": verify, "describe": describe,
		"cloudformation": cloudformation, "policy": policyCmd,
	}[cmd]
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n", name, cmd)
		fs.Usage()
		return ExitUsage
	}
	c := &command{p: p, name: name + " " + cmd, stdout: stdout, stderr: stderr,
		flags: flag.NewFlagSet(name+" "+cmd, flag.ContinueOnError)}
	c.flags.SetOutput(stderr)
	c.setup = func() error {
		if err := c.flags.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &usageError{msg: err.Error(), printed: true}
		}
		if c.flags.NArg() > 0 {
			return usagef("unexpected arguments %q", c.flags.Args())
		}
		services, err := p.declare(*prefix, *only)
		c.services = services
		return err
	}
	err := run(ctx, c)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintf(stderr, "%s: %v\n", c.name, err)
		}
		return ExitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", c.name, err)
	return ExitFailure
}

// command is one run of a command.
type command struct {
	p              Program
	name           string
	stdout, stderr io.Writer
	flags          *flag.FlagSet
	setup          func() error // parses the flags and declares the services
	services       []Service
}

// declare calls the declarations, keeping the service named only (all for "").
func (p Program) declare(prefix, only string) ([]Service, error) {
	var out []Service
	var names []string
	for _, d := range p.Services {
		s, err := d(prefix)
		if err != nil {
			return nil, fmt.Errorf("declare services: %w", err)
		}
		names = append(names, s.Name)
		if only == "" || s.Name == only {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, usagef("no service %q; the services are %s", only, strings.Join(names, ", "))
	}
	return out, nil
}

func (c *command) tables() []index.Table {
	var out []index.Table
	for _, s := range c.services {
		out = append(out, s.Tables...)
	}
	return out
}

func (c *command) client(ctx context.Context) (*dynamodb.Client, error) {
	if c.p.DynamoDB != nil {
		return c.p.DynamoDB(ctx)
	}
	if ep := localaws.Endpoint(localaws.EnvDynamoDB); ep != "" {
		return localaws.DynamoDB(ep), nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	return dynamodb.NewFromConfig(cfg), nil
}

func create(ctx context.Context, c *command) error {
	if err := c.setup(); err != nil {
		return err
	}
	db, err := c.client(ctx)
	if err != nil {
		return err
	}
	for _, t := range c.tables() {
		if err := index.Create(ctx, db, t); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s: active\n", t.Name)
	}
	return nil
}

// errMismatch reports tables that do not match; the details are printed.
var errMismatch = errors.New("some tables do not match their declarations")

func verify(ctx context.Context, c *command) error {
	if err := c.setup(); err != nil {
		return err
	}
	db, err := c.client(ctx)
	if err != nil {
		return err
	}
	failed := false
	for _, t := range c.tables() {
		err := index.Verify(ctx, db, t)
		var me *index.MismatchError
		switch {
		case errors.As(err, &me):
			failed = true
			fmt.Fprintf(c.stderr, "%s: does not match its declaration:\n", t.Name)
			for _, p := range me.Problems {
				fmt.Fprintf(c.stderr, "  - %s\n", p)
			}
		case err != nil:
			return err
		default:
			fmt.Fprintf(c.stdout, "%s: ok\n", t.Name)
		}
	}
	if failed {
		return errMismatch
	}
	return nil
}

// Description is what describe prints for one table.
type Description struct {
	// Table is DescribeTable's description.
	Table *types.TableDescription `json:"Table"`
	// TimeToLive is DescribeTimeToLive's description.
	TimeToLive *types.TimeToLiveDescription `json:"TimeToLive"`
}

func describe(ctx context.Context, c *command) error {
	if err := c.setup(); err != nil {
		return err
	}
	db, err := c.client(ctx)
	if err != nil {
		return err
	}
	out := map[string]Description{}
	for _, t := range c.tables() {
		d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)})
		if err != nil {
			return fmt.Errorf("describe table %q: %w", t.Name, err)
		}
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(t.Name)})
		if err != nil {
			return fmt.Errorf("describe time to live of table %q: %w", t.Name, err)
		}
		out[t.Name] = Description{Table: d.Table, TimeToLive: ttl.TimeToLiveDescription}
	}
	return writeJSON(c.stdout, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cloudformation(_ context.Context, c *command) error {
	format := c.flags.String("format", "yaml", "json or yaml")
	withPolicy := c.flags.Bool("policy", false, "add each service's IAM policy as an AWS::IAM::ManagedPolicy")
	params := c.flags.Bool("name-parameters", false, "make the table names template parameters")
	desc := c.flags.String("description", "", "the template's description")
	if err := c.setup(); err != nil {
		return err
	}
	if *format != "json" && *format != "yaml" {
		return usagef("-format %q: want json or yaml", *format)
	}
	var opts []cfn.Option
	if *params {
		opts = append(opts, cfn.WithNameParameters())
	}
	if *desc != "" {
		opts = append(opts, cfn.WithDescription(*desc))
	}
	tmpl, err := cfn.New(c.tables(), opts...)
	if err != nil {
		return err
	}
	if *withPolicy {
		if *params {
			return usagef("-policy names the tables as declared: leave out -name-parameters")
		}
		for _, s := range c.services {
			doc, err := policy.New(s.Access...).Document(policy.Env{})
			if err != nil {
				return fmt.Errorf("service %s: %w", s.Name, err)
			}
			id := strings.TrimSuffix(cfn.LogicalID(s.Name), "Table") + "Policy"
			tmpl.Resources[id] = cfn.Resource{Type: "AWS::IAM::ManagedPolicy", Properties: map[string]any{
				"Description":    fmt.Sprintf("What the %s service sends, and nothing more (tablestakes).", s.Name),
				"PolicyDocument": doc,
			}}
			tmpl.Outputs[id+"Arn"] = cfn.Output{
				Description: fmt.Sprintf("The ARN of the %s service's policy.", s.Name),
				Value:       map[string]string{"Ref": id},
			}
		}
	}
	var b []byte
	if *format == "json" {
		b, err = tmpl.JSON()
	} else {
		b, err = tmpl.YAML()
	}
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(b)
	return err
}

func policyCmd(_ context.Context, c *command) error {
	var env policy.Env
	c.flags.StringVar(&env.Partition, "partition", "", "the AWS partition, e.g. aws (default: ${AWS::Partition})")
	c.flags.StringVar(&env.Region, "region", "", "the region, e.g. eu-west-1 (default: ${AWS::Region})")
	c.flags.StringVar(&env.Account, "account", "", "the account id (default: ${AWS::AccountId})")
	if err := c.setup(); err != nil {
		return err
	}
	docs := map[string]policy.Document{}
	for _, s := range c.services {
		doc, err := policy.New(s.Access...).Document(env)
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		docs[s.Name] = doc
	}
	if len(docs) == 1 {
		return writeJSON(c.stdout, docs[c.services[0].Name])
	}
	return writeJSON(c.stdout, docs)
}
