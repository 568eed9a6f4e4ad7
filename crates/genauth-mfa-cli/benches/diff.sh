#!/usr/bin/env bash
# `genauth-mfa diff` over two audit outputs of N users each (default
# 1,000,000): OLD as JSON Lines, NEW as CSV, both in a scrambled order, with
# users lost, gained, changed, added, removed and failed. Prints the wall
# time, peak RSS (/usr/bin/time) and the diff's summary for each
# --sort-buffer size given (default 32, the default, and 4096, large enough
# to hold both files: the cost of sorting in memory).
#
# Usage: bash crates/genauth-mfa-cli/benches/diff.sh [N [SORT_BUFFER_MIB...]]
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-1000000}
shift || true
buffers=("$@")
[ ${#buffers[@]} -gt 0 ] || buffers=(32 4096)

cargo build --release -p genauth-mfa-cli --bin genauth-mfa >&2
bin=target/release/genauth-mfa
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Users 0..n-1 visited in the order k * 7919 mod n (7919 is prime), so the
# rows are in neither file's id order. Month 1 has TOTP for i % 3 != 0, month
# 2 for i % 5 != 0 (lost, gained, unchanged), plus SMS for i % 11 == 0
# (changed factors); users i % 1000 == 1 are only in NEW, == 2 only in OLD;
# i % 997 == 0 failed (a 429) in NEW.
prog=$(cat <<'AWK'
BEGIN { gen() }
function st(on) { return on ? "enabled" : "disabled" }
function gen(   k, i, id, totp, sms, any) {
    if (fmt == "csv") print "user_id,totp,face,sms,email,any_enabled,error_kind,status_code,api_code,message,request_id"
    for (k = 0; k < n; k++) {
        i = (k * 7919 + month) % n
        if (month == 1 && i % 1000 == 1) continue
        if (month == 2 && i % 1000 == 2) continue
        id = sprintf("6553f0c2a1b2c3d4%08d", i)
        if (month == 2 && i % 997 == 0) {
            if (fmt == "csv") printf "%s,,,,,,api,429,,too many requests,req-%d\n", id, i
            else printf "{\"userId\":\"%s\",\"error\":{\"kind\":\"api\",\"statusCode\":429,\"apiCode\":null,\"message\":\"too many requests\",\"requestId\":\"req-%d\"}}\n", id, i
            continue
        }
        totp = month == 1 ? (i % 3 != 0) : (i % 5 != 0)
        sms = month == 2 && i % 11 == 0
        any = (totp || sms) ? "true" : "false"
        if (fmt == "csv") printf "%s,%s,disabled,%s,disabled,%s,,,,,\n", id, st(totp), st(sms), any
        else printf "{\"userId\":\"%s\",\"totpStatus\":\"%s\",\"faceMfaStatus\":\"disabled\",\"smsMfaStatus\":\"%s\",\"emailMfaStatus\":\"disabled\",\"anyEnabled\":%s}\n", id, st(totp), st(sms), any
    }
}
AWK
)
awk -v n="$n" -v month=1 -v fmt=jsonl "$prog" >"$dir/old.jsonl"
awk -v n="$n" -v month=2 -v fmt=csv "$prog" >"$dir/new.csv"
ls -l "$dir"/old.jsonl "$dir"/new.csv | awk '{ printf "%s: %d bytes\n", $NF, $5 }' >&2
wc -l "$dir"/old.jsonl "$dir"/new.csv >&2

for mib in "${buffers[@]}"; do
    set +e
    /usr/bin/time -f "%e s wall, %U s user, %S s sys, peak RSS %M KiB" -o "$dir/time" \
        "$bin" diff "$dir/old.jsonl" "$dir/new.csv" --sort-buffer "$mib" \
        --output "$dir/diff.jsonl" 2>"$dir/summary"
    code=$?
    set -e
    printf -- '--sort-buffer %s: exit %s, %s; %s diff rows\n  %s\n' "$mib" "$code" \
        "$(cat "$dir/time")" "$(wc -l <"$dir/diff.jsonl")" "$(cat "$dir/summary")"
done
