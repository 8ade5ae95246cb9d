#!/usr/bin/env bash
# Runs one scenario against a gateway it starts and stops:
#   LoadTests/run-scenario.sh SCENARIO [extra switchyard-load flags]
# The gateway (`switchyard serve --port 0` plus the scenario's "serve" arguments) listens on
# a free loopback port; the reports go to $LOADTEST_OUT (default .build/loadtest).
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:?usage: LoadTests/run-scenario.sh SCENARIO [flags]}
shift
file=LoadTests/scenarios/$scenario.json
[ -f "$file" ] || { echo "no scenario $file" >&2; exit 2; }
bin=${SWITCHYARD_BIN_DIR:-.build/release}
out=${LOADTEST_OUT:-.build/loadtest}
mkdir -p "$out"

mapfile -t serve_args < <(python3 -c 'import json,sys; sys.stdout.write("".join(a + "\n" for a in json.load(open(sys.argv[1])).get("serve", [])))' "$file")
log="$out/$scenario.serve.log"
"$bin/switchyard" serve --host 127.0.0.1 --port 0 --admin-port 0 --data-dir "$out/$scenario.data" "${serve_args[@]}" >"$out/$scenario.serve.out" 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT

# The server prints one line, "switchyard listening on http://127.0.0.1:PORT", when it is ready.
port=
for _ in $(seq 1 600); do
    port=$(sed -n 's|^switchyard listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$out/$scenario.serve.out")
    [ -n "$port" ] && break
    kill -0 $server 2>/dev/null || { echo "the gateway exited; see $log" >&2; tail -5 "$log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "the gateway did not start within 60 s; see $log" >&2; exit 1; }

status=0
"$bin/switchyard-load" --scenario "$file" --port "$port" \
    --json "$out/$scenario.json" --html "$out/$scenario.html" "$@" || status=$?
echo "reports: $out/$scenario.json $out/$scenario.html"
exit $status
