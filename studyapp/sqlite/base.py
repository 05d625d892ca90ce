"""Django's SQLite backend, with each statement's placeholder conversion remembered, and writers queued
on an operating-system lock instead of SQLite's sleeping busy handler.

Placeholders: Python's sqlite3 module takes `?` and `:name` placeholders, so Django's cursor rewrites
the `%s` and `%(name)s` of every statement with a regular expression before running it: 0.03 ms a
statement, as much as running a small indexed query. The statements a running app sends are few and
repeat, so the rewritten text is kept per statement (a bounded cache).

Writers: SQLite lets one transaction write at a time. A `BEGIN IMMEDIATE` that finds another writer
busy waits in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries whatever the other
writer needs: at a few hundred POSTs a second most waits were sleeps, not work. Before beginning a
transaction, each connection to a database file takes an exclusive `flock` on `<database>-writer.lock`
and gives it back when the transaction commits, rolls back or the connection closes, so the kernel
wakes the next writer the moment the previous one is done. Readers never take it (WAL: they do not
block on the writer), and a write outside a transaction still falls back to the busy timeout.
In-memory databases (the tests') have no file and no lock.

Checkpoints: SQLite copies the write-ahead log into the database file (a checkpoint, with an fsync) inside
the COMMIT that crosses `wal_autocheckpoint` pages, so that commit held the writer lock for 5–7 ms instead
of 0.1 and every other writer queued behind it: 1 % of the study answers, most of their p95. Instead, each
connection runs a PASSIVE checkpoint after every CHECKPOINT_EVERY of its commits, or after commits that changed
CHECKPOINT_ROWS rows (a bank import), once it has given the lock back: readers and the next writer go on beside
it. SQLite's own checkpoint stays as a backstop, at a log ten times its default, for writes made outside
transactions (which these counters do not see).
Everything else is Django's backend.
"""

import fcntl
import os
import sqlite3
from functools import lru_cache

from django.db.backends.sqlite3 import base


@lru_cache(maxsize=4096)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


@lru_cache(maxsize=1024)
def _named(query: str, names: tuple[str, ...]) -> str:
    return query % {name: f":{name}" for name in names}


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None:
            return _qmark(query)
        return _named(query, tuple(param_names))


CHECKPOINT_EVERY = 64  # commits of one connection between its checkpoints
CHECKPOINT_ROWS = 2000  # or rows those commits changed, whichever comes first
BACKSTOP_CHECKPOINT_PAGES = 10000  # SQLite's automatic checkpoint (default 1000 pages)


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock: int | None = None  # the open lock file of this connection, if its database is a file
    _writing = False  # the lock is held: a transaction is open
    _commits = 0  # since this connection's last checkpoint
    _rows = 0  # rows changed by those commits
    _rows_at_begin = 0

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            path = os.fspath(self.settings_dict["NAME"]) + "-writer.lock"
            self._writer_lock = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
            self._commits = self._rows = 0
        return conn

    def _start_transaction_under_autocommit(self):
        if self._writer_lock is not None and not self._writing:
            fcntl.flock(self._writer_lock, fcntl.LOCK_EX)
            self._writing = True
            self._rows_at_begin = self.connection.total_changes
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self):
        if self._writing:
            self._writing = False
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)

    def _commit(self):
        wrote = self._writing
        try:
            return super()._commit()
        finally:
            self._release_writer()
            if wrote:
                self._checkpoint_now_and_then()

    def _checkpoint_now_and_then(self):
        """Every CHECKPOINT_EVERY commits or CHECKPOINT_ROWS rows, copy the log into the database (outside the
        writer lock)."""
        self._commits += 1
        self._rows += self.connection.total_changes - self._rows_at_begin
        if self._commits < CHECKPOINT_EVERY and self._rows < CHECKPOINT_ROWS:
            return
        self._commits = self._rows = 0
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            pass  # a checkpoint that could not run leaves the log to the next one (or to SQLite's backstop)

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
            if self._writer_lock is not None:
                os.close(self._writer_lock)
                self._writer_lock = None
