"""Folding answers into the item-statistics tallies: `python manage.py fold_item_stats`, every few minutes.

Study answers (quizzes.ReviewLog, append-only with increasing ids) are folded up to a high-water mark, the
FoldState row's `review_log_id`; finished exam attempts, which finish in any order, are marked one by one in
TalliedAttempt. A fold locks the FoldState row (so folds take turns), adds what is new to the tallies and
moves the mark in the same transaction: an answer is never counted twice, and a fold that fails counts
nothing. No learner ever waits for a fold: it locks no table and no row a learner writes.

The additions are INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE statements (SQLite and
PostgreSQL both speak that dialect): the ORM's bulk_create(update_conflicts=True) can only replace a tally,
not add to it, and the picks come from unnesting the JSON answer arrays, which the ORM cannot group by.

The tallies hold no learner: deleting a learner (which cascades their logs and attempts away) leaves
their answers counted, anonymously, provided they were folded first. Hence before_learner_deleted().
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.itemstats.models import ChoiceTally, FoldState, FormTally, QuestionTally, Source, TalliedAttempt
from quizzes.models import Question, QuestionMemory, ReviewLog

# How long a fold waits, on PostgreSQL, for answers being written when it starts (see _settled_log_id).
SETTLE_SECONDS = 30.0


@dataclass
class Folded:
    study_answers: int  # study answers added to the tallies
    exam_attempts: int  # finished exam attempts added
    study_postponed: bool = False  # answers still being written kept the study answers for the next fold


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _answer_keys(column: str) -> tuple[str, str]:
    """A join that yields one row per choice key in a JSON array column, and the key's expression."""
    if connection.vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL jsonb_array_elements_text({column}) AS picked(value)",
            "CAST(picked.value AS integer)",
        )
    return f"JOIN json_each({column}) AS picked", "CAST(picked.value AS INTEGER)"


def _upsert(model, unique: list[str], added: list[str]) -> str:
    """The ON CONFLICT clause that adds the new counts to an existing tally row."""
    table = _table(model)
    sets = ", ".join(f"{column} = {table}.{column} + EXCLUDED.{column}" for column in added)
    return f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {sets}"


def _locked_state() -> FoldState:
    state, _ = FoldState.objects.select_for_update().get_or_create(pk=1)
    return state


def last_folded() -> datetime | None:
    """When the latest fold started: the statistics count every answer recorded before then."""
    return FoldState.objects.filter(pk=1).values_list("folded_at", flat=True).first()


def fold_pending_answers(settle_seconds: float = SETTLE_SECONDS) -> Folded:
    """Fold every study answer and finished exam attempt not yet counted into the tallies.

    Idempotent: a second fold with nothing new adds nothing. Run by fold_item_stats, never by a page.
    """
    started = timezone.now()
    high_water = _settled_log_id(settle_seconds)
    with transaction.atomic():
        state = _locked_state()
        study = 0
        if high_water is not None and high_water > state.review_log_id:
            study = _fold_reviews(state.review_log_id, high_water)
            state.review_log_id = high_water
        exams = _fold_exams(state)
        if high_water is not None:  # every answer recorded before `started` is now counted
            state.folded_at = started
        state.save(update_fields=["review_log_id", "exam_batch", "folded_at"])
    return Folded(study, exams, study_postponed=high_water is None)


def before_learner_deleted(user) -> None:
    """Call inside the transaction that deletes `user`, before the delete: counts their answers anonymously.

    Their study answers above the high-water mark are folded now, and the mark stays where it is: the
    delete removes those logs in the same transaction, so no later fold can meet them again. Finished exam
    attempts not yet counted (theirs among them) are folded as usual. The user's row is locked first, so
    none of their answers can still be on its way in.
    """
    list(get_user_model().objects.filter(pk=user.pk).select_for_update(of=("self",)).values_list("pk"))
    state = _locked_state()
    _fold_reviews(state.review_log_id, None, learner_id=user.pk)
    if _fold_exams(state):
        state.save(update_fields=["exam_batch"])


def _settled_log_id(settle_seconds: float) -> int | None:
    """The high-water mark a fold may count up to: every ReviewLog with an id up to it is committed (or never
    will be). None when answers being written did not finish within `settle_seconds`: try again later.

    SQLite writers take turns (IMMEDIATE transactions), so that is simply the largest id. PostgreSQL hands
    ids out before commit: a log can commit, and be seen, while one with a smaller id is still being
    written, and a fold up to the larger id would skip the smaller one for good. LOCK TABLE ... IN SHARE
    MODE would wait for those writers but also hold up every new answer until the fold commits. Instead,
    this reads the largest id together with the transactions writing to the log at that moment (their
    RowExclusiveLock in pg_locks, taken before an INSERT draws its id) and waits for just those to end,
    as PostgreSQL's own CREATE INDEX CONCURRENTLY does. Answers that start meanwhile draw larger ids.
    """
    if connection.vendor != "postgresql":
        return ReviewLog.objects.aggregate(newest=Max("pk"))["newest"] or 0
    writers_sql = (
        "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' AND mode = 'RowExclusiveLock'"
        " AND granted AND relation = %s::regclass AND pid <> pg_backend_pid()"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {_table(ReviewLog)}), ARRAY({writers_sql})", [ReviewLog._meta.db_table]
        )
        high_water, writers = cursor.fetchone()
        writers = set(writers)
        give_up, pause = time.monotonic() + settle_seconds, 0.005
        while writers:
            if time.monotonic() > give_up:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
            cursor.execute(writers_sql, [ReviewLog._meta.db_table])
            writers &= {vxid for (vxid,) in cursor.fetchall()}
    return high_water or 0


def _fold_reviews(after: int, upto: int | None, learner_id: int | None = None) -> int:
    """Add the study answers with ids in (after, upto] (all above `after` when upto is None), or only one
    learner's, to the tallies. Returns how many were added."""
    logs, memories = _table(ReviewLog), _table(QuestionMemory)
    where, params = "r.id > %s", [after]
    if upto is not None:
        where, params = where + " AND r.id <= %s", params + [upto]
    if learner_id is not None:
        where, params = where + " AND r.learner_id = %s", params + [learner_id]
    keys_join, key = _answer_keys("r.answer")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(QuestionTally)} (question_id, source, revision, attempts, correct, total_ms,"
            " rest_sum, rest_sq_sum, item_rest_sum)"
            " SELECT m.question_id, %s, r.revision, COUNT(*), SUM(CASE WHEN r.correct THEN 1 ELSE 0 END),"
            " SUM(r.response_ms), 0, 0, 0"
            f" FROM {logs} r JOIN {memories} m ON m.id = r.memory_id"
            f" WHERE {where} GROUP BY m.question_id, r.revision "
            + _upsert(QuestionTally, ["question_id", "source", "revision"], ["attempts", "correct", "total_ms"]),
            [Source.STUDY, *params],
        )
        cursor.execute(
            f'INSERT INTO {_table(ChoiceTally)} (question_id, revision, "key", picks)'
            f" SELECT m.question_id, r.revision, {key}, COUNT(*)"
            f" FROM {logs} r JOIN {memories} m ON m.id = r.memory_id {keys_join}"
            f" WHERE {where} GROUP BY m.question_id, r.revision, {key} "
            + _upsert(ChoiceTally, ["question_id", "revision", '"key"'], ["picks"]),
            params,
        )
    logs = ReviewLog.objects.filter(pk__gt=after)
    if upto is not None:
        logs = logs.filter(pk__lte=upto)
    if learner_id is not None:
        logs = logs.filter(learner_id=learner_id)
    return logs.count()


# (SQLite needs a WHERE before GROUP BY ... ON CONFLICT, or it reads ON CONFLICT as a join's ON: hence "WHERE true".)
# An item's score x (1 right, 0 wrong or unanswered) and the rest of its attempt's scored total: a pilot
# item is not part of the total, a scored one is taken out of it (Moodle's item-rest correlation).
_X = "(CASE WHEN aq.correct THEN 1 ELSE 0 END)"
_REST = f"(a.scored_correct - CASE WHEN aq.is_pilot THEN 0 ELSE {_X} END)"


def _fold_exams(state: FoldState) -> int:
    """Mark the finished attempts not yet counted as the next batch and add that batch to the tallies.

    Attempts finish in any order, so each is marked rather than covered by a mark: one still being
    submitted is invisible here and joins a later batch. Returns how many attempts were added."""
    batch = state.exam_batch + 1
    items, attempts, marks = _table(AttemptQuestion), _table(ExamAttempt), _table(TalliedAttempt)
    keys_join, key = _answer_keys("aq.answer")
    in_batch = f" FROM {items} aq JOIN {marks} t ON t.attempt_id = aq.attempt_id AND t.batch = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {marks} (attempt_id, batch) SELECT a.id, %s FROM {attempts} a WHERE a.state = %s"
            f" AND NOT EXISTS (SELECT 1 FROM {marks} t WHERE t.attempt_id = a.id)",
            [batch, ExamAttempt.State.FINISHED],
        )
        added = cursor.rowcount
        if added == 0:
            return 0
        cursor.execute(
            f"INSERT INTO {_table(QuestionTally)} (question_id, source, revision, attempts, correct, total_ms,"
            " rest_sum, rest_sq_sum, item_rest_sum)"
            f" SELECT aq.question_id, %s, aq.revision, COUNT(*), SUM({_X}), 0,"
            f" SUM({_REST}), SUM({_REST} * {_REST}), SUM({_X} * {_REST})"
            f"{in_batch} JOIN {attempts} a ON a.id = aq.attempt_id"
            " WHERE true GROUP BY aq.question_id, aq.revision "
            + _upsert(
                QuestionTally,
                ["question_id", "source", "revision"],
                ["attempts", "correct", "rest_sum", "rest_sq_sum", "item_rest_sum"],
            ),
            [Source.EXAM, batch],
        )
        cursor.execute(
            f'INSERT INTO {_table(ChoiceTally)} (question_id, revision, "key", picks)'
            f" SELECT aq.question_id, aq.revision, {key}, COUNT(*){in_batch} {keys_join}"
            f" WHERE true GROUP BY aq.question_id, aq.revision, {key} "
            + _upsert(ChoiceTally, ["question_id", "revision", '"key"'], ["picks"]),
            [batch],
        )
        # Per bank, each attempt's scored items of that bank form a test: count the attempts by length,
        # with the sum and the sum of squares of their scores (mean score and Cronbach's alpha).
        cursor.execute(
            f"INSERT INTO {_table(FormTally)} (bank_id, items, attempts, score_sum, score_sq_sum)"
            " SELECT f.bank_id, f.items, COUNT(*), SUM(f.score), SUM(f.score * f.score) FROM ("
            f" SELECT q.bank_id AS bank_id, aq.attempt_id AS attempt_id, COUNT(*) AS items, SUM({_X}) AS score"
            f"{in_batch} JOIN {_table(Question)} q ON q.id = aq.question_id"
            " WHERE NOT aq.is_pilot GROUP BY q.bank_id, aq.attempt_id) f"
            " WHERE f.items > 0 GROUP BY f.bank_id, f.items "
            + _upsert(FormTally, ["bank_id", "items"], ["attempts", "score_sum", "score_sq_sum"]),
            [batch],
        )
    state.exam_batch = batch
    return added
