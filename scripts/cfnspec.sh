#!/usr/bin/env bash
# cfnspec.sh: installs AWS's published CloudFormation resource specification,
# which the tests of package cfn check generated templates against.
#
# It fetches the npm package @aws-cdk/cfnspec (pinned below) with npm's own
# client, without installing its dependencies or running its scripts, and
# keeps its specification in the git-ignored cache folder:
#
#   <repo>/.local-aws/cfnspec/specification.json
#
# Usage: scripts/cfnspec.sh [path]   prints the path of specification.json
#
# Settings (environment):
#   TABLESTAKES_LOCAL_AWS_DIR  cache folder (default: <repo>/.local-aws, git-ignored)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${TABLESTAKES_LOCAL_AWS_DIR:-$ROOT/.local-aws}"
PKG="@aws-cdk/cfnspec"
VERSION="2.72.1"
DIR="$STATE/cfnspec"
SPEC="$DIR/specification.json"

log() { printf 'cfnspec: %s\n' "$*" >&2; }

if [ -s "$SPEC" ] && [ "$(cat "$DIR/version" 2>/dev/null)" = "$VERSION" ]; then
	echo "$SPEC"
	exit 0
fi
command -v npm >/dev/null 2>&1 || { log "error: npm not found (scripts/local-aws.sh install provides one)"; exit 1; }
mkdir -p "$DIR"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "fetching $PKG@$VERSION"
tarball="$(cd "$tmp" && npm pack --silent "$PKG@$VERSION")"
tar -xzf "$tmp/$tarball" -C "$tmp" package/spec/specification.json
mv "$tmp/package/spec/specification.json" "$SPEC"
echo "$VERSION" >"$DIR/version"
echo "$SPEC"
