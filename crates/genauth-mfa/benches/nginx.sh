#!/usr/bin/env bash
# `genauth-mfa audit` against a fixed-response nginx on 127.0.0.1, beside wrk on the
# same server. Installs nginx and wrk from Debian's packages when missing,
# starts nginx in a temporary prefix and stops it on exit.
#
#   bash benches/nginx.sh            # 100,000 ids
#   IDS=20000 bash benches/nginx.sh
#   PAIRS=5 bash benches/nginx.sh    # five back-to-back pairs of wrk and a
#                                  # 1-thread audit; the median pair ratio
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18080}
IDS=${IDS:-100000}
WRK_SECONDS=${WRK_SECONDS:-10}
PAIRS=${PAIRS:-1}

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null || [ ! -x /usr/bin/time ]; then
  echo "installing nginx-light, wrk and time from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk time >/dev/null
fi

work=$(mktemp -d)
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

token='eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiI2MmUyMjFmODVmNWFjNWNjNDcwMzdhMGYiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2MzkwMDAwMH0.c2FuZGJveA'
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  # Keep connections for the whole run (the default closes one after 1000 requests).
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$PORT;
    default_type application/json;
    location = /api/v3/get-management-token {
      return 200 '{"statusCode":200,"message":"ok","data":{"access_token":"$token","expires_in":7200}}';
    }
    location = /api/v3/get-user-mfa-info {
      return 200 '{"statusCode":200,"message":"Success","requestId":"934108e5-9fbf-4d24-8da1-c330328abd6c","data":{"totpStatus":true,"faceMfaStatus":true,"smsMfaStatus":true,"emailMfaStatus":true}}';
    }
    location = /nginx_status { stub_status; }
  }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"
sleep 0.3

cargo build --quiet --release -p genauth-mfa-cli --bin genauth-mfa
audit=target/release/genauth-mfa
seq -f "user-%.0f@example.com" 1 "$IDS" > "$work/ids.txt"
head -n 10000 "$work/ids.txt" > "$work/ids-10k.txt"

# Connections nginx has accepted so far (the probe itself is one more).
accepted() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /nginx_status HTTP/1.0\r\nHost: x\r\n\r\n' >&3
  awk '/^ *[0-9]+ [0-9]+ [0-9]+/ { print $1 }' <&3
  exec 3<&-
}

# Runs the audit; prints "seconds peak_rss_kib". GNU time reads the child's
# own peak RSS (a wrapper that forks itself, like Python's, would add its own).
run_audit() {
  local threads=$1 ids=$2
  GENAUTH_ACCESS_KEY_ID=ak GENAUTH_ACCESS_KEY_SECRET=sk GENAUTH_HOST="http://127.0.0.1:$PORT" \
    /usr/bin/time -f "%e %M" -o "$work/time.txt" \
    "$audit" audit --concurrency "$threads" --user-id-type email < "$ids" > /dev/null 2> /dev/null
  cat "$work/time.txt"
}

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); nginx $(nginx -v 2>&1 | cut -d/ -f2)"
wrk_rps=$(wrk -t1 -c1 -d"${WRK_SECONDS}s" "http://127.0.0.1:$PORT/api/v3/get-user-mfa-info?userId=alice%40example.com&userIdType=email" \
  | awk '/Requests\/sec/ { print $2 }')
echo "wrk -t1 -c1 -d${WRK_SECONDS}s: $wrk_rps requests/s"

for threads in 1 8; do
  before=$(accepted)
  read -r secs _rss < <(run_audit "$threads" "$work/ids.txt")
  after=$(accepted)
  rate=$(awk -v n="$IDS" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  echo "genauth-mfa audit --concurrency $threads, $IDS ids: ${secs}s, $rate users/s, $((after - before - 1)) TCP connections"
  eval "rate_$threads=$rate"
done
awk -v a="$rate_1" -v w="$wrk_rps" 'BEGIN { printf "ratio genauth-mfa audit 1 thread / wrk -t1 -c1: %.2f\n", a / w }'
awk -v a="$rate_8" -v b="$rate_1" 'BEGIN { printf "ratio genauth-mfa audit 8 threads / 1 thread: %.2f\n", a / b }'

# On a noisy machine one wrk run and one audit run minutes apart can differ
# by the machine's drift; PAIRS runs them back to back, a pair at a time,
# and reports each pair's ratio and the median.
if [ "$PAIRS" -gt 1 ]; then
  head -n 30000 "$work/ids.txt" > "$work/ids-30k.txt"
  ratios=()
  for pair in $(seq 1 "$PAIRS"); do
    w=$(wrk -t1 -c1 -d5s "http://127.0.0.1:$PORT/api/v3/get-user-mfa-info?userId=alice%40example.com&userIdType=email" \
      | awk '/Requests\/sec/ { print $2 }')
    read -r secs _rss < <(run_audit 1 "$work/ids-30k.txt")
    r=$(awk -v w="$w" -v s="$secs" 'BEGIN { printf "%.2f", 30000 / s / w }')
    echo "pair $pair: wrk $w requests/s, audit $(awk -v s="$secs" 'BEGIN { printf "%.0f", 30000 / s }') users/s, ratio $r"
    ratios+=("$r")
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "median ratio over %d pairs: %.2f\n", NR, v[int((NR + 1) / 2)] }'
fi

for n in 10000 "$IDS"; do
  file="$work/ids.txt"; [ "$n" = 10000 ] && file="$work/ids-10k.txt"
  read -r secs rss < <(run_audit 4 "$file")
  awk -v n="$n" -v r="$rss" -v s="$secs" 'BEGIN { printf "genauth-mfa audit --concurrency 4, %d ids: peak RSS %.1f MiB (%.2fs)\n", n, r / 1024, s }'
done
