"""Folding answers into the item-statistics tallies, in the database.

Study answers (quizzes.ReviewLog, append-only with increasing ids) are folded up to a watermark id;
finished exam attempts, which finish in any order, are marked one by one in TalliedAttempt. Each fold
is a handful of INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE statements (SQLite and
PostgreSQL both speak that dialect), run under a lock on the single FoldState row, so two folds never
count an answer twice and a fold that fails counts nothing.

The tallies hold no learner: deleting a learner (which cascades their logs and attempts away) leaves
their answers counted, anonymously, provided they were folded first. Hence before_learner_deleted().
"""

from django.db import connection, transaction
from django.utils import timezone

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.itemstats.models import ChoiceTally, FoldState, FormTally, QuestionTally, Source, TalliedAttempt
from quizzes.models import Question, QuestionMemory, ReviewLog


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


def _pending() -> tuple[bool, bool]:
    """(new study answers, new finished exam attempts) since the last fold: one cheap query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT review_log_id FROM {_table(FoldState)} WHERE id = 1),"
            f" (SELECT MAX(id) FROM {_table(ReviewLog)}),"
            f" EXISTS (SELECT 1 FROM {_table(ExamAttempt)} a WHERE a.state = %s AND NOT EXISTS"
            f" (SELECT 1 FROM {_table(TalliedAttempt)} t WHERE t.attempt_id = a.id))",
            [ExamAttempt.State.FINISHED],
        )
        folded, newest, exams = cursor.fetchone()
    return (newest or 0) > (folded or 0), bool(exams)


def _locked_state() -> FoldState:
    state, _ = FoldState.objects.select_for_update().get_or_create(pk=1)
    return state


def fold_pending_answers() -> None:
    """Fold every study answer and finished exam attempt not yet counted into the tallies.

    Idempotent and cheap when nothing is new (one query). Safe under concurrency: folds serialize on
    the FoldState row, and each kind of answer is folded in one transaction.
    """
    reviews, exams = _pending()
    if reviews:
        with transaction.atomic():
            _fold_reviews(_locked_state())
    if exams:
        with transaction.atomic():
            _fold_exams(_locked_state())


def before_learner_deleted(user) -> None:
    """Call inside the transaction that deletes `user`, before the delete: counts their answers anonymously.

    Everything the learner answered is folded (with everyone else's pending answers); the delete then
    removes their logs and attempts, and the tallies keep the counts without knowing whose they were.
    """
    fold_pending_answers()


def _fold_reviews(state: FoldState) -> None:
    if connection.vendor == "postgresql":
        # Ids are handed out before commit, so a visible id can overtake an uncommitted smaller one.
        # SHARE mode waits for the writers in flight and holds new ones back until this fold commits,
        # so every id up to MAX(id) is settled. (SQLite's IMMEDIATE transactions already serialize writers.)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_table(ReviewLog)} IN SHARE MODE")
    upper = ReviewLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if upper <= state.review_log_id:
        return
    logs, memories = _table(ReviewLog), _table(QuestionMemory)
    window = [state.review_log_id, upper]
    keys_join, key = _answer_keys("r.answer")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(QuestionTally)} (question_id, source, revision, attempts, correct, total_ms,"
            " rest_sum, rest_sq_sum, item_rest_sum)"
            " SELECT m.question_id, %s, r.revision, COUNT(*), SUM(CASE WHEN r.correct THEN 1 ELSE 0 END),"
            " SUM(r.response_ms), 0, 0, 0"
            f" FROM {logs} r JOIN {memories} m ON m.id = r.memory_id"
            " WHERE r.id > %s AND r.id <= %s GROUP BY m.question_id, r.revision "
            + _upsert(QuestionTally, ["question_id", "source", "revision"], ["attempts", "correct", "total_ms"]),
            [Source.STUDY, *window],
        )
        cursor.execute(
            f'INSERT INTO {_table(ChoiceTally)} (question_id, revision, "key", picks)'
            f" SELECT m.question_id, r.revision, {key}, COUNT(*)"
            f" FROM {logs} r JOIN {memories} m ON m.id = r.memory_id {keys_join}"
            f" WHERE r.id > %s AND r.id <= %s GROUP BY m.question_id, r.revision, {key} "
            + _upsert(ChoiceTally, ["question_id", "revision", '"key"'], ["picks"]),
            window,
        )
    state.review_log_id = upper
    state.folded_at = timezone.now()
    state.save(update_fields=["review_log_id", "folded_at"])


# (SQLite needs a WHERE before GROUP BY ... ON CONFLICT, or it reads ON CONFLICT as a join's ON: hence "WHERE true".)
# An item's score x (1 right, 0 wrong or unanswered) and the rest of its attempt's scored total: a pilot
# item is not part of the total, a scored one is taken out of it (Moodle's item-rest correlation).
_X = "(CASE WHEN aq.correct THEN 1 ELSE 0 END)"
_REST = f"(a.scored_correct - CASE WHEN aq.is_pilot THEN 0 ELSE {_X} END)"


def _fold_exams(state: FoldState) -> None:
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
        if cursor.rowcount == 0:
            return
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
    state.folded_at = timezone.now()
    state.save(update_fields=["exam_batch", "folded_at"])
