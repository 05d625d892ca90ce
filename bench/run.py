#!/usr/bin/env python
"""`make bench`: serve the app under gunicorn with production settings, seed data, load it with wrk
from a second process, and print requests/s, p50/p95 latency, SQL queries per request and the ratio
to a trivial HttpResponse("ok") view measured in the same run.

Runs on a throw-away SQLite file, or on PostgreSQL when DATABASE_URL is set (in a separate
"<name>_bench" database, created if absent). Options via environment: BENCH_DURATION (s, default 5),
BENCH_CONNECTIONS (default 16), BENCH_THREADS (default 2), BENCH_WORKERS (gunicorn, default 2 x cores),
BENCH_ONLY (comma-separated: measure only the endpoints whose name contains one, beside the trivial view).
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
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
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
    out[spec["name"]] = len([q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])
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
    """Run bench/seeders.py CHECKS (e.g. a burst of simultaneous submits) in a process with the bench settings."""
    from bench.seeders import CHECKS

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
        "DJANGO_SETTINGS_MODULE": "studyapp.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DATABASE_URL": db_url,
        "AXES_ENABLED": "0",
        "DJANGO_BENCH_ENDPOINTS": "1",
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
        references = {spec["within_of"][0] for spec in endpoints if "within_of" in spec}
        endpoints = [spec for spec in ENDPOINTS if spec in endpoints or spec["name"] in references]
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
        rps_of = {spec["name"]: r["rps"] for spec, r in rows}
        print()
        print(f"{'endpoint':<34} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4} {'ratio':>6}  verdict")
        failures = 0
        for spec, r in rows:
            ratio = r["rps"] / trivial_rps
            q = queries.get(spec["name"])
            ok = r["errors"] == 0  # a reference row's only check
            if spec is not TRIVIAL and not spec.get("reference"):
                if "within_of" in spec:
                    name, factor = spec["within_of"]
                    fast_enough = r["rps"] * factor >= rps_of[name]
                else:
                    fast_enough = ratio >= spec["min_ratio"]
                ok = fast_enough and q <= spec["max_queries"] and r["errors"] == 0
                if "max_p95_ms" in spec:
                    ok = ok and r["p95_ms"] <= spec["max_p95_ms"]
            failures += not ok
            verdict = "ok" if ok else "BELOW TARGET"
            if spec is TRIVIAL or spec.get("reference"):
                verdict = "" if spec is TRIVIAL else "reference"
            if "within_of" in spec:
                verdict += f" ({rps_of[spec['within_of'][0]] / r['rps']:.2f}x the time of {spec['within_of'][0]})"
            print(
                f"{spec['name']:<34} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} "
                f"{'' if q is None else q:>4} {ratio:>6.2f}  {verdict}"
                + (f" ({r['errors']} errors)" if r["errors"] else "")
                + (f" ({r['replays']} of {r['requests']} were replays)" if r.get("replays") else "")
            )
        print(
            "\nTargets (bench/endpoints.py): ratio >= the endpoint's min_ratio, or req/s >= 1/factor of its within_of "
            "endpoint's; SQL <= its max_queries; p95 <= its max_p95_ms where it has one.\nThe floor rows have no "
            "target: a signed-in POST that does nothing (or writes one row), to read POST ratios against."
        )
        if not only:
            failures += run_checks(env, base, seed)
        sys.exit(1 if failures else 0)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
