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

# A scenario's "repository" ({"from": "Models/NAME/V", "versions": [...]}) is a model
# repository made for the run, as the hot-swap tests make theirs: each version a copy of the
# source's manifest under its own version, its weights a link to the source's file. "serve"
# arguments name it as {repository}. The data directory starts empty too: the registry
# restores its desired state from there, so a last run's swap would leak into this one.
repository="$out/$scenario.models"
rm -rf "$repository" "$out/$scenario.data"
python3 - "$file" "$repository" <<'PY'
import json, os, pathlib, sys
spec = json.load(open(sys.argv[1])).get("repository")
if spec:
    source = pathlib.Path(spec["from"])
    manifest = json.loads((source / "manifest.json").read_text())
    weights = (source / manifest["weights"]).resolve()
    if not weights.is_file():
        sys.exit(f"no weights at {source / manifest['weights']}: run `make model` first")
    for version in spec["versions"]:
        target = pathlib.Path(sys.argv[2]) / manifest["name"] / str(version)
        target.mkdir(parents=True)
        (target / "manifest.json").write_text(json.dumps(dict(manifest, version=str(version)), indent=2))
        os.symlink(weights, target / manifest["weights"])
PY
mapfile -t serve_args < <(python3 -c 'import json,sys; sys.stdout.write("".join(a.replace("{repository}", sys.argv[2]) + "\n" for a in json.load(open(sys.argv[1])).get("serve", [])))' "$file" "$repository")
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
# The admin API's line goes to stderr, before the listening line.
admin_port=$(sed -n 's|^switchyard admin API on http://127.0.0.1:\([0-9]*\),.*$|\1|p' "$log")

status=0
"$bin/switchyard-load" --scenario "$file" --port "$port" \
    --admin-port "${admin_port:-0}" --admin-token-file "$out/$scenario.data/admin-token" \
    --json "$out/$scenario.json" --html "$out/$scenario.html" "$@" || status=$?
echo "reports: $out/$scenario.json $out/$scenario.html"
exit $status
