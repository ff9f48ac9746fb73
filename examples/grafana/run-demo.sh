#!/usr/bin/env bash
# Remakes docs/guide/dashboard.png: a real run of the rest_service example
# on PostgreSQL + Redis with sampled verification (verify=), scraped by
# Prometheus, under a small load; in the middle, a minute of writes made
# with psql behind the cache's back (so `stale served` leaves 0), then
# `cache-admin invalidate rest_books` and a recovery. Then
# examples/grafana/render.py draws the dashboard's own queries over the
# run (no Grafana needed).
#
#   bash examples/grafana/run-demo.sh            # about 7 minutes
#   PHASE=30 bash examples/grafana/run-demo.sh   # quicker, for a try
#
# Needs: PostgreSQL and Redis on 127.0.0.1, psql, prometheus
# (Debian: apt-get install prometheus), python3 with matplotlib
# (pip install matplotlib). Uses its own database (restdash) and cache
# prefix, so a test suite running on the same servers is left alone.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-restdash}
PREFIX=${PREFIX:-restdash}
VERIFY=${VERIFY:-0.05}
PORT=${PORT:-3000}
PROM_PORT=${PROM_PORT:-9090}
PHASE=${PHASE:-150}     # seconds of plain load before the incident, and after the fix
INCIDENT=${INCIDENT:-60} # seconds of writes behind the cache's back
WORK=${WORK:-/tmp/restdash}
OUT=${OUT:-$ROOT/docs/guide/dashboard.png}

DATABASE_URL=$PG/$DB
CACHE_URL="redis://127.0.0.1:6379/?prefix=$PREFIX"
mkdir -p "$WORK"
rm -rf "$WORK/prometheus-data"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

cd "$ROOT"
cargo build -q -p cache-examples --bin rest_service
cargo build -q -p cache-diesel --bin cache-admin
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug

# A fresh database and cache for the run.
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"$BIN/cache-admin" --cache "$CACHE_URL" invalidate-all || true

DATABASE_URL=$DATABASE_URL CACHE_URL="$CACHE_URL&verify=$VERIFY" \
    "$BIN/rest_service" --port "$PORT" >"$WORK/service.out" 2>"$WORK/service.log" &
pids+=($!)
# Waits (a minute at most) until `ready` succeeds, while process $2 lives.
wait_for() {
  local what=$1 pid=$2 ready=$3 tries=120
  until eval "$ready"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-demo: $what exited; see $WORK" >&2; exit 1
    fi
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then echo "run-demo: $what is not ready after a minute; see $WORK" >&2; exit 1; fi
    sleep 0.5
  done
}
wait_for "the REST service" "$!" 'grep -q listening "$WORK/service.out" 2>/dev/null'

# The committed prometheus.yml with a 2 s scrape interval and this port.
sed -e 's/scrape_interval: 5s/scrape_interval: 2s/' -e "s/127.0.0.1:3000/127.0.0.1:$PORT/" \
    examples/grafana/prometheus.yml >"$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
pids+=($!)
wait_for Prometheus "$!" 'curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null'

# The load: details by id (most; a few books far more than others), lists
# by author, the authors, PATCHes, a few POSTs and DELETEs; about 60
# requests a second from 4 threads.
cat >"$WORK/load.py" <<'EOF'
import json, random, sys, threading, time, urllib.request, urllib.error
base, seconds = sys.argv[1], float(sys.argv[2])
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None
    except urllib.error.HTTPError:
        return None
authors = [call("POST", "/authors", {"name": f"Author {i}"})["id"] for i in range(8)]
books = [call("POST", "/books", {"author_id": random.choice(authors), "title": f"Book {i}",
                                  "published_year": 1950 + i % 70})["id"] for i in range(200)]
# psql rewrites the five most read books; the load PATCHes the others
# (a PATCH passes the hooks and would put the row back in the cache).
open(sys.argv[3], "w").write(" ".join(map(str, books[:5])))
created, lock = [], threading.Lock()
def worker(seed):
    rnd, end = random.Random(seed), time.time() + seconds
    while time.time() < end:
        x = rnd.random()
        hot = books[min(int(rnd.paretovariate(1.2)) - 1, len(books) - 1)]
        if x < 0.62:
            call("GET", f"/books/{hot}")
        elif x < 0.80:
            call("GET", f"/books?author_id={rnd.choice(authors)}&limit=20")
        elif x < 0.85:
            call("GET", "/books?order=-title&limit=20")
        elif x < 0.89:
            call("GET", "/authors")
        elif x < 0.97:
            call("PATCH", f"/books/{rnd.choice(books[5:])}",
                 {"published_year": rnd.randint(1950, 2020)})
        elif x < 0.985:
            b = call("POST", "/books", {"author_id": rnd.choice(authors), "title": "New",
                                         "published_year": 2024})
            if b:
                with lock: created.append(b["id"])
        else:
            with lock: victim = created.pop() if created else None
            if victim: call("DELETE", f"/books/{victim}")
        time.sleep(0.06)
threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
EOF
START=$(date +%s)
python3 "$WORK/load.py" "http://127.0.0.1:$PORT" $((2 * PHASE + INCIDENT + 15)) "$WORK/hot" &
LOAD=$!
pids+=($LOAD)

sleep "$PHASE"
# The incident: psql rewrites the hot books' titles, once a second, behind
# the cache's back (no hook, no tracked connection, no follower).
BAD_FROM=$(date +%s)
while [ $(( $(date +%s) - BAD_FROM )) -lt "$INCIDENT" ]; do
    id=$(tr ' ' '\n' <"$WORK/hot" | shuf -n 1)
    psql -q "$DATABASE_URL" -c "UPDATE rest_books SET title = 'edited behind the cache $(date +%T)' WHERE id = $id"
    sleep 1
done
BAD_TO=$(date +%s)
# The fix: drop what the cache holds of the table.
"$BIN/cache-admin" --cache "$CACHE_URL" invalidate rest_books
FIXED=$(date +%s)

wait "$LOAD"
sleep 10
END=$(date +%s)
# The verifier's warnings (one per 10 s at most) name the stale entries.
grep 'no longer holds' "$WORK/service.log" | sed 's/\x1b\[[0-9;]*m//g' | tail -3 || true

python3 examples/grafana/render.py --prometheus "http://127.0.0.1:$PROM_PORT" --verify "$VERIFY" \
    --start "$START" --end "$END" \
    --span "$BAD_FROM:$BAD_TO:psql writes behind the cache" \
    --mark "$FIXED:cache-admin invalidate rest_books" \
    --out "$OUT"
