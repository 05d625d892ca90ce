"""The due queue in two hand-written SQL queries: what to show next, and the question to show.

`next_in_queue` runs on every study page and after every rating; with the ORM it cost most of the request
(compiling five queries and aggregating over all of a learner's memories, see make bench). Here each count
and each candidate is an index range scan bounded by the learner's day (index memory_queue and
memory_today, migration 0003), so the cost does not grow with the bank or the learner's history:

1. `queue_stats`: today's counts, the next due time, the first candidate of each priority and the new
   questions left, as scalar subqueries of ONE statement;
2. `showing_rows`: the chosen question with its choices (one ORM query) and the learner's memory of it (none
   for a new question: `queue_stats` read the version its token needs).

Which questions a learner may see is `Question.objects.active()` (and `in_scope()`), compiled from the ORM
so the visibility rules stay in one place. The question to show then comes from the ORM (`showing_rows`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.db import connection
from django.utils.dateparse import parse_datetime

from quizzes.models import Choice, Question, QuestionMemory
from quizzes.study.scheduling import State

LEARNING = (State.Learning.value, State.Relearning.value)
REVIEW = State.Review.value

MEMORY = QuestionMemory._meta.db_table
QUESTION = Question._meta.db_table
CHOICE = Choice._meta.db_table


KEY = "\x00scope-topic-"  # KEY + "3" stands for the scope's 4th topic key in the compiled SQL's parameters


def visible_questions(service_keys: tuple[str, ...] | None, bank_id: int | None = None) -> tuple[str, tuple]:
    """A condition on the unaliased question table: the questions learners see in this scope (topics, and one bank
    when bank_id is given), with its params."""
    keys = None if service_keys is None else tuple(dict.fromkeys(service_keys))
    if keys == ():  # a note about no topic: no question (the ORM refuses to compile an empty IN)
        sql, params = "1 = 0", ()
    else:
        sql, params = _visible_sql(None if keys is None else len(keys))
    if keys is not None:
        params = tuple(keys[int(p.removeprefix(KEY))] if _is_key(p) else p for p in params)
    if bank_id is not None:
        sql, params = f'({sql}) AND "{QUESTION}"."bank_id" = %s', (*params, bank_id)
    return sql, params


def _is_key(param) -> bool:
    return isinstance(param, str) and param.startswith(KEY)


@cache  # SQL text compiled from the ORM's visibility rules for a number of topics: code, not data, so it never
# goes stale, and it holds at most one entry per topic count (the scope caps them), whatever topics learners pick
def _visible_sql(key_count: int | None) -> tuple[str, tuple]:
    keys = None if key_count is None else [f"{KEY}{n}" for n in range(key_count)]
    questions = Question.objects.active().in_scope(keys)
    sql, params = questions.order_by().values("id").query.sql_with_params()
    if sum(_is_key(param) for param in params) != (key_count or 0):
        raise AssertionError("a topic key of the scope is missing from the compiled SQL")
    prefix = f'SELECT "{QUESTION}"."id" AS "id" FROM "{QUESTION}" WHERE '
    if sql.startswith(prefix):
        return sql[len(prefix) :], tuple(params)
    # Any other shape (e.g. a join): fall back to a subquery, correct but slower.
    return f'"{QUESTION}"."id" IN ({sql})', tuple(params)


@dataclass
class Stats:
    learning_now: int
    learning_today: int
    reviews_due: int  # capped at the daily review limit
    done: int
    new_done: int
    next_due: datetime | None
    # Candidates, as question ids: a right answer waiting for its rating; the earliest learning step due within
    # the learn-ahead window (any, studying ahead) and its due time; the earliest review due today (any, ahead).
    pending_id: int | None
    learning_id: int | None
    learning_due: datetime | None
    review_id: int | None
    new_count: int  # new questions left, up to the limit asked for
    new_id: int | None  # the first of them in bank order
    new_version: int  # the version of the learner's memory of it (0 when they have none: the usual case)

    @property
    def reviews_done(self) -> int:
        # A memory introduced today was also last reviewed today (its first review sets both).
        return self.done - self.new_done


def _datetime(value) -> str | datetime:
    return connection.ops.adapt_datetimefield_value(value)


def aware(value) -> datetime | None:
    """A timestamp column read by hand-written SQL: SQLite returns text or a naive UTC datetime, PostgreSQL an
    aware datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def queue_stats(
    learner_id: int,
    service_keys: tuple[str, ...] | None,
    bank_id: int | None,
    now: datetime,
    day_start: datetime,
    day_end: datetime,
    learn_ahead: datetime,
    *,
    ahead: bool,
    reviews_cap: int,
    new_limit: int,
) -> Stats:
    """Everything the queue needs to pick the next question, in one statement."""
    parts = stats_parts(
        learner_id, service_keys, bank_id, now, day_start, day_end, learn_ahead, ahead, reviews_cap, new_limit
    )
    with connection.cursor() as cursor:
        (with_sql, with_params), *parts = parts
        cursor.execute(
            f"{with_sql} SELECT " + ", ".join(sql for sql, _ in parts),
            [*with_params, *(value for _, values in parts for value in values)],
        )
        row = cursor.fetchone()
    (learning_now, learning_today, reviews_due, done, new_done, *rest) = row
    next_dues = [aware(value) for value in rest[:3] if value is not None]
    pending_id, learning_id, learning_due, review_id, new_count, new_id, new_version = rest[3:10]
    return Stats(
        learning_now=learning_now,
        learning_today=learning_today,
        reviews_due=reviews_due,
        done=done,
        new_done=new_done,
        next_due=min(next_dues) if next_dues else None,
        pending_id=pending_id,
        learning_id=learning_id,
        learning_due=aware(learning_due),
        review_id=review_id,
        new_count=new_count if new_limit else 0,
        new_id=new_id if new_limit else None,
        new_version=new_version or 0,
    )


def stats_parts(
    learner_id, service_keys, bank_id, now, day_start, day_end, learn_ahead, ahead, reviews_cap, new_limit
) -> list[tuple[str, list]]:
    """The WITH clause of `queue_stats` and its scalar subqueries, in the order of Stats' fields, each with its
    parameters."""
    visible, visible_params = visible_questions(service_keys, bank_id)
    parts: list[tuple[str, list]] = []
    joined = f"FROM {MEMORY} m JOIN {QUESTION} ON {QUESTION}.id = m.question_id WHERE m.learner_id = %s"

    def first(select: str, where: str, where_params: list, order: str) -> None:
        """The first of the learner's memories of visible questions matching `where`, in `order`."""
        sql = f"(SELECT {select} {joined} AND {where} AND {visible} ORDER BY {order} LIMIT 1)"
        parts.append((sql, [learner_id, *where_params, *visible_params]))

    def count(where: str, where_params: list, limit: int | None = None) -> None:
        tail, tail_params = (" LIMIT %s", [limit]) if limit is not None else ("", [])
        sql = f"(SELECT COUNT(*) FROM (SELECT 1 AS one {joined} AND {where} AND {visible}{tail}) counted)"
        parts.append((sql, [learner_id, *where_params, *visible_params, *tail_params]))

    available = "m.suspended = %s AND (m.buried_until IS NULL OR m.buried_until <= %s)"
    av = [False, _datetime(now)]
    learning = f"{available} AND m.state IN (%s, %s) AND m.last_review IS NOT NULL"
    lv = [*av, *LEARNING]
    review = f"{available} AND m.state = %s AND m.last_review IS NOT NULL"
    rv = [*av, REVIEW]

    count(f"{learning} AND m.due <= %s", [*lv, _datetime(learn_ahead)])
    count(f"{learning} AND m.due < %s", [*lv, _datetime(day_end)])
    count(f"{review} AND m.due < %s", [*rv, _datetime(day_end)], reviews_cap)
    count("m.last_review >= %s", [_datetime(day_start)])
    count("m.last_review >= %s AND m.introduced_at >= %s", [_datetime(day_start), _datetime(day_start)])
    for state in (State.Learning.value, State.Review.value, State.Relearning.value):  # the next due time
        first("m.due", f"{available} AND m.state = %s AND m.last_review IS NOT NULL", [*av, state], "m.due")
    first("m.question_id", f"m.pending IS NOT NULL AND {available}", av, "m.due, m.id")
    until, until_params = ("", []) if ahead else (" AND m.due <= %s", [_datetime(learn_ahead)])
    first("m.question_id", learning + until, [*lv, *until_params], "m.due, m.id")
    first("m.due", learning + until, [*lv, *until_params], "m.due, m.id")
    until, until_params = ("", []) if ahead else (" AND m.due < %s", [_datetime(day_end)])
    first("m.question_id", review + until, [*rv, *until_params], "m.due, m.id")

    # New questions: visible ones in bank order that the learner never reviewed, suspended or buried.
    fresh = (
        f"FROM {QUESTION} LEFT JOIN {MEMORY} m ON m.learner_id = %s AND m.question_id = {QUESTION}.id "
        f"WHERE {visible} AND (m.id IS NULL OR (m.last_review IS NULL AND {available}))"
    )
    fresh_params = [learner_id, *visible_params, *av]
    parts.append((f"(SELECT COUNT(*) FROM (SELECT 1 AS one {fresh} LIMIT %s) counted)", [*fresh_params, new_limit]))
    # The first of them and its memory's version (NULL: none, as for almost every new question), which the answer
    # token binds, so showing a new question needs no query for its memory: one search (`first_new`, the
    # statement's WITH clause) read twice.
    first_new = f"SELECT {QUESTION}.id AS id, m.version AS version {fresh} ORDER BY {QUESTION}.position, {QUESTION}.id"
    parts.append(("(SELECT id FROM first_new)", []))
    parts.append(("(SELECT version FROM first_new)", []))
    return [(f"WITH first_new AS ({first_new} LIMIT 1)", fresh_params), *parts]


def first_visit_stats(
    service_keys: tuple[str, ...] | None, bank_id: int | None, new_limit: int
) -> tuple[int, int | None]:
    """For a visitor with no learner: how many new questions (up to the limit) and the first, in bank order."""
    visible, visible_params = visible_questions(service_keys, bank_id)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM (SELECT 1 AS one FROM {QUESTION} WHERE {visible} LIMIT %s) counted), "
        f"(SELECT {QUESTION}.id FROM {QUESTION} WHERE {visible} ORDER BY {QUESTION}.position, {QUESTION}.id LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*visible_params, new_limit, *visible_params])
        count, first = cursor.fetchone()
    return (count, first) if new_limit else (0, None)


def showing_rows(question_id: int, learner_id: int | None) -> tuple[Question, list[Choice], QuestionMemory | None]:
    """The question, its choices in key order (one query) and the learner's memory of it (None if they have none,
    or for a visitor with no learner: no query)."""
    choices = list(Choice.objects.select_related("question").filter(question_id=question_id).order_by("key"))
    if not choices:
        raise Question.DoesNotExist(question_id)
    question = choices[0].question
    for choice in choices:
        choice.question = question  # one instance for all, as the template follows the relation
    memory = None
    if learner_id is not None:
        memory = QuestionMemory.objects.filter(learner_id=learner_id, question_id=question_id).first()
    return question, choices, memory
