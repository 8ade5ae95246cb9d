#!/usr/bin/env bash
# The numerical and scheduling modules stay free of Foundation, networking and logging
# backends (DESIGN.md), so they run the same in the replica, in tests and in the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for module in DecodeKernels ModelRuntime DeviceSimulation BatchScheduling; do
    [ -d "Sources/$module" ] || continue
    if hits=$(grep -rnE '^\s*(@_exported\s+)?import\s+(Foundation|FoundationEssentials|Dispatch|NIO[A-Za-z0-9]*|Logging|Metrics|Tracing|AsyncHTTPClient)\b' "Sources/$module"); then
        echo "check-imports: $module must not import these:"
        echo "$hits"
        status=1
    fi
done
[ $status -eq 0 ] && echo "check-imports: ok"
exit $status
