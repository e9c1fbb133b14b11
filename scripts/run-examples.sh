#!/usr/bin/env bash
# run-examples.sh: runs the example services end to end against DynamoDB
# Local and fauxqs, starting (and on first use installing) the servers.
# Each example is a package main under examples/; each exits non-zero when
# what it shows does not happen.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

eval "$(scripts/local-aws.sh start)"
for dir in examples/*/; do
	[ -f "$dir/main.go" ] || continue
	echo "== go run ./$dir"
	go run "./$dir"
done
echo "== all examples passed"
