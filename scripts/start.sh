#!/bin/sh
# `npm start`: the server, with Node's own heap sized from PRICKLE_MEMORY_LIMIT (default 1GB).
# Node takes its heap limit only on the command line, so it is worked out here; `exec` leaves no
# shell behind. Extra arguments go to node (the tests and benchmarks pass profiler flags).
limit="${PRICKLE_MEMORY_LIMIT:-1GB}"
number=$(printf '%s' "$limit" | sed -nE 's/^[[:space:]]*([0-9]+)(\.[0-9]+)?[[:space:]]*[A-Za-z]*[[:space:]]*$/\1/p')
unit=$(printf '%s' "$limit" | sed -nE 's/^[[:space:]]*[0-9]+(\.[0-9]+)?[[:space:]]*([A-Za-z]*)[[:space:]]*$/\2/p' | tr 'a-z' 'A-Z')
case "$unit" in
  '' | B) mb=$((${number:-0} / 1048576)) ;;
  KB | KIB) mb=$((${number:-0} / 1024)) ;;
  MB | MIB) mb=${number:-0} ;;
  GB | GIB) mb=$((${number:-0} * 1024)) ;;
  *) mb=0 ;;
esac
# A malformed value is reported by the server itself (src/config.ts); start with the default here.
[ "$mb" -gt 0 ] 2>/dev/null || mb=1024
# The JavaScript heap's share of the bound (see docs/configuration.md).
heap=$((mb * 40 / 100))
[ "$heap" -ge 128 ] || heap=128
cd "$(dirname "$0")/.." || exit 1
# --heap-growing-percent=100: the old generation may double before a full collection. V8's own
# factor (near 1.1 for a heap this small) had the main thread in a full collection every 0.4 s
# under sustained ingestion (8% of it); the limit above still bounds the heap.
UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-8}" exec node --max-semi-space-size=16 --heap-growing-percent=100 --max-old-space-size="$heap" "$@" --import tsx src/main.ts
