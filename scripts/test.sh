#!/usr/bin/env bash
# test.sh: runs every tablestakes test against the real local servers.
#
# Starts DynamoDB Local and fauxqs (installing them on first use, see
# scripts/local-aws.sh), then checks formatting and runs go vet, staticcheck and
# go test -race over the whole module and the nested ddbtest/containers
# module. Installs AWS's CloudFormation resource specification
# (scripts/cfnspec.sh) for the template tests. A missing server fails the
# run; no integration test is skipped. Extra arguments go to `go test`.
#
# Servers this script starts are left running for the next run, except
# under CI=true, where they are stopped on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

was_up=0
scripts/local-aws.sh status 2>/dev/null && was_up=1
if [ "${CI:-}" = "true" ] && [ "$was_up" = 0 ]; then
	trap 'scripts/local-aws.sh stop' EXIT
fi
# A failed start must stop the run: eval "$(...)" would hide its status.
server_env="$(scripts/local-aws.sh start)"
eval "$server_env"
export TABLESTAKES_REQUIRE_SERVERS=1
# AWS's CloudFormation resource specification, for the template tests.
scripts/cfnspec.sh >/dev/null

unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.local-aws/*'))"
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
# staticcheck, pinned, from the Go module proxy like every other module.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
go test -race -count=1 -timeout 15m "$@" ./...
# The container starter is a module of its own (it keeps testcontainers out
# of the library's module graph): vet and test it too.
(cd ddbtest/containers && go vet ./... && go test -race -count=1 -timeout 15m "$@" ./...)
