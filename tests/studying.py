"""Helpers for the study tests: open /study/, read the showing off the page, answer and rate like a browser."""

import re
from dataclasses import dataclass

from quizzes.models import Choice, Question

TOKEN = re.compile(r'name="token" value="([^"]+)"')
CHOICE = re.compile(r'name="choice" value="(\d+)"')


@dataclass
class Page:
    response: object
    html: str
    token: str | None
    choice_ids: list[int]

    @property
    def question(self) -> Question | None:
        return Choice.objects.get(pk=self.choice_ids[0]).question if self.choice_ids else None

    def right(self) -> list[int]:
        return [pk for pk in self.choice_ids if Choice.objects.get(pk=pk).correct]

    def wrong(self) -> list[int]:
        """A wrong answer with as many options as the question asks for."""
        question = self.question
        wrong = [pk for pk in self.choice_ids if not Choice.objects.get(pk=pk).correct]
        return wrong[: question.correct_count if question.type == "multiple" else 1]


def page(response) -> Page:
    html = response.content.decode()
    token = TOKEN.search(html)
    return Page(response, html, token.group(1) if token else None, [int(pk) for pk in CHOICE.findall(html)])


def open_study(client, **params) -> Page:
    response = client.get("/study/", params)
    assert response.status_code == 200, response.content[:500]
    return page(response)


def answer(client, shown: Page, choice_ids, htmx: bool = False, **extra):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/study/answer/", {"token": shown.token, "choice": choice_ids, **extra}, headers=headers)


def rate(client, feedback_response, rating, **extra):
    token = TOKEN.search(feedback_response.content.decode()).group(1)
    return client.post("/study/rate/", {"token": token, "rating": rating, **extra})


class Clock:
    """Moves `django.utils.timezone.now` for views and domain code alike."""

    def __init__(self, monkeypatch, start):
        from django.utils import timezone

        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)
