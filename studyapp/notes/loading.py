"""Loads content/notes/*.md into Note rows: validated, facts substituted, rendered and sanitized once."""

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils.html import strip_tags

from studyapp.content import (
    ContentError,
    load_facts,
    read_text,
    require,
    split_front_matter,
    substitute_facts,
)
from studyapp.notes import search
from studyapp.notes.models import DOMAIN_NUMBERS, TASK_STATEMENTS, Note, NoteSection
from studyapp.rendering import render_markdown_document

TITLE_MAX = Note._meta.get_field("title").max_length
SUMMARY_MAX = Note._meta.get_field("summary").max_length

WIDGETS = {"lambda-cost-calculator"}
_LINK = re.compile(r'<a href="(/notes/[^"#]*)(?:#([^"]*))?"')
_IMAGE = re.compile(r'<img [^>]*src="(/static/diagrams/[^"]+)"')
_EMPTY_HEADER = re.compile(r"<th(?: [^>]*)?>\s*</th>")
_NOTE_PATH = re.compile(r"^/notes/([a-z0-9-]+)/$")


@dataclass
class ParsedNote:
    path: Path
    line: int
    fields: dict
    source: str  # the whole file, to find the line of a broken link


def parse_note(path: Path, facts: dict, service_keys: set[str]) -> ParsedNote:
    text = read_text(path)
    doc = split_front_matter(text, path)
    meta = doc.meta
    title = require(meta, "title", path).strip()
    for field, limit in (("title", TITLE_MAX), ("summary", SUMMARY_MAX)):
        length = len(str(meta.get(field) or "").strip())
        if length > limit:
            raise ContentError(path, f"'{field}' is {length} characters long; at most {limit} fit", meta.line)
    slug = require(meta, "slug", path)
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise ContentError(path, f"slug '{slug}' must be lowercase words joined by hyphens", meta.line)
    order = require(meta, "order", path, int)
    services = require(meta, "services", path, list)
    unknown = [key for key in services if key not in service_keys]
    if unknown:
        raise ContentError(
            path, f"unknown service key(s) {', '.join(map(str, unknown))} (see content/services.yaml)", 2
        )
    domain = require(meta, "domain", path)
    if domain not in Note.Domain.values:
        raise ContentError(path, f"domain '{domain}' is not one of {', '.join(Note.Domain.values)}", 2)
    task_statement = str(require(meta, "task_statement", path)).strip()
    number, _, text = task_statement.partition(" ")
    if TASK_STATEMENTS.get(number) != text:
        raise ContentError(
            path, f"task_statement '{task_statement}' is not a task statement of the CLF-C02 exam guide", meta.line
        )
    if DOMAIN_NUMBERS[number[0]] != domain:
        raise ContentError(path, f"task statement {number} belongs to domain {number[0]}, not '{domain}'", meta.line)
    widgets = meta.get("widgets") or []
    if not isinstance(widgets, list) or not set(widgets) <= WIDGETS:
        raise ContentError(path, f"widgets must be a list of {', '.join(sorted(WIDGETS))}", 2)
    body_md = doc.body
    rendered = render_markdown_document(substitute_facts(body_md, facts, path, first_line=doc.body_line))
    if not rendered.html.strip():
        raise ContentError(path, "the note has no body", doc.body_line)
    if _EMPTY_HEADER.search(rendered.html):
        raise ContentError(path, "a table has an empty header cell: name the column (screen readers announce it)")
    fields = {
        "slug": slug,
        "title": title,
        "order": order,
        "theme": require(meta, "theme", path).strip(),
        "services": services,
        "domain": domain,
        "task_statement": task_statement,
        "summary": require(meta, "summary", path).strip(),
        "widgets": widgets,
        "body_md": body_md,
        "body_html": rendered.html,
        "toc": rendered.toc,
        "search_text": html.unescape(strip_tags(rendered.html)),
    }
    fields["source_hash"] = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()
    return ParsedNote(path=path, line=meta.line or 1, fields=fields, source=text)


def _line_of(source: str, needle: str) -> int | None:
    index = source.find(needle)
    return source.count("\n", 0, index) + 1 if index >= 0 else None


def _anchors(toc: list[dict]) -> set[str]:
    out = set()
    for entry in toc:
        out.add(entry["id"])
        out |= _anchors(entry["children"])
    return out


def check_links(notes: list[ParsedNote], directory: Path) -> None:
    """Every /notes/ link must reach a note (and heading); every diagram must exist."""
    anchors = {note.fields["slug"]: _anchors(note.fields["toc"]) for note in notes}
    for note in notes:
        for target, anchor in _LINK.findall(note.fields["body_html"]):
            match = _NOTE_PATH.match(target)
            if target == "/notes/" and not anchor:
                continue
            if not match or match.group(1) not in anchors:
                line = _line_of(note.source, target)
                raise ContentError(note.path, f"link to {target} does not reach a note", line)
            if anchor and anchor not in anchors[match.group(1)]:
                line = _line_of(note.source, f"#{anchor}")
                raise ContentError(note.path, f"link to {target}#{anchor}: no such heading in that note", line)
        for src in _IMAGE.findall(note.fields["body_html"]):
            if not (directory / "diagrams" / src.removeprefix("/static/diagrams/")).is_file():
                raise ContentError(note.path, f"image {src} is not in content/diagrams/", _line_of(note.source, src))


def load_notes(directory: Path) -> dict[str, int]:
    from quizzes.study.catalogue import service_keys

    facts = load_facts(directory)
    keys = service_keys()
    parsed: list[ParsedNote] = []
    seen: dict[str, Path] = {}
    for path in sorted((directory / "notes").glob("*.md")):
        note = parse_note(path, facts, keys)
        slug = note.fields["slug"]
        if slug in seen:
            raise ContentError(path, f"duplicate slug '{slug}' (also in {seen[slug].name})", note.line)
        seen[slug] = path
        parsed.append(note)
    check_links(parsed, directory)

    existing = {note.slug: note for note in Note.objects.all()}
    created = updated = 0
    for note in parsed:
        current = existing.get(note.fields["slug"])
        if current is None:
            Note.objects.create(**note.fields)
            created += 1
        elif current.source_hash != note.fields["source_hash"]:
            for name, value in note.fields.items():
                setattr(current, name, value)
            current.save()
            updated += 1
    removed = Note.objects.exclude(slug__in=seen).delete()[1].get("notes.Note", 0)  # not counting their sections
    if created or updated or removed or not NoteSection.objects.exists():  # none yet: just migrated to sections
        search.reindex(connection)
    return {"notes created": created, "notes updated": updated, "notes removed": removed}
