"""The class dashboard's tables as HTML: 4,000 cells for a class of 200 learners and 20 assignments.

Drawn with template loops and an include per cell, the grid was most of the page's time (about 350 ms); these
functions write the same markup, escaped (html.escape, as Django's escape does), once per learner whose work
changed (the dashboard caches each learner's cells with the rest of their part, quizzes/classes/dashboard.py).
classes/_status.html draws the same badges elsewhere.
"""

from datetime import datetime
from html import escape

from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from quizzes.classes.standing import Standing, Status
from studyapp.progress import charts
from studyapp.progress.readiness import Readiness

_BADGE = {
    Status.DONE: "badge badge-ok",
    Status.OVERDUE: "badge badge-bad",
    Status.NOT_STARTED: "status status-archived",
}
_OTHER = "status status-draft"


def _cell(standing: Standing) -> str:
    badge = f'<span class="{_BADGE.get(standing.status, _OTHER)}">{escape(standing.label)}</span>'
    score = f'<span class="cell-head">{badge} {escape(standing.score_text)}</span>'
    return f'<td>{score}<br><span class="muted">{escape(standing.detail)}</span></td>'


def standing_cells(standings: list[Standing]) -> str:
    """A learner's cells of the grid: per assignment, the status badge, the score and the detail."""
    drawn: dict[tuple, str] = {}  # many cells are alike (not started, 0 of 20 reviews): each drawn once
    return "".join(
        drawn[key] if (key := (s.status, s.score_text, s.detail)) in drawn else drawn.setdefault(key, _cell(s))
        for s in standings
    )


def readiness_cells(readiness: Readiness) -> str:
    """A learner's cells of the readiness table: the estimate per exam domain and the estimated score."""
    domains = "".join(f"<td>{escape(charts.percent(d.estimate))}</td>" for d in readiness.domains)
    return f"{domains}<td>{readiness.scaled or '–'}</td>"


def learner_header(username: str, full_name: str) -> str:
    name = f' <span class="muted">({escape(full_name)})</span>' if full_name else ""
    return f'<th scope="row">{escape(username)}{name}</th>'


def when(moment: datetime | None) -> str:
    return escape(date_format(localtime(moment), "j M Y H:i")) if moment else "never"
