"""Ranked full-text search over the notes, with highlighted matches.

PostgreSQL: full-text search (weighted tsvector of title, summary and body, stored on each note by reindex();
prefix tsquery so results update as the learner types; ts_rank; ts_headline). SQLite: an FTS5 index (bm25
ranking, snippet()), rebuilt by the loader whenever notes change. Both return the same shape of result.
"""

import re
from dataclasses import dataclass

from django.db import connection as default_connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 8
_START, _STOP = "\x02", "\x03"  # sentinels: escaped text first, then marks, so nothing else is HTML


@dataclass
class Result:
    slug: str
    title_html: SafeString
    summary: str
    theme: str
    snippet_html: SafeString
    rank: float


def terms(query: str) -> list[str]:
    """The words of a query (letters and digits only: nothing reaches the SQL but these)."""
    return re.findall(r"\w+", query.lower())[:MAX_TERMS]


def _highlight(text: str) -> SafeString:
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))


def search(query: str, limit: int = 20) -> list[Result]:
    words = terms(query)
    if not words:
        return []
    if default_connection.vendor == "postgresql":
        return _search_postgres(words, limit)
    return _search_sqlite(words, limit)


def _search_sqlite(words: list[str], limit: int) -> list[Result]:
    sql = f"""
        SELECT slug, highlight(notes_fts, 1, '{_START}', '{_STOP}'), summary, theme,
               snippet(notes_fts, 3, '{_START}', '{_STOP}', '…', 24), bm25(notes_fts, 0.0, 10.0, 4.0, 1.0, 0.0)
        FROM notes_fts WHERE notes_fts MATCH %s ORDER BY bm25(notes_fts, 0.0, 10.0, 4.0, 1.0, 0.0) LIMIT %s
    """
    rows = []
    with default_connection.cursor() as cursor:
        for joiner in (" AND ", " OR "):  # every word first; any word when that finds nothing
            cursor.execute(sql, [joiner.join(f'"{word}"*' for word in words), limit])
            rows = cursor.fetchall()
            if rows or len(words) == 1:
                break
    return [
        Result(slug, _highlight(title), summary, theme, _highlight(snippet), -rank)
        for slug, title, summary, theme, snippet, rank in rows
    ]


def _search_postgres(words: list[str], limit: int) -> list[Result]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
    from django.db.models import F

    from studyapp.notes.models import Note

    vector = F("search_vector")  # stored by reindex(): parsing 300 KB of notes per search took 37 ms
    results = []
    for joiner in (" & ", " | "):
        query = SearchQuery(joiner.join(f"{word}:*" for word in words), search_type="raw", config="english")
        notes = (
            Note.objects.annotate(rank=SearchRank(vector, query))
            .filter(rank__gt=0)
            .annotate(
                title_hl=SearchHeadline(
                    "title", query, config="english", start_sel=_START, stop_sel=_STOP, highlight_all=True
                ),
                snippet=SearchHeadline(
                    "search_text",
                    query,
                    config="english",
                    start_sel=_START,
                    stop_sel=_STOP,
                    max_words=30,
                    min_words=12,
                    short_word=3,
                ),
            )
            .order_by("-rank", "order")
            .values_list("slug", "title_hl", "summary", "theme", "snippet", "rank")[:limit]
        )
        results = [
            Result(slug, _highlight(title), summary, theme, _highlight(snippet), rank)
            for slug, title, summary, theme, snippet, rank in notes
        ]
        if results or len(words) == 1:
            break
    return results


def create_index(connection) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts USING fts5("
                "slug UNINDEXED, title, summary, body, theme UNINDEXED, tokenize = 'porter unicode61')"
            )


def drop_index(connection) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS notes_fts")


def vector():
    """PostgreSQL's weighted document of a note: title (A), summary (B), body text (C)."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("search_text", weight="C", config="english")
    )


def reindex(connection=default_connection) -> None:
    """Rebuild the search index from the notes table: the SQLite FTS table, or PostgreSQL's stored vectors."""
    if connection.vendor == "postgresql":
        from studyapp.notes.models import Note

        Note.objects.using(connection.alias).update(search_vector=vector())
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notes_fts")
        cursor.execute(
            "INSERT INTO notes_fts (slug, title, summary, body, theme) "
            "SELECT slug, title, summary, search_text, theme FROM notes_note"
        )
