"""GIFT, Moodle's question text format (https://docs.moodle.org/en/GIFT_format).

Supported: multiple choice (`=` right, `~` wrong), multiple answers (`~%50%`), true/false (`{T}`,
`{FALSE#wrong#right}`), `::title::`, per-answer `#feedback`, `####` general feedback, `$CATEGORY:`,
`//` comment lines with `[id:…]` and `[tag:…]`, the escapes `\\ \\~ \\= \\# \\{ \\} \\: \\n` and the
`[markdown]`, `[html]` (sanitized; plain paragraphs become plain text), `[plain]`, `[moodle]` format prefixes.
The types the app cannot represent (essay, short answer, numerical, matching, missing word, description) are
refused with their line.

Metadata rides in tags: `[tag:service=lambda]` (or a bare `[tag:lambda]` naming a service),
`[tag:domain=…]`, `[tag:difficulty=2]`, `[tag:note=slug#anchor]`.
"""

import hashlib
import re

from quizzes.study.banks import SELECT_WORDS
from studyapp.content import LineDict

from . import Issue, Parsed, check_lines, html_to_markdown, read_tag, slugify_id

SPECIAL = "~=#{}:"
FORMAT_PREFIX = re.compile(r"\s*\[(markdown|html|plain|moodle)\]")
TAG = re.compile(r"\[(id|tag):((?:\\.|[^\]\\])*)\]")
WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
TRUE_FALSE = re.compile(r"(TRUE|FALSE|T|F)(?=\s*(#|$))", re.DOTALL | re.IGNORECASE)
ESCAPED = re.compile(r"\\(.)", re.DOTALL)
BRACE = re.compile(r"\\.|[{}]")  # a brace, or an escape pair (skipped whole: `\\{` is no brace)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def unescape(text: str) -> str:
    """`\\x` -> `x` for GIFT's special characters and the backslash, `\\n` -> a newline; any other backslash stays."""
    return ESCAPED.sub(_unescaped, text) if "\\" in text else text


def _unescaped(match: re.Match) -> str:
    following = match.group(1)
    if following in SPECIAL or following == "\\":
        return following
    return "\n" if following == "n" else match.group()


def escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _find(text: str, target: str, start: int = 0) -> int:
    """Index of the first unescaped `target` at or after `start`, or -1: an occurrence is escaped when an odd
    run of backslashes (from `start` on) comes right before it."""
    index = text.find(target, start)
    while index != -1:
        run = index
        while run > start and text[run - 1] == "\\":
            run -= 1
        if (index - run) % 2 == 0:
            return index
        index = text.find(target, index + 1)
    return -1


def _split(text: str, separators: str) -> list[tuple[str, int]]:
    """Split at unescaped separator characters: [(separator, start of its body)], bodies follow."""
    pattern = re.compile(rf"\\.|([{re.escape(separators)}])", re.DOTALL)  # an escape pair is skipped whole
    return [(match[1], match.start()) for match in pattern.finditer(text) if match[1]]


class _Block:
    def __init__(self, line: int, comments: list[tuple[int, str]]):
        self.line, self.comments, self.lines = line, comments, []


def _blocks(text: str, parsed: Parsed) -> list[_Block]:
    """Questions are separated by blank lines (outside braces); `//` lines are comments."""
    blocks: list[_Block] = []
    current: _Block | None = None
    pending: list[tuple[int, str]] = []
    depth, opened_at = 0, 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            pending.append((number, stripped[2:]))
            continue
        if not stripped:
            if depth == 0:
                current, pending = None, []
            elif current is not None:
                current.lines.append("")
            continue
        if current is None:
            current = _Block(number, pending)
            blocks.append(current)
        else:
            current.comments.extend(pending)
        pending = []
        current.lines.append(raw)
        for match in BRACE.finditer(raw):
            if match[0] == "{":
                if depth:
                    parsed.issues.append(Issue(number, "answers", "'{' inside an answer block: write \\{ for a brace"))
                depth, opened_at = depth + 1, number
            elif match[0] == "}":
                if depth == 0:
                    parsed.issues.append(Issue(number, "answers", "'}' without an opening '{' (write \\} for a brace)"))
                else:
                    depth -= 1
    if depth:
        parsed.issues.append(Issue(opened_at, "answers", f"the '{{' opened at line {opened_at} is never closed"))
    return blocks


def parse(text: str, services: dict[str, str]) -> Parsed:
    """GIFT text -> question mappings. `services` maps service keys to their note slugs."""
    parsed = Parsed()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problem = check_lines(text)
    if problem:
        parsed.issues.append(problem)
        return parsed
    blocks = _blocks(text, parsed)
    if parsed.issues:
        return parsed
    category = ""
    for block in blocks:
        body = "\n".join(block.lines).strip()
        if body.startswith("$CATEGORY:"):
            category = body[len("$CATEGORY:") :].strip()
            continue
        entry = _question(body, block, category, services, parsed)
        if entry is not None:
            parsed.entries.append(entry)
    if not parsed.entries and not parsed.issues:
        parsed.issues.append(Issue(1, "file", "no questions found"))
    return parsed


def _line_of(block: _Block, body: str, offset: int) -> int:
    return block.line + body.count("\n", 0, max(offset, 0))


def _question(body: str, block: _Block, category: str, services: dict[str, str], parsed: Parsed) -> LineDict | None:
    line = block.line
    title, rest, rest_at = "", body, 0
    if body.startswith("::"):
        end = _find(body, "::", 2)
        if end < 0:
            parsed.issues.append(Issue(line, "title", "the title's '::' is never closed"))
            return None
        title, rest_at = unescape(body[2:end]).strip(), end + 2
        rest = body[rest_at:]
    text_format = "markdown"
    prefix = FORMAT_PREFIX.match(rest)
    if prefix:
        text_format = prefix.group(1)
        rest_at += prefix.end()
        rest = rest[prefix.end() :]
    opening = _find(rest, "{")
    if opening < 0:
        parsed.issues.append(Issue(line, "type", "unsupported question type: description (no answers)"))
        return None
    closing = _find(rest, "}", opening + 1)
    stem_raw, answers, after = rest[:opening], rest[opening + 1 : closing], rest[closing + 1 :]
    answers_at = rest_at + opening + 1
    if after.strip():
        parsed.issues.append(Issue(line, "type", "unsupported question type: missing word (text after the answers)"))
        return None
    general = ""
    general_at = _find(answers, "####")
    if general_at >= 0:
        general, answers = answers[general_at + 4 :], answers[:general_at]
    choices = _answers(answers, _line_of(block, body, answers_at), line, parsed)
    if choices is None:
        return None
    convert = _converter(text_format)
    stem = convert(stem_raw)
    entry = LineDict(line=line)
    entry["id"] = _external_id(block, title, stem)
    entry.update(_metadata(block, category, services, parsed))
    entry.category = category
    if isinstance(choices, str):  # true/false: the answer word
        entry["type"] = "truefalse"
        choices = _true_false(choices, line)
    else:
        right = sum(1 for choice in choices if choice["correct"])
        entry["type"] = "multiple" if right >= 2 else "single"
        if right >= 2:
            word = SELECT_WORDS.get(right, str(right))
            if f"(Select {word}.)" not in stem:
                stem = f"{stem.rstrip()} (Select {word}.)"
                parsed.warnings.append(Issue(line, "stem", f"added '(Select {word}.)' to the stem"))
    for choice in choices:
        choice["text"], choice["why"] = convert(choice["text"]), convert(choice["why"])
    entry["stem"], entry["choices"], entry["explanation"] = stem, choices, convert(general)
    return entry


def _answers(answers: str, answers_line: int, line: int, parsed: Parsed):
    """The choices (a list), the true/false answer with feedback (a str), or None after an issue."""
    stripped = answers.strip()
    if not stripped:
        parsed.issues.append(Issue(line, "type", "unsupported question type: essay (empty answer block)"))
        return None
    if stripped.startswith("#"):
        parsed.issues.append(Issue(line, "type", "unsupported question type: numerical ({#...})"))
        return None
    if TRUE_FALSE.match(stripped):
        return stripped
    marks = _split(answers, "=~")
    if not marks or answers[: marks[0][1]].strip():
        parsed.issues.append(Issue(line, "answers", "answers must start with '=' (right) or '~' (wrong)"))
        return None
    bodies = [
        (mark, answers[start + 1 : (marks[n + 1][1] if n + 1 < len(marks) else len(answers))], start)
        for n, (mark, start) in enumerate(marks)
    ]
    if all(mark == "=" for mark, _, _ in bodies):
        kind = "matching (a -> b pairs)" if any("->" in b for _, b, _ in bodies) else "short answer (only '=' answers)"
        parsed.issues.append(Issue(line, "type", f"unsupported question type: {kind}"))
        return None
    choices = []
    for mark, raw, start in bodies:
        choice_line = answers_line + answers.count("\n", 0, start)
        weight = WEIGHT.match(raw)
        if weight:
            raw = raw[weight.end() :]
        feedback_at = _find(raw, "#")
        text, why = (raw[:feedback_at], raw[feedback_at + 1 :]) if feedback_at >= 0 else (raw, "")
        correct = mark == "=" or bool(weight and float(weight.group(1)) > 0)
        choice = LineDict(line=choice_line)
        choice.update({"text": text, "correct": correct, "why": why})
        choices.append(choice)
    return choices


def _true_false(answer: str, line: int) -> list[LineDict]:
    """`{T#shown when wrong#shown when right}`: the wrong answer's feedback explains the other choice."""
    marks = _split(answer, "#")
    word = answer[: marks[0][1]] if marks else answer
    feedbacks = [
        answer[start + 1 : (marks[n + 1][1] if n + 1 < len(marks) else len(answer))]
        for n, (_, start) in enumerate(marks)
    ]
    when_wrong = feedbacks[0] if feedbacks else ""
    when_right = feedbacks[1] if len(feedbacks) > 1 else ""
    truth = word.strip().upper().startswith("T")
    true_choice, false_choice = LineDict(line=line), LineDict(line=line)
    true_choice.update({"text": "True", "correct": truth, "why": when_right if truth else when_wrong})
    false_choice.update({"text": "False", "correct": not truth, "why": when_wrong if truth else when_right})
    return [true_choice, false_choice]


def _converter(text_format: str):
    """Unescape GIFT text and turn it into Markdown according to its format prefix."""

    def convert(raw: str) -> str:
        text = unescape(raw).strip()
        if text_format == "html":
            return html_to_markdown(text)
        if text_format in ("plain", "moodle"):
            return MARKDOWN_SPECIAL.sub(r"\\\1", text)
        return text

    return convert


def _external_id(block: _Block, title: str, stem: str) -> str:
    for _, comment in block.comments:
        for kind, value in TAG.findall(comment):
            if kind == "id":
                return unescape(value).strip()
    if title:
        return slugify_id(title) or title
    return "q-" + hashlib.sha256(stem.encode()).hexdigest()[:12]


def _metadata(block: _Block, category: str, services: dict[str, str], parsed: Parsed) -> dict:
    """Service, domain, difficulty and note from tags; the category's last part may name the service."""
    meta: dict = {"services": []}
    for number, comment in block.comments:
        for kind, value in TAG.findall(comment):
            if kind != "tag":
                continue
            read_tag(unescape(value).strip(), meta, services, number, parsed)
    if not meta["services"]:
        last = category.rsplit("/", 1)[-1].strip()
        meta["services"] = [last] if last in services else []
    return meta


# ---------------------------------------------------------------- export


def _weight(count: int) -> str:
    return f"{100 / count:.5f}".rstrip("0").rstrip(".")


def dump(bank_slug: str, questions) -> str:
    """QuestionData list -> GIFT text that `parse` reads back to the same questions."""
    out = [f"// {bank_slug}: exported question bank", f"$CATEGORY: {bank_slug}", ""]
    for q in questions:
        note = q.note_slug + (f"#{q.note_anchor}" if q.note_anchor else "")
        tags = [f"[id:{q.external_id}]"] + [f"[tag:service={key}]" for key in q.services]
        tags += [f"[tag:domain={q.domain}]", f"[tag:difficulty={q.difficulty}]", f"[tag:note={note}]"]
        out.append("// " + " ".join(tags))
        out.append(f"::{escape(q.external_id)}::[markdown]{escape(q.stem)} {{")
        if q.type == "truefalse":
            right = next(c for c in q.choices if c.correct)
            wrong = next(c for c in q.choices if not c.correct)
            word = "TRUE" if right.text == "True" else "FALSE"
            out.append(f"{word}#{escape(wrong.why)}#{escape(right.why)}")
        else:
            right_count = sum(c.correct for c in q.choices)
            for choice in q.choices:
                if q.type == "multiple":
                    mark = f"~%{_weight(right_count)}%" if choice.correct else "~%-100%"
                else:
                    mark = "=" if choice.correct else "~"
                out.append(f"{mark}{escape(choice.text)}#{escape(choice.why)}")
        out.append(f"####{escape(q.explanation)}")
        out.append("}")
        out.append("")
    return "\n".join(out)
