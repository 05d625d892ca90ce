"""CSV with documented columns (README, "Question bank import and export"), one question per row.

Columns: id, type, stem, explanation, services (space-separated keys), domain, difficulty, note,
correct (the numbers of the right choices, e.g. "2" or "1 3"), then choice_1, why_1, choice_2, why_2, ...
as many pairs as the questions need. A header row is required; column order does not matter.
"""

import csv
import io
import re

from studyapp.content import LineDict

from . import Issue, Parsed, check_lines

FIXED = ["id", "type", "stem", "explanation", "services", "domain", "difficulty", "note", "correct"]
CHOICE_COLUMN = re.compile(r"^(choice|why)_([1-9][0-9]?)$")


def parse(text: str, services: dict[str, str]) -> Parsed:
    parsed = Parsed()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problem = check_lines(text)
    if problem:
        parsed.issues.append(problem)
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        parsed.issues.append(Issue(1, "header", f"unreadable CSV: {error}"))
        return parsed
    missing = [name for name in FIXED if name not in header]
    unknown = [name for name in header if name not in FIXED and not CHOICE_COLUMN.match(name)]
    if missing or unknown or len(set(header)) != len(header) or "choice_1" not in header:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        if len(set(header)) != len(header):
            parts.append("a column appears twice")
        if "choice_1" not in header:
            parts.append("no choice_1 column")
        parsed.issues.append(Issue(1, "header", "; ".join(parts)))
        return parsed
    choice_numbers = sorted({int(CHOICE_COLUMN.match(n).group(2)) for n in header if CHOICE_COLUMN.match(n)})
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            parsed.issues.append(Issue(line, "row", f"unreadable CSV: {error}"))
            return parsed
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            parsed.issues.append(Issue(row_line, "row", f"{len(row)} cells, but the header has {len(header)} columns"))
            continue
        parsed.entries.append(_entry(dict(zip(header, row, strict=True)), choice_numbers, row_line, parsed))
    if not parsed.entries and not parsed.issues:
        parsed.issues.append(Issue(1, "file", "no questions found"))
    return parsed


def _entry(cells: dict[str, str], choice_numbers: list[int], line: int, parsed: Parsed) -> LineDict:
    entry = LineDict(line=line)
    for name in ("id", "type", "stem", "explanation", "domain"):
        entry[name] = cells[name].strip()
    difficulty = cells["difficulty"].strip()
    entry["difficulty"] = int(difficulty) if difficulty.isdecimal() else difficulty
    entry["services"] = re.split(r"[\s,;]+", cells["services"].strip()) if cells["services"].strip() else []
    if cells["note"].strip():
        entry["note"] = cells["note"].strip()
    right = cells["correct"].replace(",", " ").split()
    if not all(number.isdecimal() for number in right):
        parsed.issues.append(Issue(line, "correct", "'correct' lists choice numbers, like 2 or 1 3"))
    right_numbers = {int(number) for number in right if number.isdecimal()}
    choices = []
    for number in choice_numbers:
        text = cells.get(f"choice_{number}", "").strip()
        why = cells.get(f"why_{number}", "").strip()
        if not text and not why:
            continue
        choice = LineDict(line=line)
        choice.update({"text": text, "correct": number in right_numbers, "why": why})
        choices.append(choice)
    if right_numbers - set(range(1, len(choices) + 1)):
        parsed.issues.append(Issue(line, "correct", "'correct' names a choice number that has no choice"))
    entry["choices"] = choices
    return entry


def dump(questions) -> str:
    width = max((len(q.choices) for q in questions), default=1)
    header = FIXED + [name for n in range(1, width + 1) for name in (f"choice_{n}", f"why_{n}")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for q in questions:
        row = [
            q.external_id,
            q.type,
            q.stem,
            q.explanation,
            " ".join(q.services),
            q.domain,
            str(q.difficulty),
            q.note_slug + (f"#{q.note_anchor}" if q.note_anchor else ""),
            " ".join(str(n) for n, c in enumerate(q.choices, start=1) if c.correct),
        ]
        for n in range(width):
            row += [q.choices[n].text, q.choices[n].why] if n < len(q.choices) else ["", ""]
        writer.writerow(row)
    return out.getvalue()
