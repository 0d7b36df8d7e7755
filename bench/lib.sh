# Helpers of bench/run.sh, bench/scale.sh and bench/resilience.sh, sourced once they have set
# root. They read the callers' work, results, cores and duration, and start_server and bench
# the current pass and base URL; resilience.sh defines a start_server of its own after them.

lua=$root/bench/lua

say() { printf '%s: %s\n' "${say_as:-bench}" "$*" >&2; } # say_as: the script's name
# need COMMAND DEBIAN_PACKAGE: a fresh machine lacks wrk and may lack the others; as root with
# apt-get, the package is installed, otherwise the message says which one to install.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $2 from Debian's packages for $1"
    apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$2" >/dev/null 2>&1; } || true
  fi
  command -v "$1" >/dev/null 2>&1 || { say "$1 is missing: apt-get install -y $2"; exit 1; }
}

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; } # pass, key, JSON value

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][sys.argv[1]])' "$1"; }
post() { curl -fs -X POST "$base$1" -H 'content-type: application/json' -d "$2"; }

# bench_env PORT: the server's environment, with every rate limit off so that the limits are
# not what gets measured.
bench_env() {
  export HOST=127.0.0.1 PORT=$1 RUST_LOG=warn LOG_FORMAT=json
  export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123456789
  export RATE_LIMIT_LOGIN=off RATE_LIMIT_REFRESH=off RATE_LIMIT_SIGNUP=off RATE_LIMIT_GLOBAL=off
  export RATE_LIMIT_PASSWORD_FORGOT=off RATE_LIMIT_PASSWORD_RESET_MAIL=off RATE_LIMIT_EMAIL_RESEND=off
  export RATE_LIMIT_PASSWORD_CHANGE=off RATE_LIMIT_PASSWORD_CHANGE_GUESS=off RATE_LIMIT_INTROSPECT=off
  export RATE_LIMIT_MFA_VERIFY=off
  export INTROSPECTION_CLIENTS=bench:bench-introspection-secret-0123456789abcdef
}

start_server() {
  "$work/postern" serve "$@" >"$work/server-$pass.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    curl -fs "$base/health" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server-$pass.log" >&2; exit 1; }
    sleep 0.1
  done
  say "the server did not start"; exit 1
}

# wrk NAME CONNECTIONS SCRIPT [ARGS...]: one measurement, recorded under NAME.
bench() {
  local name=$1 conns=$2 script=$3
  shift 3
  local threads=$((conns < cores ? conns : cores))
  local out
  out=$(wrk -t "$threads" -c "$conns" -d "${duration}s" -s "$lua/$script" "$base${path:-/}" -- "$@" | tail -n 1)
  record "$pass" "$name" "$out"
  say "$pass $name: $out"
}
