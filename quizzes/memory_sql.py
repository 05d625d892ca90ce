"""Hand-written SQL for the rows every answer and rating writes: the learner's memory and its review log.

Compiling the ORM's SELECT ... FOR UPDATE, UPDATE and INSERT cost more than running them (see make bench:
answer and rate POSTs), so these three statements are written once per process and reuse the ORM's field
preparation and converters: the instances are ordinary model instances. No signals are sent (none are
connected to these models).
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from quizzes.models import LearnerSettings, QuestionMemory
from studyapp.rows import convert, update_row

# What an answer, a rating, an undo or a bury changes; the learner and the question never change.
STUDY_FIELDS = [
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "version",
    "reps",
    "failures",
    "introduced_at",
    "buried_until",
    "suspended",
    "leech",
    "pending",
]


@cache
def _locked_memory_sql(vendor: str, lock_of: bool) -> str:
    conn = connections[DEFAULT_DB_ALIAS]
    columns = [f"m.{conn.ops.quote_name(f.column)}" for f in QuestionMemory._meta.concrete_fields]
    columns += [f"s.{conn.ops.quote_name(f.column)}" for f in LearnerSettings._meta.concrete_fields]
    lock = " FOR UPDATE OF m" if lock_of else ""
    return (
        f"SELECT {', '.join(columns)} FROM {QuestionMemory._meta.db_table} m "
        f"LEFT JOIN {LearnerSettings._meta.db_table} s ON s.learner_id = m.learner_id "
        f"WHERE m.learner_id = %s AND m.question_id = %s{lock}"
    )


def locked_memory(learner_id: int, question_id) -> tuple[QuestionMemory | None, LearnerSettings | None]:
    """The learner's memory of a question, locked for this transaction (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite's IMMEDIATE transactions already hold the write lock), with their settings (Anki's defaults when
    they have none) in the same query. (None, None) when they never met the question."""
    conn = connections[DEFAULT_DB_ALIAS]
    sql = _locked_memory_sql(conn.vendor, conn.features.has_select_for_update_of)
    with conn.cursor() as cursor:
        cursor.execute(sql, [learner_id, question_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    memory_fields = QuestionMemory._meta.concrete_fields
    memory = _instance(QuestionMemory, row[: len(memory_fields)])
    settings_row = row[len(memory_fields) :]
    prefs = _instance(LearnerSettings, settings_row) if settings_row[0] is not None else None
    return memory, prefs or LearnerSettings(learner_id=learner_id)


def save_memory(memory: QuestionMemory) -> None:
    """Write the memory's study fields: an UPDATE of the existing row, or the INSERT of a new one."""
    if memory.pk is None:
        insert(memory)
    else:
        update_row(memory, **{name: getattr(memory, name) for name in STUDY_FIELDS})


def insert(instance: Model) -> None:
    """INSERT the instance's row and set its primary key (RETURNING where the database has it)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.features.can_return_columns_from_insert:
        instance.save(force_insert=True)
        return
    sql, fields = _insert_sql(type(instance), conn.vendor)
    params = [field.get_db_prep_save(getattr(instance, field.attname), conn) for field in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = conn.alias


@cache
def _insert_sql(model: type[Model], vendor: str) -> tuple[str, list]:
    conn = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    pk = conn.ops.quote_name(model._meta.pk.column)
    return f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({values}) RETURNING {pk}", fields


def _instance(model: type[Model], values) -> Model:
    conn = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    converted = [convert(field, value, conn) for field, value in zip(fields, values, strict=True)]
    return model.from_db(conn.alias, [f.attname for f in fields], converted)
