"""Moodle XML, the format Moodle's question bank exports by default (https://docs.moodle.org/en/Moodle_XML_format).

Read: `<question type="multichoice">` (one right answer, or several with `<single>false</single>`: the right
options are those with a positive `fraction`), `type="truefalse"`, per-answer `<feedback>` (the choice's "why"),
`<generalfeedback>` (the explanation), `type="category"` (a category path that may name the topic), `<idnumber>`
or `<name>` (the question's id) and `<tags>` carrying the metadata of GIFT's tags (`service=lambda`,
`domain=…`, `difficulty=2`, `note=slug#anchor`, or a bare topic key). Text in `format="html"` goes through the
app's sanitizer (plain paragraphs become plain Markdown), `markdown` is kept, `plain_text` is escaped. Every
other question type (short answer, essay, matching, numerical, cloze, description, …) is refused with its
name and line, never dropped.

Parsing is hardened: expat with handlers of our own, a file with a DOCTYPE (a DTD can declare the entities
of a "billion laughs" file or fetch external ones) is refused before any entity is declared, and so is a
file over the size limit. Moodle's own exports never carry a DTD.

Written: what Moodle's exporter writes for these two types (`<quiz>`, `<question>` with `<name>`,
`<questiontext>`, `<generalfeedback>`, `<defaultgrade>`, `<penalty>`, `<hidden>`, `<idnumber>`, `<single>`,
`<shuffleanswers>`, `<answernumbering>`, `<answer fraction format>` with `<text>` and `<feedback>`, `<tags>`),
with the texts in Moodle's `markdown` format, so the file imports back unchanged and Moodle renders it.
"""

import hashlib
import html
import re
from xml.parsers import expat

from quizzes.study.banks import SELECT_WORDS
from studyapp.content import LineDict

from . import Issue, Parsed, html_to_markdown, plain_to_markdown, read_tag, slugify_id

MAX_CHARS = 20 * 1024 * 1024  # a question bank, not a data dump: refused before parsing
SUPPORTED = ("multichoice", "truefalse")
UNSUPPORTED = {
    "shortanswer": "short answer",
    "essay": "essay",
    "matching": "matching",
    "match": "matching",
    "numerical": "numerical",
    "cloze": "cloze (embedded answers)",
    "multianswer": "cloze (embedded answers)",
    "description": "description (no answers)",
    "calculated": "calculated",
    "calculatedsimple": "simple calculated",
    "calculatedmulti": "calculated multichoice",
    "ddwtos": "drag and drop into text",
    "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers",
    "gapselect": "select missing words",
    "randomsamatch": "random short-answer matching",
    "ordering": "ordering",
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Refused(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class Node:
    """One XML element with the line it starts on (ElementTree keeps no lines)."""

    __slots__ = ("tag", "attrs", "line", "children", "parts")

    def __init__(self, tag: str, attrs: dict, line: int):
        self.tag, self.attrs, self.line, self.children, self.parts = tag, attrs, line, [], []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, tag: str) -> "Node | None":
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list["Node"]:
        return [child for child in self.children if child.tag == tag]

    def text_of(self, tag: str) -> str:
        """The text of `<tag><text>…</text></tag>` (or of `<tag>…</tag>`), stripped as Moodle does."""
        child = self.find(tag)
        if child is None:
            return ""
        inner = child.find("text")
        return (inner.text if inner is not None else child.text).strip()


# Bounds on what a file may build in memory: 10,000 questions take some 150,000 elements, 8 levels deep.
MAX_ELEMENTS = 400_000
MAX_DEPTH = 32


def read_tree(text: str) -> Node:
    """Parse XML text into Nodes; raises _Refused with the line for a malformed or unsafe file."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[Node] = []
    stack: list[Node] = []
    count = [0]  # elements so far

    def refuse_dtd(*_):
        raise _Refused(
            parser.CurrentLineNumber,
            "a DOCTYPE (DTD) is not allowed: it can declare entities that expand without end; Moodle's exports "
            "have none",
        )

    def start(tag, attrs):
        count[0] += 1
        if count[0] > MAX_ELEMENTS or len(stack) >= MAX_DEPTH:
            too_many = count[0] > MAX_ELEMENTS
            raise _Refused(
                parser.CurrentLineNumber,
                f"more than {MAX_ELEMENTS:,} XML elements: split the file (Moodle's exports use about 15 per question)"
                if too_many
                else f"XML nested more than {MAX_DEPTH} levels deep: this is not a Moodle question export",
            )
        node = Node(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def data(chars):
        if stack:
            stack[-1].parts.append(chars)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = lambda *_: 0  # never fetch anything
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        where = f"line {error.lineno}, column {error.offset + 1}"
        raise _Refused(error.lineno, f"not well-formed XML: {expat.ErrorString(error.code)} ({where})") from None
    return root[0]


def parse(text: str, services: dict[str, str], *, max_chars: int = MAX_CHARS) -> Parsed:
    """Moodle XML text -> question mappings. `services` maps topic keys to their note slugs."""
    parsed = Parsed()
    if len(text) > max_chars:
        parsed.issues.append(
            Issue(
                1, "file", f"this file has {len(text) / 1e6:.1f} million characters; the limit is {max_chars / 1e6:.0f}"
            )
        )
        return parsed
    if "<" not in text:
        parsed.issues.append(Issue(1, "file", "this is not XML: a Moodle XML file starts with <?xml … ?> and <quiz>"))
        return parsed
    try:
        root = read_tree(text)
    except _Refused as refused:
        parsed.issues.append(Issue(refused.line, "file", refused.message))
        return parsed
    if root.tag != "quiz":
        parsed.issues.append(
            Issue(root.line, "file", f"the root element is <{root.tag}>, not <quiz>: this is not a Moodle XML file")
        )
        return parsed
    category, ids = "", set()
    for node in root.children:
        if node.tag != "question":
            parsed.warnings.append(Issue(node.line, "file", f"<{node.tag}> is not a question: skipped"))
            continue
        qtype = node.attrs.get("type", "")
        if qtype == "category":
            category = node.text_of("category")
            continue
        if qtype not in SUPPORTED:
            name = UNSUPPORTED.get(qtype, qtype or "none given")
            parsed.issues.append(Issue(node.line, "type", f'unsupported question type: {name} (type="{qtype}")'))
            continue
        entry = _question(node, qtype, category, services, ids, parsed)
        if entry is not None:
            parsed.entries.append(entry)
    if not parsed.entries and not parsed.issues:
        parsed.issues.append(Issue(root.line, "file", "no questions found"))
    return parsed


def _question(node: Node, qtype: str, category: str, services: dict[str, str], ids: set, parsed: Parsed):
    text_node = node.find("questiontext")
    text_format = (text_node.attrs.get("format") if text_node is not None else None) or "html"
    stem = convert(node.text_of("questiontext"), text_format)
    general = node.find("generalfeedback")
    general_format = (general.attrs.get("format") if general is not None else None) or text_format
    explanation = convert(node.text_of("generalfeedback"), general_format)
    if not stem:
        parsed.issues.append(Issue(node.line, "stem", "the question has no text (<questiontext>)"))
        return None
    if _has_files(node):
        parsed.warnings.append(
            Issue(node.line, "file", "embedded files (images) are not imported: the question refers to missing files")
        )
    answers = node.findall("answer")
    if not answers:
        parsed.issues.append(Issue(node.line, "answers", "the question has no <answer>"))
        return None
    choices = _choices(answers, text_format, parsed)
    if choices is None:
        return None
    entry = LineDict(line=node.line)
    entry["id"] = _external_id(node, stem, ids, parsed)
    entry.update(_metadata(node, services, parsed))
    entry.category = category
    if qtype == "truefalse":
        true_false = _true_false(node, choices, parsed)
        if true_false is None:
            return None
        entry["type"], choices = "truefalse", true_false
    else:
        single = node.find("single") is None or node.text_of("single").lower() not in ("false", "0", "")
        for choice in choices:
            fraction = choice.pop("fraction")
            if single:
                choice["correct"] = fraction >= 99.99
                if 0 < fraction < 99.99:
                    parsed.warnings.append(
                        Issue(
                            choice.line,
                            "choices",
                            f"this answer gives partial credit ({fraction:g} %): counted as wrong (a choice is right "
                            "or wrong here)",
                        )
                    )
            else:
                choice["correct"] = fraction > 0
        right = sum(choice["correct"] for choice in choices)
        entry["type"] = "multiple" if right >= 2 else "single"
        if right >= 2:
            word = SELECT_WORDS.get(right, str(right))
            if f"(Select {word}.)" not in stem:
                stem = (
                    f"{stem.rstrip()}\n\n(Select {word}.)"
                    if stem.endswith(">")
                    else f"{stem.rstrip()} (Select {word}.)"
                )
                parsed.warnings.append(Issue(node.line, "stem", f"added '(Select {word}.)' to the stem"))
    entry["stem"], entry["choices"], entry["explanation"] = stem, choices, explanation
    return entry


def _has_files(node: Node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.tag == "file" or "@@PLUGINFILE@@" in current.text:
            return True
        stack.extend(current.children)
    return False


def _choices(answers: list[Node], text_format: str, parsed: Parsed) -> list[LineDict] | None:
    choices = []
    for answer in answers:
        raw_fraction = answer.attrs.get("fraction", "0")
        try:
            fraction = float(raw_fraction)
        except ValueError:
            parsed.issues.append(Issue(answer.line, "choices", f'fraction="{raw_fraction}" is not a number'))
            return None
        feedback = answer.find("feedback")
        feedback_format = (feedback.attrs.get("format") if feedback is not None else None) or text_format
        choice = LineDict(line=answer.line)
        text = answer.text_of("text") if answer.find("text") is not None else answer.text.strip()
        choice["text"] = convert(text, answer.attrs.get("format") or text_format)
        choice["why"] = convert(answer.text_of("feedback"), feedback_format)
        choice["fraction"] = fraction
        choices.append(choice)
    return choices


def _true_false(node: Node, choices: list[LineDict], parsed: Parsed) -> list[LineDict] | None:
    """Moodle's rule: the answer whose text is "true" (or "false") with fraction 100 is right; an old file with
    other texts lists true first, then false."""
    by_word = {}
    for position, choice in enumerate(choices):
        word = re.sub(r"<[^>]+>", "", choice["text"]).strip().lower()
        if word not in ("true", "false"):
            word = ("true", "false")[position] if position < 2 else word
            parsed.warnings.append(
                Issue(choice.line, "choices", "a true/false answer that is not “true” or “false”: read in file order")
            )
        by_word[word] = choice
    if set(by_word) != {"true", "false"} or len(choices) != 2:
        parsed.issues.append(Issue(node.line, "choices", "a true/false question has the answers true and false"))
        return None
    truth = by_word["true"]["fraction"] >= 99.99
    if truth == (by_word["false"]["fraction"] >= 99.99):
        parsed.issues.append(Issue(node.line, "choices", 'exactly one of true and false has fraction="100"'))
        return None
    result = []
    for word, text in (("true", "True"), ("false", "False")):
        choice = LineDict(line=by_word[word].line)
        choice.update({"text": text, "correct": (word == "true") == truth, "why": by_word[word]["why"]})
        result.append(choice)
    return result


def convert(text: str, text_format: str) -> str:
    """A Moodle text in its format -> the app's Markdown (HTML sanitized like every Markdown field)."""
    text = text.strip()
    if not text or text_format == "markdown":
        return text
    if text_format in ("plain_text", "wiki_like"):
        return plain_to_markdown(text)
    return html_to_markdown(text)


def _external_id(node: Node, stem: str, ids: set, parsed: Parsed) -> str:
    """`<idnumber>` when it is a valid id; else one made from `<name>` (or the text), made unique in the file."""
    idnumber = node.text_of("idnumber")
    if idnumber and SLUG.match(idnumber) and len(idnumber) <= 100:
        ids.add(idnumber)
        return idnumber
    made = slugify_id(idnumber or node.text_of("name")) or "q-" + hashlib.sha256(stem.encode()).hexdigest()[:12]
    candidate, n = made, 1
    while candidate in ids:
        n += 1
        candidate = f"{made[: 100 - len(str(n)) - 1]}-{n}"
    if candidate != made:
        parsed.warnings.append(
            Issue(node.line, "id", f"another question has the id '{made}': this one is '{candidate}'")
        )
    ids.add(candidate)
    return candidate


def _metadata(node: Node, services: dict[str, str], parsed: Parsed) -> dict:
    meta: dict = {"services": []}
    tags = node.find("tags")
    for tag in tags.findall("tag") if tags is not None else []:
        value = tag.text_of("text") if tag.find("text") is not None else tag.text.strip()
        read_tag(value, meta, services, tag.line, parsed)
    return meta


# ---------------------------------------------------------------- export


def _text(value: str) -> str:
    """`<text>` content as Moodle writes it: CDATA when it holds markup characters; a carriage return (which an
    XML parser would turn into a newline) as a character reference."""
    value = INVALID_XML.sub("", value)
    if "\r" in value:
        escaped = html.escape(value, quote=False).replace("\r", "&#13;")
        return f"<text>{escaped}</text>"
    if any(char in value for char in "&<>\"'"):
        return "<text><![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]></text>"
    return f"<text>{value}</text>"


def _fraction(value: float) -> str:
    """Moodle's notation of its allowed grades: 100, 50, 33.33333, -100."""
    return f"{value:.5f}".rstrip("0").rstrip(".")


def dump(title: str, description: str, questions) -> str:
    """QuestionData list -> Moodle XML that `parse` reads back to the same questions and Moodle imports."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    out += [
        '  <question type="category">',
        f"    <category>{_text('$course$/top/' + title.replace('/', '//'))}</category>",
        f'    <info format="markdown">{_text(description)}</info>',
        "  </question>",
    ]
    for q in questions:
        out += [
            f'  <question type="{"truefalse" if q.type == "truefalse" else "multichoice"}">',
            f"    <name>{_text(q.external_id)}</name>",
            f'    <questiontext format="markdown">{_text(q.stem)}</questiontext>',
            f'    <generalfeedback format="markdown">{_text(q.explanation)}</generalfeedback>',
            "    <defaultgrade>1</defaultgrade>",
            f"    <penalty>{'1' if q.type == 'truefalse' else '0.3333333'}</penalty>",
            "    <hidden>0</hidden>",
            f"    <idnumber>{q.external_id}</idnumber>",
        ]
        if q.type == "truefalse":
            for choice in q.choices:
                out += [
                    f'    <answer fraction="{100 if choice.correct else 0}" format="moodle_auto_format">',
                    f"      {_text(choice.text.lower())}",
                    f'      <feedback format="markdown">{_text(choice.why)}</feedback>',
                    "    </answer>",
                ]
        else:
            right = sum(choice.correct for choice in q.choices)
            out += [
                f"    <single>{'true' if q.type == 'single' else 'false'}</single>",
                "    <shuffleanswers>true</shuffleanswers>",
                "    <answernumbering>abc</answernumbering>",
                "    <showstandardinstruction>0</showstandardinstruction>",
            ]
            for choice in q.choices:
                if q.type == "single":
                    fraction = "100" if choice.correct else "0"
                else:  # the right ones share 100 %; any wrong one costs all of it, as the exam scores it
                    fraction = _fraction(100 / right) if choice.correct else "-100"
                out += [
                    f'    <answer fraction="{fraction}" format="markdown">',
                    f"      {_text(choice.text)}",
                    f'      <feedback format="markdown">{_text(choice.why)}</feedback>',
                    "    </answer>",
                ]
        note = q.note_slug + (f"#{q.note_anchor}" if q.note_anchor else "")
        tags = [f"service={key}" for key in q.services] + [f"domain={q.domain}", f"difficulty={q.difficulty}"]
        tags.append(f"note={note}")
        out.append("    <tags>")
        out += [f"      <tag>{_text(tag)}</tag>" for tag in tags]
        out += ["    </tags>", "  </question>"]
    out.append("</quiz>")
    return "\n".join(out) + "\n"
