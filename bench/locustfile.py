"""Simulated learners for the journey load (bench/journey.py runs this file headless; see its docstring).

Each learner is signed in with a session seeded beforehand and uses the site the way a browser with htmx does:
it reads the forms out of the HTML each response returns (hidden tokens included), sends the CSRF token from
the `csrftoken` cookie as `X-CSRFToken` with a `Referer`, and follows redirects itself so that every request
is timed under its own name. Per question: about 7 s reading it, the answer, about 3 s reading the feedback,
then the rating (right answers) and the next question, as htmx asks for it after the rating's redirect or
the "Continue" link. Every 10 answers the learner reads the note the feedback links to, every 20 opens the
progress dashboard; now and then they answer a question of a scenario-trainer round or save an answer of a
practice exam and move to its next question.

Environment (set by bench/journey.py): JOURNEY_SESSIONS, a file with one session key per line (each simulated
learner takes the next one); JOURNEY_ANSWER_KEY, optional, a JSON list of the ids of right choices, so that
learners answer about 80 % right as real ones do (random answers otherwise).
"""

import itertools
import json
import os
import random
import re
from dataclasses import dataclass, field
from html import unescape
from http.cookiejar import Cookie
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, between, task

SESSION_COOKIE = os.environ.get("JOURNEY_SESSION_COOKIE", "sessionid")
CSRF_COOKIE = os.environ.get("JOURNEY_CSRF_COOKIE", "csrftoken")
RIGHT_SHARE = 0.8


def _session_keys():
    path = os.environ.get("JOURNEY_SESSIONS")
    if not path:
        raise SystemExit("JOURNEY_SESSIONS must name a file of session keys (bench/journey.py writes it).")
    with open(path) as lines:
        keys = [line.strip() for line in lines if line.strip()]
    return itertools.cycle(keys)


def _right_choices() -> set[str]:
    path = os.environ.get("JOURNEY_ANSWER_KEY")
    if not path:
        return set()
    with open(path) as data:
        return {str(pk) for pk in json.load(data)}


SESSIONS = _session_keys()
RIGHT = _right_choices()

# Forms are read with regular expressions, not an HTML parser: the client shares the machine's cores with the
# server, and a parser would cost it several times more per page.
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
INPUT = re.compile(r"<input\b([^>]*)>")
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
OPTION = re.compile(r"<option\b([^>]*)>")
ATTR = re.compile(r'([\w:-]+)(?:="([^"]*)")?')
NOTE_LINK = re.compile(r'<a\b[^>]*href="(/notes/[\w-]+/)[^"]*"')  # the page, without its #anchor
CONTINUE = re.compile(r'<a\b[^>]*data-hx-get="([^"]*)"[^>]*data-hx-target="#study"')
ASKED = re.compile(r"Choose (\d+) answers")
EXAM_TOTAL = re.compile(r'<span class="muted">of (\d+)</span>')


def _attrs(tag: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in ATTR.findall(tag)}


@dataclass
class Form:
    action: str
    attrs: dict[str, str] = field(default_factory=dict)
    hidden: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[dict]] = field(default_factory=dict)  # radio/checkbox inputs by name
    html: str = ""


def forms(html: str) -> list[Form]:
    found = []
    for form_attrs, body in FORM.findall(html):
        attrs = _attrs(form_attrs)
        form = Form(action=attrs.get("action", ""), attrs=attrs, html=body)
        for tag in INPUT.findall(body):
            attrs = _attrs(tag)
            kind, name = attrs.get("type", "text"), attrs.get("name")
            if not name:
                continue
            if kind == "hidden":
                form.hidden.append((name, attrs.get("value", "")))
            elif kind in ("radio", "checkbox"):
                form.options.setdefault(name, []).append(attrs)
        for select_attrs, options in SELECT.findall(body):
            values = [_attrs(option) for option in OPTION.findall(options)]
            chosen = next((o for o in values if "selected" in o), values[0] if values else {})
            form.hidden.append((_attrs(select_attrs).get("name", ""), chosen.get("value", "")))
        found.append(form)
    return found


def form_to(html: str, action: re.Pattern | str) -> Form | None:
    """The first form whose action matches (a pattern) or ends with (a string) `action`."""
    for form in forms(html):
        if isinstance(action, re.Pattern) and action.search(form.action):
            return form
        if isinstance(action, str) and form.action.split("?")[0].endswith(action):
            return form
    return None


class Learner(FastHttpUser):
    # About 10 s per question: the wait before each task is the time spent on the question, and the tasks
    # pause ~3 s more where a learner reads feedback.
    wait_time = between(6, 8)
    # One connection per learner, like a browser tab, so the server sees as many clients as there are learners.
    concurrency = 1

    def on_start(self) -> None:
        # Learners are at different points of their day, so that the every-10 and every-20 pages come at the
        # journey's average rate from the start rather than all together after 100 and 200 s.
        self.answers = random.randrange(20)
        self.round_url: str | None = None
        self.exam_html: str | None = None
        self.client.cookiejar.set_cookie(_cookie(SESSION_COOKIE, next(SESSIONS), urlsplit(self.host).hostname))
        self.study_html = self.page("/study/", "study: page")
        self.wait()  # reading the first question

    # -- HTTP helpers: every request has a kind name, the statuses it may answer and, optionally, a text its body
    # must contain; anything else counts as an error of that kind.

    def page(self, path: str, name: str, htmx: bool = False) -> str:
        response = self.send("GET", path, name, htmx=htmx)
        return response.text or "" if response is not None else ""

    def post(self, path: str, fields: list[tuple[str, str]], name: str, *, htmx: bool, expect=(200,), text=None):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.csrf_token(),
            "Referer": self.host + path,
        }
        return self.send(
            "POST", path, name, htmx=htmx, expect=expect, text=text, data=urlencode(fields), headers=headers
        )

    def send(self, method, path, name, *, htmx, expect=(200,), text=None, headers=None, **kwargs):
        headers = {**(headers or {}), **({"HX-Request": "true"} if htmx else {})}
        with self.client.request(
            method, path, name=name, headers=headers, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in expect:
                response.failure(f"status {response.status_code}")
                return None
            if text is not None and text not in (response.text or ""):
                response.failure(f"no {text!r} in the response")
                return None
            return response

    def csrf_token(self) -> str:
        return next((c.value for c in self.client.cookiejar if c.name == CSRF_COOKIE), "")

    # -- the study loop

    @task(10)
    def study_a_question(self) -> None:
        form = form_to(self.study_html, "/study/answer/")
        if form is None:  # done for today (or an error page): practise new questions instead
            self.study_html = self.page("/study/?mode=new", "study: next question")
            return
        asked = ASKED.search(form.html)
        chosen = self.pick(form.options.get("choice", []), int(asked.group(1)) if asked else 1, study=True)
        response = self.post(form.action, form.hidden + chosen, "study: answer", htmx=True, text="verdict")
        if response is None:  # start again from the study page, as a learner would reload it
            self.study_html = self.page("/study/", "study: page")
            return
        feedback = response.text or ""
        self.answers += 1
        gevent.sleep(random.uniform(2, 4))  # reading the feedback
        rate = form_to(feedback, "/study/rate/")
        if rate is not None:
            rating = random.choices(["2", "3", "4"], weights=[15, 70, 15])[0]
            response = self.post(
                rate.action, [*rate.hidden, ("rating", rating)], "study: rate", htmx=True, expect=(303,)
            )
            next_url = response.headers.get("Location", "/study/") if response is not None else "/study/"
        else:  # a wrong answer was recorded as Again at once: "Continue"
            link = CONTINUE.search(feedback)
            next_url = unescape(link.group(1)) if link else "/study/"
        self.study_html = self.page(next_url, "study: next question", htmx=True)
        if self.answers % 10 == 0:
            note = NOTE_LINK.search(feedback)
            self.page(note.group(1) if note else "/notes/", "note page")
        if self.answers % 20 == 0:
            self.page("/progress/", "progress dashboard")

    def pick(self, choices: list[dict], count: int, study: bool = False) -> list[tuple[str, str]]:
        """As many options as the question asks: for a study question about 80 % right when the answer key is
        known (its options carry choice ids), random otherwise."""
        values = [choice["value"] for choice in choices]
        right = [value for value in values if value in RIGHT] if study else []
        if right and random.random() < RIGHT_SHARE:
            return [("choice", value) for value in right]
        return [("choice", value) for value in random.sample(values, min(count, len(values)))]

    # -- now and then: a question of a scenario-trainer round

    @task(1)
    def trainer_question(self) -> None:
        if self.round_url is None:
            index = self.page("/trainer/", "trainer: index")
            start = next((f for f in forms(index) if ("kind", "practice") in f.hidden), None)
            if start is None:
                return
            response = self.post(start.action, start.hidden, "trainer: start round", htmx=False, expect=(302, 303))
            if response is None:
                return
            self.round_url = response.headers["Location"]
            html = self.page(self.round_url, "trainer: question")
        else:
            html = self.page(self.round_url, "trainer: question", htmx=True)
        form = form_to(html, re.compile(r"^/trainer/rounds/\d+/answer/$"))
        if form is None:  # the round is over (its results show): the next trainer task starts another
            self.round_url = None
            return
        services = form.options.get("service", [])
        count = 2 if services and services[0].get("type") == "checkbox" else 1
        chosen = [("service", s["value"]) for s in random.sample(services, min(count, len(services)))]
        gevent.sleep(random.uniform(3, 6))  # reading the scenario
        self.post(form.action, form.hidden + chosen, "trainer: answer", htmx=True)

    # -- now and then: an answer of a practice exam, then its next question

    @task(1)
    def exam_answer(self) -> None:
        if self.exam_html is None:
            index = self.page("/exam/", "exam: index")
            start = next((f for f in forms(index) if ("preset", "quick") in f.hidden), None)
            if start is None:
                return
            response = self.post(start.action, start.hidden, "exam: start", htmx=False, expect=(302, 303))
            if response is None:
                return
            self.exam_html = self.page(response.headers["Location"], "exam: question")
        form = form_to(self.exam_html, re.compile(r"^/exam/\d+/q/\d+/$"))
        if form is None:
            self.exam_html = None
            return
        # Exam options are numbered per question, not by choice id: random ones, as many as the question asks.
        chosen = self.pick(form.options.get("choice", []), int(form.attrs.get("data-select") or 1))
        fields = [(name, value) for name, value in form.hidden if name != "seq"]
        seq = dict(form.hidden).get("seq", "")
        response = self.post(form.action, [*fields, ("seq", seq), *chosen], "exam: save answer", htmx=True)
        if response is None:
            self.exam_html = None
            return
        saved = dict(form_hidden(response.text or ""))
        seq = saved.get("seq", seq)
        gevent.sleep(random.uniform(1, 3))
        position, total = int(form.action.rstrip("/").rsplit("/", 1)[1]), _exam_total(self.exam_html)
        if position < total:
            response = self.post(
                form.action,
                [*fields, ("seq", seq), *chosen, ("go", "next")],
                "exam: next question",
                htmx=False,
                expect=(302, 303),
            )
            # `is not None`: a redirect's empty body makes Locust's response falsy.
            self.exam_html = self.page(response.headers["Location"], "exam: question") if response is not None else None
        else:
            attempt = form.action.split("/q/")[0]
            self.post(
                f"{attempt}/submit", [("confirm", "yes"), ("seq", seq)], "exam: submit", htmx=False, expect=(302, 303)
            )
            self.exam_html = None


def form_hidden(html: str) -> list[tuple[str, str]]:
    """Hidden inputs anywhere in a fragment (htmx swaps return parts of a form, not whole forms)."""
    return [
        (a.get("name", ""), a.get("value", "")) for a in map(_attrs, INPUT.findall(html)) if a.get("type") == "hidden"
    ]


def _exam_total(html: str) -> int:
    match = EXAM_TOTAL.search(html)
    return int(match.group(1)) if match else 1


def _cookie(name: str, value: str, host: str) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={},
        rfc2109=False,
    )
