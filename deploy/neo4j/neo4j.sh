#!/usr/bin/env bash
# CaseFlow's local Neo4j Community server: provision | start | stop | status | port | password.
#
# Runs Neo4j from Maven Central jars (deploy/neo4j/lib/, fetched by `provision`) on Java 17,
# with deploy/neo4j/neo4j.conf rendered into a run folder outside git. Environment:
#   NEO4J_RUN_DIR        run folder (data, logs, conf, pid)       default <repo>/var/neo4j
#   NEO4J_BOLT_PORT      Bolt port on 127.0.0.1                    default 7687
#   NEO4J_PASSWORD_FILE  generated password of user "neo4j"        default <repo>/instance/neo4j-password
#   NEO4J_JAVA_HOME      Java 17 home                              default /usr/lib/jvm/java-17-openjdk-amd64
#   NEO4J_LIB_DIR        jars                                      default deploy/neo4j/lib
#   NEO4J_HEAP_INITIAL / NEO4J_HEAP_MAX / NEO4J_PAGECACHE / NEO4J_TX_MEMORY   512m / 1g / 512m / 512m
#   NEO4J_START_TIMEOUT  seconds to wait for Bolt                  default 120
#   NEO4J_PYTHON         python with the neo4j driver, for the readiness query
#                        default <repo>/.venv/bin/python, else python3
# `start` is idempotent; the first start sets the generated password before Neo4j ever runs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

RUN_DIR="${NEO4J_RUN_DIR:-$ROOT/var/neo4j}"
BOLT_PORT="${NEO4J_BOLT_PORT:-7687}"
PASSWORD_FILE="${NEO4J_PASSWORD_FILE:-$ROOT/instance/neo4j-password}"
JAVA_HOME_17="${NEO4J_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
LIB_DIR="${NEO4J_LIB_DIR:-$HERE/lib}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-120}"

PID_FILE="$RUN_DIR/run/caseflow-neo4j.pid"
PORT_FILE="$RUN_DIR/run/caseflow-neo4j.port"
CONSOLE_LOG="$RUN_DIR/logs/console.log"
CONF_DIR="$RUN_DIR/conf"

die() { echo "neo4j.sh: $*" >&2; exit 1; }

python_bin() {
  if [[ -n "${NEO4J_PYTHON:-}" ]]; then echo "$NEO4J_PYTHON"
  elif [[ -x "$ROOT/.venv/bin/python" ]]; then echo "$ROOT/.venv/bin/python"
  else echo python3
  fi
}

neo4j_env() {
  export JAVA_HOME="$JAVA_HOME_17"
  export NEO4J_HOME="$RUN_DIR"
  export NEO4J_CONF="$CONF_DIR"
  export PATH="$JAVA_HOME/bin:$PATH"
}

provision() {
  [[ -x "$JAVA_HOME_17/bin/java" ]] || die "no Java 17 at $JAVA_HOME_17 (set NEO4J_JAVA_HOME)"
  if compgen -G "$LIB_DIR/neo4j-server-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Neo4j jars"
  echo "neo4j.sh: fetching Neo4j jars from Maven Central into $LIB_DIR" >&2
  (cd "$HERE" && JAVA_HOME="$JAVA_HOME_17" mvn -q -B dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIB_DIR") \
    || die "maven could not fetch the jars listed in $HERE/pom.xml"
}

render_conf() {
  mkdir -p "$CONF_DIR" "$RUN_DIR"/{data,logs,run,import,plugins,licenses}
  sed -e "s|@LIB_DIR@|$LIB_DIR|g" \
      -e "s|@BOLT_PORT@|$BOLT_PORT|g" \
      -e "s|@HEAP_INITIAL@|${NEO4J_HEAP_INITIAL:-512m}|g" \
      -e "s|@HEAP_MAX@|${NEO4J_HEAP_MAX:-1g}|g" \
      -e "s|@PAGECACHE@|${NEO4J_PAGECACHE:-512m}|g" \
      -e "s|@TX_MEMORY@|${NEO4J_TX_MEMORY:-512m}|g" \
      "$HERE/neo4j.conf" >"$CONF_DIR/neo4j.conf.tmp"
  mv "$CONF_DIR/neo4j.conf.tmp" "$CONF_DIR/neo4j.conf"
}

running_pid() {
  # Prints the server's pid and succeeds only when that process is alive.
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file (after a reboot) may name an unrelated process: check it is ours.
  grep -q "Neo4jCommand" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

ensure_password() {
  # The password is generated once and stored outside git; Neo4j learns it through
  # `neo4j-admin dbms set-initial-password`, which only works before the first start.
  if [[ ! -s "$PASSWORD_FILE" ]]; then
    mkdir -p "$(dirname "$PASSWORD_FILE")"
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$PASSWORD_FILE")
  fi
  if [[ ! -f "$RUN_DIR/data/dbms/auth.ini" ]]; then
    neo4j_env
    "$JAVA_HOME/bin/java" -cp "$LIB_DIR/*" org.neo4j.server.startup.Neo4jAdminCommand \
      dbms set-initial-password "$(cat "$PASSWORD_FILE")" >"$RUN_DIR/logs/set-password.log" 2>&1 \
      || { cat "$RUN_DIR/logs/set-password.log" >&2; die "could not set the initial password"; }
  fi
}

running_port() {
  # The port the running instance was started with (it may differ from NEO4J_BOLT_PORT now).
  cat "$PORT_FILE" 2>/dev/null || echo "$BOLT_PORT"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$BOLT_PORT") 2>/dev/null
}

bolt_answers() {
  "$(python_bin)" - "$BOLT_PORT" "$PASSWORD_FILE" <<'PY' 2>/dev/null
import sys
from pathlib import Path

from neo4j import GraphDatabase

port, password_file = sys.argv[1], sys.argv[2]
auth = ("neo4j", Path(password_file).read_text().strip())
with GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=auth) as driver:
    records, _, _ = driver.execute_query("RETURN 1 AS ok", database_="neo4j")
    sys.exit(0 if records[0]["ok"] == 1 else 1)
PY
}

start() {
  provision
  if pid="$(running_pid)"; then
    echo "neo4j.sh: already running (pid $pid) on bolt://127.0.0.1:$(running_port)" >&2
    return 0
  fi
  if port_open; then
    die "port $BOLT_PORT is taken by another process; set NEO4J_BOLT_PORT"
  fi
  render_conf
  ensure_password
  neo4j_env
  # Same as `bin/neo4j console`: the bootloader reads neo4j.conf (heap, JVM options) and
  # runs the server JVM in the foreground; we background it and keep its pid.
  nohup "$JAVA_HOME/bin/java" -cp "$LIB_DIR/*" org.neo4j.server.startup.Neo4jCommand console \
    >"$CONSOLE_LOG" 2>&1 </dev/null &
  local launched=$!
  echo "$launched" >"$PID_FILE"
  echo "$BOLT_PORT" >"$PORT_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    # kill -0, not running_pid: right after the fork the cmdline may not name java yet.
    if ! kill -0 "$launched" 2>/dev/null; then
      tail -n 40 "$CONSOLE_LOG" >&2 || true
      rm -f "$PID_FILE"
      die "Neo4j exited during start-up (log: $CONSOLE_LOG)"
    fi
    if port_open && bolt_answers; then
      echo "neo4j.sh: running (pid $(cat "$PID_FILE")) on bolt://127.0.0.1:$BOLT_PORT" >&2
      return 0
    fi
    sleep 1
  done
  tail -n 40 "$CONSOLE_LOG" >&2 || true
  stop >/dev/null 2>&1 || true
  die "Neo4j did not answer on bolt://127.0.0.1:$BOLT_PORT within ${START_TIMEOUT}s (log: $CONSOLE_LOG)"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE" "$PORT_FILE"
    echo "neo4j.sh: not running" >&2
    return 0
  fi
  # SIGTERM lets the bootloader stop the server JVM cleanly (checkpoint, release store locks).
  kill -TERM "$pid"
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "neo4j.sh: pid $pid ignored SIGTERM for 60s; killing it" >&2
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "$PID_FILE" "$PORT_FILE"
  echo "neo4j.sh: stopped" >&2
}

status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running (pid $pid) on bolt://127.0.0.1:$(running_port)"
    return 0
  fi
  echo "not running"
  return 3
}

case "${1:-}" in
  provision) provision ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  port) running_pid >/dev/null || die "not running"; running_port ;;
  password)
    [[ -s "$PASSWORD_FILE" ]] || die "no password yet; run: $0 start"
    cat "$PASSWORD_FILE"; echo ;;
  *) echo "usage: $0 provision|start|stop|status|port|password" >&2; exit 2 ;;
esac
