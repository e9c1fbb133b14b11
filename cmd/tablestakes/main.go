// Command tablestakes creates, verifies and describes the example
// services' tables, and writes their CloudFormation template and each
// service's least-privilege IAM policy, from the declarations the services
// run with. It is package cli's command for examples/profile and
// examples/statistics; a service builds its own the same way.
//
//	go install github.com/tablestakes/tablestakes/cmd/tablestakes@latest
//	tablestakes -prefix dev cloudformation -policy > template.yaml
//	tablestakes -prefix dev policy -partition aws -region eu-west-1 -account 123456789012
//	DYNAMODB_ENDPOINT=http://127.0.0.1:8000 tablestakes -prefix dev create
//	tablestakes -prefix dev verify
//
// Run "tablestakes -h" for the commands and flags.
package main

import (
	"github.com/tablestakes/tablestakes/cli"
	"github.com/tablestakes/tablestakes/examples/profile"
	"github.com/tablestakes/tablestakes/examples/statistics"
)

// program is the command: the example services, named "tablestakes-…"
// unless -prefix says otherwise.
var program = cli.Program{
	Name:     "tablestakes",
	Prefix:   "tablestakes",
	Services: []cli.Declaration{profile.Declaration, statistics.Declaration},
}

func main() { cli.Main(program) }
