"""Ranked full-text search over the notes, with highlighted matches: each result is a note, with the section of it
that matches best (its heading linked, a snippet of its text).

Notes are found and ranked as wholes (title, summary and body weighted): every word of the query must match, and
when no note has them all, any word does. Then each note found shows its best section (NoteSection: the text under
one heading of its table of contents), the one that matches most of the words, and the snippet is cut from that
section, a few hundred words rather than the whole note (which took 25 ms per search on PostgreSQL). At most four
queries: the notes (twice when no note has every word), the sections ranked, the best ones highlighted.

PostgreSQL: full-text search (weighted tsvectors of the notes and of their sections, stored by reindex(); prefix
tsquery so that results update as the learner types; ts_rank; ts_headline). SQLite: FTS5 tables of the notes and of
their sections (bm25 ranking, highlight() and snippet()). Both return the same shape of result.
"""

import html
import re
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 8
_START, _STOP = "\x02", "\x03"  # sentinels: escaped text first, then marks, so nothing else is HTML
_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)  # the table of contents' levels


@dataclass
class Result:
    slug: str
    title_html: SafeString
    summary: str
    theme: str
    anchor: str  # the best section's heading id ("" for the note's opening)
    heading_html: SafeString
    snippet_html: SafeString
    rank: float


@dataclass
class Section:
    anchor: str
    heading: str
    text: str


def terms(query: str) -> list[str]:
    """The words of a query (letters and digits only: nothing reaches the SQL but these)."""
    return re.findall(r"\w+", query.lower())[:MAX_TERMS]


def _highlight(text: str) -> SafeString:
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))


_BLOCK_TAG = re.compile(r"</?(?:p|h[1-6]|li|ul|ol|dl|dt|dd|table|tr|th|td|pre|blockquote|div|br|hr)\b[^>]*>")


def _plain(fragment: str) -> str:
    """The text of some HTML, its blocks apart (a space where one ends, not "TwoThree"), its spaces collapsed."""
    return " ".join(html.unescape(strip_tags(_BLOCK_TAG.sub(" ", fragment))).split())


def sections_of(body_html: str) -> list[Section]:
    """A note's sections from its rendered body: the text before its first heading (when there is any), then each
    h2 and h3 heading with the text up to the next one."""
    parts = []
    anchor, heading, start = "", "", 0
    for match in _HEADING.finditer(body_html):
        parts.append(Section(anchor, heading, _plain(body_html[start : match.start()])))
        anchor, heading, start = match.group(2), _plain(match.group(3)), match.end()
    parts.append(Section(anchor, heading, _plain(body_html[start:])))
    return [part for part in parts if part.anchor or part.text]


def search(query: str, limit: int = 20) -> list[Result]:
    words = terms(query)
    if not words:
        return []
    postgres = default_connection.vendor == "postgresql"
    find_notes = _notes_postgres if postgres else _notes_sqlite
    notes: list[tuple] = []
    for every_word in (True, False):  # every word first; any word when no note has them all
        notes = find_notes(words, every_word, limit)
        if notes or len(words) == 1:
            break
    if not notes:
        return []
    sections = (_sections_postgres if postgres else _sections_sqlite)(words, [note[0] for note in notes])
    results = []
    for note_id, slug, title, summary, theme, rank in notes:
        anchor, heading, snippet = sections.get(note_id, ("", "", ""))
        results.append(
            Result(slug, _highlight(title), summary, theme, anchor, _highlight(heading), _highlight(snippet), rank)
        )
    return results


def _best_per_note(ranked) -> list[int]:
    """The id of the best section of each note, from (section id, note id) pairs in rank order."""
    best: dict[int, int] = {}
    for section_id, note_id in ranked:
        best.setdefault(note_id, section_id)
    return list(best.values())


def _placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def _notes_sqlite(words: list[str], every_word: bool, limit: int) -> list[tuple]:
    """(note id, slug, title highlighted, summary, theme, rank) of the best notes, best first."""
    match = (" AND " if every_word else " OR ").join(f'"{word}"*' for word in words)
    rank = "bm25(notes_fts, 0.0, 10.0, 4.0, 1.0, 0.0)"  # slug, title, summary, body, theme
    with default_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, slug, highlight(notes_fts, 1, '{_START}', '{_STOP}'), summary, theme, {rank} "
            f"FROM notes_fts WHERE notes_fts MATCH %s ORDER BY {rank} LIMIT %s",
            [match, limit],
        )
        return [(*row[:5], -row[5]) for row in cursor.fetchall()]


def _sections_sqlite(words: list[str], note_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """Each note's best section for the words (the one with most of them, by bm25): note id -> (anchor, heading
    highlighted, snippet)."""
    match = " OR ".join(f'"{word}"*' for word in words)
    rank = "bm25(notes_section_fts, 0.0, 4.0, 1.0)"  # note_id, heading, body
    with default_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, note_id FROM notes_section_fts WHERE notes_section_fts MATCH %s "
            f"AND note_id IN ({_placeholders(note_ids)}) ORDER BY {rank}, rowid",
            [match, *note_ids],
        )
        best = _best_per_note(cursor.fetchall())
        if not best:
            return {}
        cursor.execute(
            f"SELECT f.note_id, s.anchor, highlight(notes_section_fts, 1, '{_START}', '{_STOP}'), "
            f"snippet(notes_section_fts, 2, '{_START}', '{_STOP}', '…', 24) "
            f"FROM notes_section_fts f JOIN notes_notesection s ON s.id = f.rowid "
            f"WHERE notes_section_fts MATCH %s AND f.rowid IN ({_placeholders(best)})",
            [match, *best],
        )
        return {note_id: (anchor, heading, snippet) for note_id, anchor, heading, snippet in cursor.fetchall()}


def _tsquery(words: list[str], every_word: bool):
    from django.contrib.postgres.search import SearchQuery

    joiner = " & " if every_word else " | "
    return SearchQuery(joiner.join(f"{word}:*" for word in words), search_type="raw", config="english")


def _headline(field: str, query, **options):
    from django.contrib.postgres.search import SearchHeadline

    return SearchHeadline(field, query, config="english", start_sel=_START, stop_sel=_STOP, **options)


def _notes_postgres(words: list[str], every_word: bool, limit: int) -> list[tuple]:
    from django.contrib.postgres.search import SearchRank
    from django.db.models import F

    from studyapp.notes.models import Note

    query = _tsquery(words, every_word)
    return list(
        Note.objects.filter(search_vector=query)  # @@: ts_rank alone is above 0 when any one word matches
        .annotate(
            rank=SearchRank(F("search_vector"), query),  # the stored vector: parsing 300 KB of notes took 37 ms
            title_hl=_headline("title", query, highlight_all=True),
        )
        .order_by("-rank", "order")
        .values_list("pk", "slug", "title_hl", "summary", "theme", "rank")[:limit]
    )


def _sections_postgres(words: list[str], note_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    from django.contrib.postgres.search import SearchRank
    from django.db.models import F

    from studyapp.notes.models import NoteSection

    query = _tsquery(words, every_word=False)
    ranked = (
        NoteSection.objects.filter(note_id__in=note_ids, search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "pk")
        .values_list("pk", "note_id")
    )
    best = _best_per_note(ranked)
    if not best:
        return {}
    sections = (
        NoteSection.objects.filter(pk__in=best)
        .order_by()
        .annotate(
            heading_hl=_headline("heading", query, highlight_all=True),
            snippet=_headline("text", query, max_words=30, min_words=12, short_word=3),
        )
        .values_list("note_id", "anchor", "heading_hl", "snippet")
    )
    return {note_id: (anchor, heading, snippet) for note_id, anchor, heading, snippet in sections}


def vector():
    """PostgreSQL's weighted document of a note: title (A), summary (B), body text (C)."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("search_text", weight="C", config="english")
    )


def section_vector():
    """PostgreSQL's weighted document of a section: heading (B), text (C), as a note weighs its summary and body."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("heading", weight="B", config="english") + SearchVector("text", weight="C", config="english")


def reindex(connection=default_connection) -> None:
    """Rebuild the notes' sections from their rendered bodies, and the search index of the notes and of their
    sections: PostgreSQL's stored vectors, or SQLite's FTS tables (their rowids the notes' and the sections' ids).
    In one transaction: a search meanwhile sees the old index or the new one."""
    from studyapp.notes.models import Note, NoteSection

    alias = connection.alias
    with transaction.atomic(using=alias):
        NoteSection.objects.using(alias).all().delete()
        NoteSection.objects.using(alias).bulk_create(
            NoteSection(note_id=pk, position=position, anchor=part.anchor, heading=part.heading, text=part.text)
            for pk, body_html in Note.objects.using(alias).values_list("pk", "body_html")
            for position, part in enumerate(sections_of(body_html))
        )
        if connection.vendor == "postgresql":
            Note.objects.using(alias).update(search_vector=vector())
            NoteSection.objects.using(alias).update(search_vector=section_vector())
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM notes_fts")
                cursor.execute(
                    "INSERT INTO notes_fts (rowid, slug, title, summary, body, theme) "
                    "SELECT id, slug, title, summary, search_text, theme FROM notes_note"
                )
                cursor.execute("DELETE FROM notes_section_fts")
                cursor.execute(
                    "INSERT INTO notes_section_fts (rowid, note_id, heading, body) "
                    "SELECT id, note_id, heading, text FROM notes_notesection"
                )
