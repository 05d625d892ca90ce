"""A learner's confusions: right answer x chosen answer, aggregated in the database in one query.

Answers are stored as canonical keys ('api-gateway+lambda'); the database groups the learner's answers
by (right, chosen) key, which gives a few dozen groups even for thousands of answers, and `cells()`
splits each group into per-service cells: a service in both is a right answer (the diagonal); a missed
service is counted against each extra service chosen (or, if nothing extra was chosen, against what
was chosen).
"""

import heapq
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count
from django.utils.safestring import SafeString, mark_safe

from quizzes.trainer.models import RoundItem

TOP_CONFUSIONS = 5
CACHE_SECONDS = 7 * 24 * 3600
CONFUSED_AT = 2  # a pair confused this often counts as "confused" when choosing scenarios


def _cache_key(learner_id: int) -> str:
    return f"trainer:history:v1:{learner_id}"


def cells(expected_key: str, chosen_key: str) -> list[tuple[str, str]]:
    """The (right service, chosen service) cells one answer adds to the matrix."""
    if not expected_key or not chosen_key:
        return []
    expected, chosen = set(expected_key.split("+")), set(chosen_key.split("+"))
    out = [(key, key) for key in sorted(expected & chosen)]
    if expected != chosen:
        rows = sorted(expected - chosen) or sorted(expected)
        columns = sorted(chosen - expected) or sorted(chosen)
        out += [(row, column) for row in rows for column in columns]
    return out


@dataclass
class PairConfusion:
    first: str  # service keys, in catalogue order when shown
    second: str
    first_as_second: int  # times the learner chose `second` when `first` was right
    second_as_first: int

    @property
    def total(self) -> int:
        return self.first_as_second + self.second_as_first


@dataclass
class History:
    """Counts per (right, chosen) service cell, and per right service how often it was answered right."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    answered: int = 0
    right: int = 0
    per_service: dict[str, list[int]] = field(default_factory=dict)  # key -> [times right, times asked]

    @classmethod
    def for_learner(cls, learner) -> "History":
        """The learner's history, from the cache while it holds exactly their answers, else counted by one
        GROUP BY and cached.

        A learner's answers are only ever added (each is written once; a guest merge adds some), so their
        number identifies the set: `User.trainer_answer_count`, moved by the transactions that add them and
        read with the user. `History.answered` is the number a history was counted from. The answer's write
        path brings the cached history up to date itself (`record_answer`), so the pages that read it right
        after an answer find it current."""
        answered = learner.trainer_answer_count
        cached = cache.get(_cache_key(learner.pk))
        if cached is not None and cached.answered == answered:
            return cached
        history = cls.counted(learner)
        cache.set(_cache_key(learner.pk), history, CACHE_SECONDS)
        return history

    @classmethod
    def counted(cls, learner) -> "History":
        """The history counted from the database: one GROUP BY over the learner's answers."""
        groups = (
            RoundItem.objects.filter(learner=learner, answered_at__isnull=False)
            .values_list("expected_key", "chosen_key")
            .annotate(n=Count("pk"))
            .order_by()
        )
        history = cls()
        for expected_key, chosen_key, n in groups:
            history.add(expected_key, chosen_key, n)
        return history

    @staticmethod
    def record_answer(learner_id: int, answered: int, expected_key: str, chosen_key: str) -> None:
        """Add a new answer to the cached history, when that history holds every answer but this one: the
        learner had `answered` answers with this one, as `User.trainer_answer_count` stood in the transaction that
        wrote it (with any answer committed meanwhile the counts differ, and the next reader counts afresh)."""
        cached = cache.get(_cache_key(learner_id))
        if cached is not None and cached.answered == answered - 1:
            cached.add(expected_key, chosen_key)
            cache.set(_cache_key(learner_id), cached, CACHE_SECONDS)

    def add(self, expected_key: str, chosen_key: str, n: int = 1) -> None:
        """Count `n` answers of `chosen_key` where `expected_key` was right."""
        right = expected_key == chosen_key
        self.answered += n
        self.right += n if right else 0
        for key in expected_key.split("+"):
            stats = self.per_service.get(key) or self.per_service.setdefault(key, [0, 0])
            stats[1] += n
            stats[0] += n if right else 0
        if "+" in expected_key or "+" in chosen_key:
            for cell in cells(expected_key, chosen_key):
                self.counts[cell] = self.counts.get(cell, 0) + n
        elif expected_key and chosen_key:  # one service each: a single cell (what cells() gives, faster)
            self.counts[expected_key, chosen_key] = self.counts.get((expected_key, chosen_key), 0) + n

    def weakness(self, key: str) -> float:
        """Share of wrong answers on scenarios that need this service, smoothed (0.5 with no history)."""
        right, asked = self.per_service.get(key, (0, 0))
        return (asked - right + 1) / (asked + 2)

    def pairs(self, limit: int | None = None) -> list[PairConfusion]:
        """Confused pairs, most frequent first (both directions added up); the first `limit` of them."""
        totals: dict[tuple[str, str], list[int]] = {}
        for (expected, chosen), n in self.counts.items():
            if expected == chosen:
                continue
            pair = (expected, chosen) if expected < chosen else (chosen, expected)
            both = totals.get(pair) or totals.setdefault(pair, [0, 0])
            both[0 if expected == pair[0] else 1] += n
        order = lambda item: (-item[1][0] - item[1][1], item[0])  # noqa: E731
        ranked = sorted(totals.items(), key=order) if limit is None else heapq.nsmallest(limit, totals.items(), order)
        return [PairConfusion(first, second, *directions) for (first, second), directions in ranked]

    def top_pairs(self, limit: int = TOP_CONFUSIONS) -> list[PairConfusion]:
        return self.pairs(limit)

    def touches(self, services: list) -> bool:
        """Whether any of these services was the right answer of a scenario the learner answered."""
        per_service = self.per_service
        return any(service.key in per_service for service in services)

    def confused(self, a: str, b: str) -> bool:
        return self.counts.get((a, b), 0) + self.counts.get((b, a), 0) >= CONFUSED_AT


# ---------------------------------------------------------------- the matrix page

CELL = 34
LEFT = 120  # room for row labels
TOP = 110  # room for rotated column labels


@dataclass
class MatrixCell:
    column: object  # Service
    count: int
    diagonal: bool
    level: int  # 0-5 shade
    x: int = 0
    y: int = 0


@dataclass
class MatrixRow:
    service: object
    cells: list[MatrixCell]
    asked: int
    right: int
    y: int = 0

    @property
    def accuracy(self) -> int:
        return round(100 * self.right / self.asked) if self.asked else 0

    # The cells' markup is built here, not in the template: a matrix has a few hundred cells with several
    # values each, and at a few microseconds per template value they made the page 2.5 times as slow as a
    # note page (1.4 times built here). Every value is a number or a fixed class name: nothing to escape.
    @property
    def svg_cells(self) -> SafeString:
        """The row's squares, shaded by count, with the count written in the counted ones."""
        parts = []
        for cell in self.cells:
            shade = f"heat heat-{cell.level}" + (" heat-diagonal" if cell.diagonal else "")
            parts.append(f'<rect class="{shade}" x="{cell.x}" y="{cell.y}" width="32" height="32" rx="3"></rect>')
            if cell.count:
                ink = "matrix-count on-dark" if cell.level >= 4 else "matrix-count"
                parts.append(
                    f'<text class="{ink}" x="{cell.x + 16}" y="{cell.y + 21}" text-anchor="middle">{cell.count}</text>'
                )
        return mark_safe("".join(parts))

    @property
    def table_cells(self) -> SafeString:
        """The row's counts as table cells (empty for none)."""
        return mark_safe(
            "".join(
                f'<td class="{"cell-diagonal" if cell.diagonal else "cell-confused" if cell.count else ""}">'
                f"{cell.count or ''}</td>"
                for cell in self.cells
            )
        )


@dataclass
class Matrix:
    rows: list[MatrixRow]
    columns: list  # Service
    width: int
    height: int
    column_x: list[tuple[object, int]]


def build_matrix(history: History, family: list, catalogue: list) -> Matrix:
    """Rows: services of `family` (one category) that were right answers; columns: those rows, then every
    service of `catalogue` the learner chose instead of one of them."""
    keys = {service.key for service in family}
    asked = ({key for key, _ in history.counts} | set(history.per_service)) & keys
    seen = asked | {chosen for expected, chosen in history.counts if expected in asked}
    row_services = [s for s in family if s.key in asked]
    columns = row_services + [s for s in catalogue if s.key in seen and s.key not in asked]
    off_diagonal = [n for (e, c), n in history.counts.items() if e != c]
    peak = max(off_diagonal, default=1)
    rows = []
    for r, service in enumerate(row_services):
        right, total = history.per_service.get(service.key, (0, 0))
        row_cells = []
        for c, column in enumerate(columns):
            n = history.counts.get((service.key, column.key), 0)
            diagonal = column.key == service.key
            level = 0 if not n else (5 if diagonal else 1 + min(4, (4 * n) // peak))
            row_cells.append(MatrixCell(column, n, diagonal, level, LEFT + c * CELL, TOP + r * CELL))
        rows.append(MatrixRow(service, row_cells, total, right, TOP + r * CELL))
    return Matrix(
        rows=rows,
        columns=columns,
        width=LEFT + CELL * len(columns) + 10,
        height=TOP + CELL * len(row_services) + 10,
        column_x=[(column, LEFT + c * CELL + CELL // 2) for c, column in enumerate(columns)],
    )
