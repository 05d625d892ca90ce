#!/usr/bin/env python
"""Cold pages: every learner page timed right after a write that changes what it shows, so that no cache can
serve it from before the write. Target (issue 15): p95 <= 15 ms per page, and <= 8 SQL queries per request.

In process, with Django's test client (CSRF checks on) and the bench settings, on the bench data (bench.seeding:
the study bank and its 500 learners, and the learner with a year of history: 20,000 reviews, 6 practice exams,
5,000 trainer answers, whose pages are measured). It drives the site through its URLs and forms only, as a
browser would: each write posts the form the previous page showed. Per page, COLD_N times (after COLD_WARMUP
untimed rounds): the write, then the timed GET.

  study: next question          after an answer (and its rating when right), no JavaScript: full pages
  study: next question (htmx)   the same with htmx: the GET is the one htmx sends after the rating's redirect
  progress dashboard            after a study answer
  progress: every topic         after a study answer (the table the dashboard loads when it is opened)
  settings                      after a settings save
  trainer: round page           after a trainer answer
  trainer: home                 after a trainer answer
  trainer: confusions           after a trainer answer
  exam: question page           after an answer save on it
  exam: home                    after an answer save (it counts the learner's missed questions)
  suspended questions           after an unsuspend from it, or the same question suspended again
  home, notes index, note page  content only: measured plain

Prints p50/p95 and the SQL per request of each page and each kind of write, then `max SQL per request: N (WHAT)`
and `cold pages: worst p95 X ms (PAGE)`. Exit status 1 when a request takes more than 8 SQL queries (statements
that only open or close a transaction are not counted) or a page's p95 is above 15 ms.

Runs on a throw-away SQLite file, or on PostgreSQL when DATABASE_URL is set (its "<name>_bench" database, as
bench/run.py), with sessions read through a directory as on one host (bench/inprocess.py). Options: COLD_N
(default 100), COLD_WARMUP (default 5), BENCH_FULL=1 (the full bench data), DJANGO_SESSION_CACHE_DIR= (empty:
sessions read from the database).

    .venv/bin/python bench/cold_pages.py
"""

import os
import re
import statistics
import sys
import time
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import Statements, configure  # noqa: E402

_workdir = configure(prefix="studycold-")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

N = int(os.environ.get("COLD_N", "100"))
WARMUP = int(os.environ.get("COLD_WARMUP", "5"))
MAX_QUERIES = 8
TARGET_P95_MS = 15.0


class NothingToDo(Exception):
    """The page offers no form for the write (e.g. the study queue is empty): the measurement cannot go on."""


# ---------------------------------------------------------------- forms, read from the HTML a GET returned


class Form:
    """One <form>: its action, and its fields as a browser would send them (hidden and text inputs, checked boxes,
    selected options); `options` lists every value of each checkbox and radio group, `buttons` the named buttons."""

    def __init__(self, action: str, method: str):
        self.action, self.method = action, method
        self.fields: list[tuple[str, str]] = []
        self.options: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str]] = []

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    def data(self, **overrides) -> dict[str, list[str]]:
        """The fields to send, with `overrides` replacing (or adding) whole fields."""
        out: dict[str, list[str]] = {}
        for name, value in self.fields:
            out.setdefault(name, []).append(value)
        out.update({name: value if isinstance(value, list) else [value] for name, value in overrides.items()})
        return out


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, values, selected values
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self.form)
        elif self.form is None or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self.form.options.setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" in a:
                    self.form.fields.append((a["name"], a.get("value", "on")))
            elif kind in ("submit", "image", "button"):
                self.form.buttons.append((a["name"], a.get("value", "")))
            elif kind not in ("file", "reset"):
                self.form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self.form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self.select = (a["name"], [], [])
        elif tag == "option" and self.select is not None:
            self.select[1].append(a.get("value", ""))
            if "selected" in a:
                self.select[2].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self.textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None and self.form is not None:
            name, values, selected = self.select
            for value in selected or values[:1]:
                self.form.fields.append((name, value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.fields.append((self.textarea[0], "".join(self.textarea[1])))
            self.textarea = None


def find_forms(html: str, action: str) -> list[Form]:
    """The POST forms whose action matches the regular expression `action` (matched from its start)."""
    parser = _FormParser()
    parser.feed(html)
    return [form for form in parser.forms if form.method == "post" and re.match(action, form.action)]


def find_form(html: str, action: str) -> Form | None:
    return next(iter(find_forms(html, action)), None)


def _shape(path: str) -> str:
    """A path with its ids as N, to count the SQL of one kind of request together."""
    return re.sub(r"/\d+/", "/N/", path)


# ---------------------------------------------------------------- a signed-in browser whose requests are measured


class Stats:
    def __init__(self):
        self.ms: dict[str, list[float]] = {}
        self.sql: dict[str, list[int]] = {}
        self.pages: list[str] = []  # in the order measured

    def record_sql(self, what: str, count: int) -> None:
        self.sql.setdefault(what, []).append(count)

    def record_ms(self, page: str, ms: float) -> None:
        if page not in self.ms:
            self.pages.append(page)
        self.ms.setdefault(page, []).append(ms)


class Browser:
    """Django's test client with one learner's session and CSRF checks on; every request's SQL is counted under
    what it is (a page's name, or "POST /study/answer/"), and a page's GET is timed when asked."""

    def __init__(self, session_key: str, stats: Stats):
        self.client = Client(enforce_csrf_checks=True)
        self.client.cookies["sessionid"] = session_key
        self.stats = stats

    def _send(self, what: str, call, expect: int):
        with Statements(connection) as statements:
            started = time.perf_counter()
            response = call()
            elapsed = (time.perf_counter() - started) * 1000
        self.stats.record_sql(what, statements.count)
        if response.status_code != expect:
            body = response.content.decode(errors="replace")[:500] if hasattr(response, "content") else ""
            raise RuntimeError(f"{what}: expected {expect}, got {response.status_code}\n{body}")
        return response, elapsed

    def get(self, path: str, page: str | None = None, timed: bool = False, htmx: bool = False) -> str:
        """GET a page; with `page`, its SQL is counted under that name, and with `timed` its time is recorded."""
        headers = {"HX-Request": "true"} if htmx else {}
        what = page or f"GET {_shape(path)}"
        response, elapsed = self._send(what, lambda: self.client.get(path, headers=headers), 200)
        if timed and page:
            self.stats.record_ms(page, elapsed)
        return response.content.decode()

    def get_redirect(self, path: str) -> str:
        response, _ = self._send(f"GET {_shape(path)}", lambda: self.client.get(path), 302)
        return response["Location"]

    def post(self, form: Form, data: dict, expect: int, htmx: bool = False):
        """POST a form as the page would, with the CSRF cookie's value in the header as the page's htmx does."""
        csrf = self.client.cookies["csrftoken"].value if "csrftoken" in self.client.cookies else ""
        headers = {"X-CSRFToken": csrf, **({"HX-Request": "true"} if htmx else {})}
        what = f"POST {_shape(form.action)}"
        response, _ = self._send(what, lambda: self.client.post(form.action, data, headers=headers), expect)
        return response


# ---------------------------------------------------------------- the writes


def study_answer(browser: Browser, html: str, htmx: bool) -> None:
    """Answer the question the study page shows with its first option(s), as many as it asks for; rate a right
    answer Good. Either way the next GET of /study/ shows something else."""
    form = find_form(html, r".*/study/answer/")
    pending = find_form(html, r".*/study/rate/")
    if form is None and pending is not None:  # a right answer left waiting for its rating
        browser.post(pending, pending.data(rating="3"), 303, htmx=htmx)
        return
    if form is None:
        raise NothingToDo("the study page shows no question to answer")
    values = form.options.get("choice", [])
    for count in range(1, len(values) + 1):
        response = browser.post(form, form.data(choice=values[:count]), 200, htmx=htmx)
        answered = response.content.decode()
        again = find_form(answered, r".*/study/answer/")
        if again is None or again.value("token") != form.value("token"):
            break  # recorded (not sent back with "select exactly two options")
    else:
        raise NothingToDo("no number of options was accepted as an answer")
    rate = find_form(answered, r".*/study/rate/")
    if rate is not None:
        browser.post(rate, rate.data(rating="3"), 303, htmx=htmx)


class Trainer:
    """Answers the trainer's rounds one scenario at a time, starting a practice round when one is finished."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.round_path: str | None = None
        self.html = ""

    def start_round(self) -> None:
        form = find_form(self.browser.get("/trainer/"), r".*/trainer/rounds/$")
        if form is None:
            raise NothingToDo("the trainer's home offers no round to start")
        response = self.browser.post(form, form.data(), 303)
        self.round_path = response["Location"]
        self.html = self.browser.get(self.round_path)

    def answer(self, html: str | None = None) -> None:
        """Answer the scenario the round page (`html`, or a fresh GET of it) shows with its first service."""
        if self.round_path is None:
            self.start_round()
        elif html is not None:
            self.html = html
        else:
            self.html = self.browser.get(self.round_path)
        form = find_form(self.html, r".*/trainer/rounds/\d+/answer/")
        if form is None:  # the round is over: its results are shown
            self.start_round()
            form = find_form(self.html, r".*/trainer/rounds/\d+/answer/")
            if form is None:
                raise NothingToDo("a new round shows no scenario to answer")
        services = form.options.get("service", [])
        self.browser.post(form, form.data(service=services[:1]), 200, htmx=True)


def exam_question_path(browser: Browser) -> str:
    """A question page of the learner's exam in progress, or of a new full simulation started from /exam/."""
    index = browser.get("/exam/")
    running = re.search(r'href="(/exam/\d+/)"', index)
    if running:
        location = browser.get_redirect(running.group(1))
        if "/q/" in location:
            return location
    full = [form for form in find_forms(index, r".*/exam/start") if form.value("preset") == "full"]
    if not full:
        raise NothingToDo("the exam page offers no full simulation to start")
    return browser.post(full[0], full[0].data(), 302)["Location"]


def exam_save(browser: Browser, html: str) -> None:
    """Save a different answer on the question page `html` shows (htmx, as the page does on a change)."""
    form = find_form(html, r".*/exam/\d+/q/\d+/")
    if form is None:
        raise NothingToDo("the exam question page shows no answer form")
    options, chosen = form.options.get("choice", []), form.value("choice")
    other = [value for value in options if value != chosen][:1]
    browser.post(form, form.data(choice=other), 200, htmx=True)


def settings_save(browser: Browser, html: str, turn: int) -> None:
    """Save the settings form with another desired retention (and daily limits high enough for the study loops)."""
    form = find_form(html, r".*/settings/$")
    if form is None:
        raise NothingToDo("the settings page shows no form")
    retention = "0.91" if turn % 2 else "0.9"
    data = form.data(desired_retention=retention, new_per_day="999", reviews_per_day="9999")
    browser.post(form, data, 302)


# ---------------------------------------------------------------- the measurement


class Suspensions:
    """The suspended questions page's writes, in turn: unsuspend the first question it lists (its form), then
    suspend that question again (the study page's form, posted to the question's URL)."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.again: Form | None = None

    def suspend_from_study(self) -> None:
        form = find_form(self.browser.get("/study/", htmx=True), r".*/questions/\d+/suspend/$")
        if form is None:
            raise NothingToDo("the study page shows no question to suspend")
        self.browser.post(form, form.data(), 303, htmx=True)

    def toggle(self, html: str) -> None:
        if self.again is not None:
            self.browser.post(self.again, self.again.data(), 303)
            self.again = None
            return
        form = find_form(html, r".*/unsuspend/$")
        if form is None:
            raise NothingToDo("the suspended questions page lists none")
        self.browser.post(form, form.data(), 303)
        self.again = Form(form.action.replace("/unsuspend/", "/suspend/"), "post")
        self.again.fields = form.fields


def measure(write, read, first: str | None = None) -> None:
    """WARMUP + N turns of write(html, turn) then html = read(timed): each write uses the page the last read got."""
    html = first
    for turn in range(WARMUP + N):
        if write is not None:
            write(html, turn)
        html = read(turn >= WARMUP)


def seed() -> str:
    """The bench data; returns the session of the learner with a year of history."""
    from bench.seeding import progress, study
    from studyapp.accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load_content", stdout=StringIO())
    learner, _ = User.objects.get_or_create(username="bench-learner")
    study.seed(learner)
    session = progress.seed(learner)["progress_session"]
    if connection.vendor == "postgresql":
        # As a database in service: planner statistics and visibility maps (autovacuum keeps them; here they would
        # arrive at some minute of the run, and plans would change in its middle).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return session


def run(browser: Browser) -> None:
    def page(path: str, name: str, htmx: bool = False):
        return lambda timed: browser.get(path, name, timed, htmx)

    # The settings first: each save also raises the daily limits, so that the study queue lasts through the loops.
    settings = browser.get("/settings/")
    measure(lambda html, turn: settings_save(browser, html, turn), page("/settings/", "settings"), settings)

    for htmx, name in ((False, "study: next question"), (True, "study: next question (htmx)")):
        first = browser.get("/study/", htmx=htmx)
        measure(lambda html, turn, htmx=htmx: study_answer(browser, html, htmx), page("/study/", name, htmx), first)

    def study_once(html, turn):
        study_answer(browser, browser.get("/study/", htmx=True), htmx=True)

    measure(study_once, page("/progress/", "progress dashboard"))
    measure(study_once, page("/progress/topics/", "progress: every topic"))

    trainer = Trainer(browser)
    trainer.start_round()
    measure(
        lambda html, turn: trainer.answer(html), lambda timed: page(trainer.round_path, "trainer: round page")(timed)
    )
    measure(lambda html, turn: trainer.answer(), page("/trainer/", "trainer: home"))
    measure(lambda html, turn: trainer.answer(), page("/trainer/confusions/", "trainer: confusions"))

    question = exam_question_path(browser)
    measure(lambda html, turn: exam_save(browser, html), page(question, "exam: question page"), browser.get(question))
    measure(lambda html, turn: exam_save(browser, browser.get(question)), page("/exam/", "exam: home"))

    suspensions = Suspensions(browser)
    for _ in range(10):
        suspensions.suspend_from_study()
    first = browser.get("/study/suspended/")
    measure(lambda html, turn: suspensions.toggle(html), page("/study/suspended/", "suspended questions"), first)

    for path, name in (("/", "home"), ("/notes/", "notes index"), ("/notes/lambda/", "note page")):
        measure(None, page(path, name))


def report(stats: Stats) -> int:
    print(f"\n{'page (GET right after a write)':<36} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'SQL':>4}")
    worst, worst_p95 = "", 0.0
    for name in stats.pages:
        ms = stats.ms[name]
        p95 = statistics.quantiles(ms, n=100, method="inclusive")[94]
        if p95 >= worst_p95:
            worst, worst_p95 = name, p95
        print(f"{name:<36} {statistics.median(ms):>7.2f} {p95:>7.2f} {max(ms):>7.2f} {max(stats.sql[name]):>4}")
    print(f"\n{'the writes and the other requests':<36} {'count':>7} {'SQL':>4}")
    for what in sorted(set(stats.sql) - set(stats.pages)):
        print(f"{what:<36} {len(stats.sql[what]):>7} {max(stats.sql[what]):>4}")
    most = max(stats.sql, key=lambda what: max(stats.sql[what]))
    over = sorted(what for what, counts in stats.sql.items() if max(counts) > MAX_QUERIES)
    target = f"p95 <= {TARGET_P95_MS:.0f} ms per page, <= {MAX_QUERIES} SQL per request"
    print(f"\nTargets: {target} ({connection.vendor}, N={N}).")
    print(f"max SQL per request: {max(stats.sql[most])} ({most})")
    if over:
        print(f"OVER {MAX_QUERIES} SQL: {', '.join(over)}")
    print(f"cold pages: worst p95 {worst_p95:.1f} ms ({worst})")
    if worst_p95 > TARGET_P95_MS:
        print(f"OVER {TARGET_P95_MS:.0f} ms p95: {worst}")
    return 1 if over or worst_p95 > TARGET_P95_MS else 0


def main() -> int:
    from django.conf import settings

    backend = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    sessions = "a directory (DJANGO_SESSION_CACHE_DIR)" if settings.SESSION_CACHE_DIR else "the database"
    print(
        f"Cold pages on {backend}, in process (Django test client), sessions read through {sessions}: seeding the "
        "bench data...",
        flush=True,
    )
    session = seed()
    stats = Stats()
    try:
        run(Browser(session, stats))
    except NothingToDo as error:
        print(f"cold pages: could not go on: {error}")
        return 1
    return report(stats)


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        connection.close()
        import shutil

        shutil.rmtree(_workdir, ignore_errors=True)
