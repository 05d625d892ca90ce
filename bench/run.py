#!/usr/bin/env python
"""`make bench`: serve the app under gunicorn with production settings plus the bench app (bench.settings: the
seed_bench command and the /_bench/ reference endpoints), seed data, load each endpoint with wrk from a second
process, and print requests/s, p50/p95 latency and SQL queries per request, beside a trivial HttpResponse("ok")
view and the floor of a signed-in POST measured in the same run. A regression guard, with no throughput targets:
it fails (exit 1) only on errors, on more SQL per request than an endpoint's max_queries, or on a failed check.

Runs on a throw-away SQLite file, or on PostgreSQL when DATABASE_URL is set (in a separate
"<name>_bench" database, created afresh each run). Options via environment: BENCH_DURATION (s, default 5),
BENCH_CONNECTIONS (default 16), BENCH_THREADS (default 2), BENCH_WORKERS (gunicorn, default 2 x cores),
BENCH_ONLY (comma-separated: measure only the endpoints whose name contains one, beside the trivial view),
BENCH_FULL=1 (the issues' full data: 10,000 questions and 1,000,000 reviews).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.endpoints import ENDPOINTS, TRIVIAL  # noqa: E402

PY = sys.executable
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))
LUA = ROOT / "bench" / "report.lua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_database_url(workdir: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + "_bench"
    # A fresh database each run, as the SQLite file is: the benches write (the cold pages' learner answers
    # hundreds of new questions a run), and a database kept between runs measured the runs before (its learner's
    # next question went from 12 to 30 ms over a day of runs).
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path="/" + name))


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    print("wrk not found: installing it with apt-get (the load generator)...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is needed for make bench: apt-get install -y wrk")
    return wrk


def run_wrk(wrk: str, url: str, headers: list[str], spec: dict | None = None, seed: dict | None = None) -> dict:
    """Load one endpoint. A spec with "lua" uses that script (e.g. POSTs that carry per-thread state, with
    "env" values formatted from the seed); "one_connection_per_thread" runs CONNECTIONS threads of one
    connection each, so a thread's requests are sequential (each uses what the previous response said)."""
    spec, seed = spec or {}, seed or {}
    script = ROOT / spec["lua"] if spec.get("lua") else LUA
    threads = CONNECTIONS if spec.get("one_connection_per_thread") else THREADS
    args = [wrk, "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{DURATION}s", "-s", str(script)]
    for header in headers:
        args += ["-H", header]
    env = {**os.environ, **{key: str(value).format(**seed) for key, value in spec.get("env", {}).items()}}
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True, env=env).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


def count_queries(env: dict, specs: list[dict], seed: dict) -> dict[str, int]:
    """SQL queries per request, measured in-process with the same settings and database."""
    script = r"""
import json, sys, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
specs, seed = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {}
from django.utils.module_loading import import_string
for spec in specs:
    client = Client()
    if spec.get("auth"):
        client.cookies["sessionid"] = seed[spec["auth"] + "_session"]
    path = spec["path"].format(**seed)
    headers = dict(h.split(": ", 1) for h in spec.get("headers", []))
    if spec.get("count_with"):  # e.g. a POST that needs the current state: `prepare(client, seed) -> request`
        prepare = import_string(spec["count_with"])
    else:
        prepare = lambda client, seed: lambda: client.get(path, secure=True, headers=headers)  # noqa: E731
    prepare(client, seed)()  # warm caches the way a running server has them
    request = prepare(client, seed)
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    assert response.status_code == 200, (path, response.status_code)
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")  # transaction control is not counted
    out[spec["name"]] = len([q for q in ctx.captured_queries if not q["sql"].upper().startswith(control)])
print(json.dumps(out))
"""
    result = subprocess.run(
        [PY, "-c", script, json.dumps(specs), json.dumps(seed)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"query counting failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_checks(env: dict, base: str, seed: dict) -> int:
    """Run bench.seeding.CHECKS (e.g. a burst of simultaneous submits) in a process with the bench settings."""
    from bench.seeding import CHECKS

    script = r"""
import json, sys, django
django.setup()
from django.utils.module_loading import import_string
ok, message = import_string(sys.argv[1])(sys.argv[2], json.loads(sys.argv[3]))
print(json.dumps([ok, message]))
"""
    failures = 0
    for path in CHECKS:
        result = subprocess.run(
            [PY, "-c", script, path, base, json.dumps(seed)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if result.returncode:
            print(f"check {path} crashed:\n{result.stderr[-2000:]}")
            failures += 1
            continue
        ok, message = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{'ok' if ok else 'FAILED'}: {message}")
        failures += not ok
    return failures


def main() -> None:
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="studybench-"))
    db_url = bench_database_url(workdir)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DATABASE_URL": db_url,
        "AXES_ENABLED": "0",
    }
    backend = "PostgreSQL" if db_url.startswith("postgres") else "SQLite"
    print(
        f"Benchmark on {backend}; {WORKERS} gunicorn workers; wrk {THREADS} threads, {CONNECTIONS} connections, "
        f"{DURATION}s per endpoint",
        flush=True,
    )
    manage = [PY, "manage.py"]
    subprocess.run(manage + ["migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(manage + ["collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(manage + ["load_content"], cwd=ROOT, env=env, check=True, capture_output=True)
    seed_out = subprocess.run(manage + ["seed_bench"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    seed = json.loads(seed_out.stdout.strip().splitlines()[-1])

    port = free_port()
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "studyapp.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        only = os.environ.get("BENCH_ONLY", "")  # e.g. BENCH_ONLY=trainer,note page: names containing one
        words = [word.strip().lower() for word in only.split(",") if word.strip()] or [""]
        endpoints = [spec for spec in ENDPOINTS if any(word in spec["name"].lower() for word in words)]
        specs = [TRIVIAL, *endpoints]
        queries = count_queries(env, endpoints, seed)
        rows = []
        for spec in specs:
            headers = list(spec.get("headers", []))
            if spec.get("auth"):
                headers.append(f"Cookie: sessionid={seed[spec['auth'] + '_session']}")
            result = run_wrk(wrk, base + spec["path"].format(**seed), headers, spec, seed)
            rows.append((spec, result))
            # When wrk stops, the requests it had sent are still queued in the workers (16 item-statistics pages
            # are 1.5 s of work): let them finish, or they land in the next endpoint's latency.
            time.sleep(min(10.0, 2 * result["p99_ms"] / 1000))
        trivial_rps = rows[0][1]["rps"]
        print()
        print(f"{'endpoint':<36} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4} {'x trivial':>9}")
        failures = 0
        for spec, r in rows:
            q = queries.get(spec["name"])
            notes = []
            if r["errors"]:
                notes.append(f"{r['errors']} errors")
            if q is not None and "max_queries" in spec and q > spec["max_queries"]:
                notes.append(f"TOO MANY QUERIES (max {spec['max_queries']})")
            if r.get("replays"):
                notes.append(f"{r['replays']} of {r['requests']} were replays")
            failures += bool(r["errors"]) or (q is not None and q > spec.get("max_queries", q))
            if spec.get("reference"):
                notes.insert(0, "reference")
            row = (
                f"{spec['name']:<36} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} "
                f"{'' if q is None else q:>4} {r['rps'] / trivial_rps:>9.2f}  " + "; ".join(notes)
            )
            print(row.rstrip())
        print(
            "\nA regression guard read against the trivial view and the floor rows of the same run (a signed-in POST "
            "that does nothing, or writes one row); no throughput targets. Fails on errors and on SQL per request "
            "above an endpoint's max_queries (bench/endpoints.py)."
        )
        if not only:
            failures += run_checks(env, base, seed)
        sys.exit(1 if failures else 0)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
        for key, path in seed.items():  # the token files the seeders wrote for the wrk scripts
            if key.endswith("_file"):
                Path(path).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
