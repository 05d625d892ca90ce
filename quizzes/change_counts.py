"""The triggers that keep `ChangeCount` (quizzes.models): one count per learner, bumped by every insert,
update or delete of a row that belongs to the learner in the tables their pages are derived from, and one
for the question catalogue (owner 0). Installed by migration quizzes 0005 for SQLite and PostgreSQL.

SQLite rebuilds a table on most ALTERs and drops its triggers with it: a later migration that alters one
of these tables, or a change to the lists below, must run `install` again in a new migration
(tests/test_change_counts.py fails until it does).
"""

COUNTS = "quizzes_changecount"
CATALOGUE = 0

# Tables with a learner_id column whose rows make up a learner's study history.
LEARNER_TABLES = [
    "quizzes_questionmemory",  # every answer, rating, undo, bury, suspend (the review log changes with it)
    "quizzes_learnersettings",
    "trainer_rounditem",
    "trainer_scenariomemory",
    "exams_examattempt",
]
# Tables that decide which questions learners see and what they show, and the content releases.
CATALOGUE_TABLES = [
    "quizzes_bank",
    "quizzes_question",
    "quizzes_choice",
    "quizzes_question_services",
    "authoring_bankstewardship",
    "notes_contentrelease",
]
USERS = "accounts_user"


def _bump(owner: str) -> str:
    return (
        f"INSERT INTO {COUNTS} (owner, changes) VALUES ({owner}, 1) "
        f"ON CONFLICT (owner) DO UPDATE SET changes = {COUNTS}.changes + 1;"
    )


def _sqlite_create() -> list[str]:
    statements = []
    for table in LEARNER_TABLES:
        name = f"count_changes_{table}"
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {name}_insert AFTER INSERT ON {table} BEGIN {_bump('NEW.learner_id')} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_update AFTER UPDATE ON {table} BEGIN "
            f"UPDATE {COUNTS} SET changes = changes + 1 WHERE owner = OLD.learner_id; {_bump('NEW.learner_id')} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_delete AFTER DELETE ON {table} BEGIN "
            f"UPDATE {COUNTS} SET changes = changes + 1 WHERE owner = OLD.learner_id; END",
        ]
    for table in CATALOGUE_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS count_changes_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_bump(str(CATALOGUE))} END"
            )
    statements.append(
        f"CREATE TRIGGER IF NOT EXISTS count_changes_{USERS}_delete AFTER DELETE ON {USERS} "
        f"BEGIN DELETE FROM {COUNTS} WHERE owner = OLD.id; END"
    )
    return statements


def _postgresql_create() -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION count_learner_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                UPDATE {COUNTS} SET changes = changes + 1 WHERE owner = OLD.learner_id;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                {_bump("NEW.learner_id")}
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION count_catalogue_change() RETURNS trigger AS $$
        BEGIN
            {_bump(str(CATALOGUE))}
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION forget_learner_changes() RETURNS trigger AS $$
        BEGIN
            DELETE FROM {COUNTS} WHERE owner = OLD.id;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    ]
    for table in LEARNER_TABLES:
        statements.append(
            f"CREATE OR REPLACE TRIGGER count_changes AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION count_learner_change()"
        )
    for table in CATALOGUE_TABLES:  # once per statement: a bank import is one bump, not one per row
        statements.append(
            f"CREATE OR REPLACE TRIGGER count_changes AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION count_catalogue_change()"
        )
    statements.append(
        f"CREATE OR REPLACE TRIGGER forget_changes AFTER DELETE ON {USERS} "
        "FOR EACH ROW EXECUTE FUNCTION forget_learner_changes()"
    )
    return statements


def install(schema_editor) -> None:
    """Create (or re-create) every trigger on this database; idempotent."""
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_create, "postgresql": _postgresql_create}[vendor]()
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in installed(schema_editor.connection):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for table in [*LEARNER_TABLES, *CATALOGUE_TABLES]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS count_changes ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS forget_changes ON {USERS}")
        for function in ("count_learner_change", "count_catalogue_change", "forget_learner_changes"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")


def installed(connection) -> list[str]:
    """The names of the change-count triggers present (SQLite: one per table and event; PostgreSQL: one per
    table, named `<table>.count_changes`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'count_changes_%'")
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT event_object_table || '.' || trigger_name FROM information_schema.triggers "
            "WHERE trigger_name IN ('count_changes', 'forget_changes') GROUP BY 1"
        )
        return sorted(row[0] for row in cursor.fetchall())


def expected(vendor: str) -> list[str]:
    if vendor == "sqlite":
        events = ("insert", "update", "delete")
        names = [f"count_changes_{t}_{e}" for t in LEARNER_TABLES + CATALOGUE_TABLES for e in events]
        return sorted([*names, f"count_changes_{USERS}_delete"])
    return sorted([*(f"{t}.count_changes" for t in LEARNER_TABLES + CATALOGUE_TABLES), f"{USERS}.forget_changes"])
