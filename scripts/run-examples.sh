#!/usr/bin/env bash
# run-examples.sh: runs the example services end to end against DynamoDB
# Local and fauxqs, starting (and on first use installing) the servers.
# Each example is a package main under examples/; each exits non-zero when
# what it shows does not happen.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A failed start must stop the run: eval "$(...)" would hide its status.
server_env="$(scripts/local-aws.sh start)"
eval "$server_env"
for dir in examples/*/; do
	[ -f "$dir/main.go" ] || continue
	echo "== go run ./$dir"
	go run "./$dir"
done
echo "== all examples passed"
