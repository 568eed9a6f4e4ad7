#!/usr/bin/env bash
# The SDK's own cost per call in CPU instructions, counted by callgrind, so a
# noisy machine cannot blur it: `cargo bench --bench bench -- --only
# sdk|floor N` makes N one-thread get_user_mfa_info calls (through the SDK, or
# through a bare ureq::Agent + serde_json) against the example's own server on
# 127.0.0.1. Each loop runs at two sizes; the difference divided by the extra
# calls is instructions per call with start-up and warm-up cancelled out.
# Only the client thread is counted (callgrind --separate-threads): the server
# runs in the same process on its own threads.
#
# Usage: bash crates/genauth-mfa/benches/instructions.sh [SMALL LARGE]   (default 1000 3000)
set -euo pipefail
cd "$(dirname "$0")/.."

small=${1:-1000}
large=${2:-3000}
if ! command -v valgrind >/dev/null; then
    echo "installing valgrind from Debian's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
# The benchmark binary cargo builds (target/release/deps/bench-<hash>).
bin=$(cargo bench --no-run -p genauth-mfa --bench bench 2>&1 | sed -n 's/.*Executable .*benches\/bench.rs (\(.*\))$/\1/p')
[ -x "$bin" ] || { echo "could not build the bench benchmark" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Instructions executed by the main (client) thread for `--only $1 $2`.
client_instructions() {
    valgrind --tool=callgrind --separate-threads=yes \
        --callgrind-out-file="$out/$1.$2" "$bin" --only "$1" "$2" >/dev/null 2>&1
    awk '/^totals:/ { print $2 }' "$out/$1.$2-01"
}

declare -A per_call
for loop in sdk floor; do
    a=$(client_instructions "$loop" "$small")
    b=$(client_instructions "$loop" "$large")
    per_call[$loop]=$(( (b - a) / (large - small) ))
    printf '%-6s %8d instructions per call (client thread; %d calls: %d, %d calls: %d)\n' \
        "$loop" "${per_call[$loop]}" "$small" "$a" "$large" "$b"
done
awk -v s="${per_call[sdk]}" -v f="${per_call[floor]}" 'BEGIN {
    printf "sdk / floor: %.3f (the SDK adds %d instructions per call)\n", s / f, s - f
}'
