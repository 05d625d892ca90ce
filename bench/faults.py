#!/usr/bin/env python
"""Faults: PostgreSQL stopped and started again while learners answer questions under gunicorn.

The script starts a PostgreSQL server of its own (initdb in a temporary folder, a free port of 127.0.0.1),
so that stopping it disturbs nobody else's database. On it: the app under gunicorn with production settings,
and FAULTS_LEARNERS learners (default 8) who each loop over the study page (next question, answer, rate)
with a short pause, retrying a request that answered 503 with the same form, as a learner pressing the button
again would. FAULTS_WARMUP seconds in (default 10) the server is stopped (fast shutdown: open connections are
cut), kept down FAULTS_DOWN seconds (default 5) and started; the learners go on for FAULTS_AFTER seconds more
(default 20). gunicorn is never restarted.

Checked, with the figures printed: while the database was away requests answered 503 (never 500, never a
traceback page, never a dropped connection); every answer a learner was told was recorded is in the review log
exactly once (ReviewLog rows per learner = recording responses the learner got); every learner is served again
after the restart, and gunicorn still runs the workers it started with. The exit status is 1 if one fails.
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.journey import PY, ROOT, app_env, ensure_locust, free_port, prepare, start_server, stop_server  # noqa: E402

LEARNERS = int(os.environ.get("FAULTS_LEARNERS", "8"))
WARMUP = float(os.environ.get("FAULTS_WARMUP", "10"))
DOWN = float(os.environ.get("FAULTS_DOWN", "5"))
AFTER = float(os.environ.get("FAULTS_AFTER", "20"))
WORKERS = int(os.environ.get("FAULTS_WORKERS", str(2 * (os.cpu_count() or 1))))
TIMEOUT = 60  # a request that takes longer counts as a failure

ANSWER_FORM = re.compile(r'<form\b[^>]*action="/study/answer/"[^>]*>(.*?)</form>', re.S)
RATE_FORM = re.compile(r'<form\b[^>]*action="/study/rate/"[^>]*>(.*?)</form>', re.S)
ASKED = re.compile(r"Choose (\d+) answers")
INPUT = re.compile(r"<input\b([^>]*)>")
ATTR = re.compile(r'([\w:-]+)(?:="([^"]*)")?')


def inputs(form_html: str) -> list[dict[str, str]]:
    return [{k: unescape(v) for k, v in ATTR.findall(tag)} for tag in INPUT.findall(form_html)]


# -- a PostgreSQL server of our own


@dataclass
class Postgres:
    bindir: Path
    data: Path
    port: int

    def run(self, *args: str) -> None:
        # initdb and pg_ctl refuse to run as root: as the postgres user then.
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = self.data.parent / "postgres.log"
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options, "-w", *args)

    @property
    def url(self) -> str:
        return f"postgres://study@127.0.0.1:{self.port}/study"


def start_postgres() -> Postgres | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        return None
    home = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    home.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    server = Postgres(versions[-1].parent, home / "data", free_port())
    server.run(str(server.bindir / "initdb"), "-D", str(server.data), "-U", "study", "-A", "trust", "-E", "UTF8")
    server.pg_ctl("start")
    import psycopg

    with psycopg.connect(f"postgres://study@127.0.0.1:{server.port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE study")
    return server


# -- learners


@dataclass
class Result:
    at: float  # seconds since the load started
    kind: str
    status: int  # 0: no response (connection error or timeout)
    ms: float
    traceback: bool = False


@dataclass
class Learner:
    session_key: str
    base: str
    results: list[Result] = field(default_factory=list)
    recorded: list[float] = field(default_factory=list)  # when a response said an answer was recorded

    def run(self, stop: threading.Event, t0: float) -> None:
        """Study until the run ends; after an error (not a 503), start again from the study page."""
        import requests

        http = requests.Session()
        http.cookies.set("sessionid", self.session_key, domain="127.0.0.1", path="/")
        while not stop.is_set():
            page = self.send(http, t0, stop, "GET", "/study/", "study page")
            while page is not None and not stop.is_set():
                time.sleep(0.2)  # thinking
                page = self.study_one(http, t0, stop, page)
            time.sleep(0.5)

    def study_one(self, http, t0, stop, page):
        """Answer the question on the page (and rate a right answer); the next question page, or None."""
        form = ANSWER_FORM.search(page.text)
        if form is None:  # done for today: practise new questions
            return self.send(http, t0, stop, "GET", "/study/?mode=new", "next question", htmx=True)
        fields = [(i["name"], i.get("value", "")) for i in inputs(form.group(1)) if i.get("type") == "hidden"]
        choices = [i for i in inputs(form.group(1)) if i.get("name") == "choice"]
        asked = ASKED.search(form.group(1))  # "Choose 2 answers"
        count = int(asked.group(1)) if asked else 1
        fields += [("choice", choice["value"]) for choice in random.sample(choices, min(count, len(choices)))]
        feedback = self.send(http, t0, stop, "POST", "/study/answer/", "answer", fields)
        if feedback is None:
            return None
        rate = RATE_FORM.search(feedback.text)
        if rate is None:  # a wrong answer: recorded as Again by the answer itself
            if "verdict" in feedback.text:
                self.recorded.append(time.monotonic() - t0)
        else:
            fields = [(i["name"], i.get("value", "")) for i in inputs(rate.group(1)) if i.get("type") == "hidden"]
            rated = self.send(http, t0, stop, "POST", "/study/rate/", "rate", [*fields, ("rating", "3")])
            if rated is None:
                return None
            if rated.status_code == 303:  # to the next question; a stale form answers otherwise
                self.recorded.append(time.monotonic() - t0)
        return self.send(http, t0, stop, "GET", "/study/", "next question", htmx=True)

    def send(self, http, t0, stop, method, path, kind, fields=None, htmx=False):
        """One request, sent again (the same form) after a 503 until it gets another answer; None when the
        run ends first or the answer is an error."""
        import requests

        headers = {"HX-Request": "true"} if htmx or method == "POST" else {}
        if method == "POST":
            headers |= {"X-CSRFToken": http.cookies.get("csrftoken", ""), "Referer": self.base + path}
        while True:
            started = time.monotonic()
            try:
                response = http.request(
                    method, self.base + path, data=fields, headers=headers, allow_redirects=False, timeout=TIMEOUT
                )
                status, body = response.status_code, response.text
            except requests.RequestException:
                response, status, body = None, 0, ""
            ms = (time.monotonic() - started) * 1000
            self.results.append(Result(started - t0, kind, status, ms, "Traceback" in body))
            if status == 503 and not stop.is_set():
                time.sleep(0.5)
                continue
            return response if status in (200, 303) else None


def review_logs_per_learner(env: dict) -> dict[str, int]:
    script = """
import json, django
django.setup()
from django.db.models import Count
from quizzes.models import ReviewLog
rows = ReviewLog.objects.values("learner__username").annotate(n=Count("id"))
print(json.dumps({row["learner__username"]: row["n"] for row in rows}))
"""
    out = subprocess.run([PY, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def session_usernames(env: dict, keys: list[str]) -> list[str]:
    script = """
import json, sys, django
django.setup()
from importlib import import_module
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
store = import_module(settings.SESSION_ENGINE).SessionStore
ids = [store(session_key=key)[SESSION_KEY] for key in json.loads(sys.argv[1])]
names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
print(json.dumps([names[int(pk)] for pk in ids]))
"""
    out = subprocess.run(
        [PY, "-c", script, json.dumps(keys)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_pids(server) -> set[int]:
    import psutil

    return {child.pid for child in psutil.Process(server.process.pid).children()}


def main() -> None:
    ensure_locust()  # bench/requirements.txt: Locust brings requests and psutil, which this script uses
    postgres = start_postgres()
    if postgres is None:
        print("faults: skipped (no PostgreSQL server here: apt-get install -y postgresql)")
        return
    workdir = Path(tempfile.mkdtemp(prefix="faults-"))
    env = app_env(postgres.url)
    server = None
    try:
        prepare(env, LEARNERS, workdir)
        keys = (workdir / "sessions.txt").read_text().split()
        server = start_server(env, workdir, WORKERS)
        workers_before = worker_pids(server)
        print(
            f"Faults on PostgreSQL: {LEARNERS} learners studying, {WORKERS} gunicorn workers; the database stops "
            f"{WARMUP:.0f} s in for {DOWN:.0f} s, then {AFTER:.0f} s more",
            flush=True,
        )
        learners = [Learner(key, server.base) for key in keys]
        stop, t0 = threading.Event(), time.monotonic()
        threads = [threading.Thread(target=learner.run, args=(stop, t0)) for learner in learners]
        for thread in threads:
            thread.start()
        time.sleep(WARMUP)
        down_at = time.monotonic() - t0
        postgres.pg_ctl("-m", "fast", "stop")
        time.sleep(DOWN)
        postgres.pg_ctl("start")
        up_at = time.monotonic() - t0
        time.sleep(AFTER)
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT + 5)
        workers_after = worker_pids(server)
        logs = review_logs_per_learner(env)
        names = session_usernames(env, keys)
        failures = report(learners, names, logs, down_at, up_at, workers_before, workers_after)
        sys.exit(1 if failures else 0)
    finally:
        if server is not None:
            stop_server(server)
        try:
            postgres.pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(postgres.data.parent, ignore_errors=True)


def report(learners, names, logs, down_at, up_at, workers_before, workers_after) -> list[str]:
    results = sorted((r for learner in learners for r in learner.results), key=lambda r: r.at)
    during = [r for r in results if down_at <= r.at < up_at]
    after = [r for r in results if r.at >= up_at]
    unavailable = [r for r in results if r.status == 503]
    errors = [r for r in results if r.status not in (200, 303, 503) or r.traceback]
    first_ok = min((r.at + r.ms / 1000 for r in after if r.status in (200, 303)), default=None)
    last_503 = max((r.at + r.ms / 1000 for r in unavailable), default=None)
    served_again = all(any(r.at >= up_at and r.status in (200, 303) for r in learner.results) for learner in learners)
    lost_or_doubled = [
        f"{name}: told recorded {len(learner.recorded)}, review log {logs.get(name, 0)}"
        for learner, name in zip(learners, names, strict=True)
        if len(learner.recorded) != logs.get(name, 0)
    ]
    recorded = sum(len(learner.recorded) for learner in learners)
    recorded_after = sum(1 for learner in learners for at in learner.recorded if at >= up_at)
    print(f"  requests: {len(results)} ({len(during)} sent while the database was down, {down_at:.1f}-{up_at:.1f} s)")
    print(f"  503 answers: {len(unavailable)}; errors (500, other statuses, tracebacks, no response): {len(errors)}")
    for r in errors[:10]:
        print(f"    error: {r.kind} at {r.at:.1f} s: status {r.status}{' with a traceback' if r.traceback else ''}")
    slowest = max((r.ms for r in results), default=0)
    print(f"  slowest request: {slowest / 1000:.1f} s")
    if first_ok is not None:
        print(f"  recovery: first success {first_ok - up_at:.1f} s after the database was started again", end="")
        if last_503 is not None:
            gap = last_503 - up_at
            print(f", the last 503 sent {abs(gap):.1f} s {'before' if gap < 0 else 'after'} it", end="")
        print()
    print(
        f"  answers recorded: {recorded} told to learners ({recorded_after} after the restart), "
        f"{sum(logs.values())} in the review log"
    )
    for line in lost_or_doubled:
        print(f"    mismatch: {line}")
    restarted = len(workers_before - workers_after)
    print(f"  gunicorn: never restarted; {restarted} of {len(workers_before)} workers replaced during the run")
    failures = []
    if errors:
        failures.append("requests answered something else than 503 while the database was away")
    if lost_or_doubled:
        failures.append("answers were lost or recorded twice")
    if not served_again or not recorded_after:
        failures.append("learners were not served again after the restart")
    if restarted:
        failures.append("gunicorn workers were replaced (a request hung past gunicorn's timeout)")
    if not during:
        failures.append("no request was sent while the database was down: nothing was tested")
    print("faults: " + ("ok" if not failures else "FAILED: " + "; ".join(failures)))
    return failures


if __name__ == "__main__":
    main()
