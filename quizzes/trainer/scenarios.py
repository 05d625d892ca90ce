"""What makes a scenario valid, and how it is rendered: one set of rules for content/scenarios/*.yaml
(quizzes.trainer.loading) and for the scenarios instructors write on /author/scenarios/.

The checks return every problem with the field it is about, so the loader can stop at the first one (with
its file and line) and the authoring form can put each message next to its field.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass

from django.utils.html import escape

from quizzes.trainer.models import answer_key
from studyapp.rendering import render_markdown, sanitize_html

MIN_WHY_NOTS = 2  # content/scenarios: a reason for at least two plausible wrong choices
MIN_REASON_LENGTH = 20  # a "why not" must be a specific reason, not "wrong"
MAX_TEXT_LENGTH = 600  # 1 to 4 sentences; the longest scenario in content/ has under 300 characters
MAX_EXPLANATION_LENGTH = 2000
DIFFICULTIES = (1, 2, 3)
GENERIC_REASONS = re.compile(r"^\s*(this is |that is |it is )?(wrong|incorrect|not correct|not right|no)\W*$", re.I)


@dataclass(frozen=True)
class Problem:
    """One broken rule. `field` is text, answer, difficulty, clues, why, why_not (the set of reasons),
    why_not_service or why_not_reason (about the service `key`); `key` is the clue or service concerned."""

    field: str
    message: str
    key: str = ""


def check_scenario(
    *,
    text: str,
    answer: list[str],
    difficulty: int,
    clues: list,
    why: str,
    why_not: dict[str, str],
    services: Collection[str],
    min_why_nots: int = MIN_WHY_NOTS,
) -> list[Problem]:
    """Every rule the scenario breaks, in the order an author reads the scenario (empty: it is valid)."""
    problems: list[Problem] = []
    text, why = text.strip(), why.strip()
    if not text:
        problems.append(Problem("text", "the scenario text is required"))
    elif len(text) > MAX_TEXT_LENGTH:
        problems.append(
            Problem(
                "text",
                f"the text has {len(text)} characters; keep it to {MAX_TEXT_LENGTH} (one to four sentences)",
            )
        )
    if not 1 <= len(answer) <= 2:
        problems.append(Problem("answer", "the answer must be one service, or two used together"))
    elif len(set(answer)) != len(answer):
        problems.append(Problem("answer", "the answer names the same service twice"))
    for key in answer:
        if key not in services:
            problems.append(Problem("answer", f"unknown service '{key}' in 'answer' (see services.yaml)", key))
    if difficulty not in DIFFICULTIES:
        problems.append(Problem("difficulty", f"the difficulty must be 1, 2 or 3, not {difficulty}"))
    for clue in clues:
        if not isinstance(clue, str) or not clue.strip():
            problems.append(Problem("clues", "every clue must be a phrase (text)"))
        elif clue not in text:
            problems.append(
                Problem("clues", f"clue '{clue}' does not occur in the text (clues are exact phrases)", clue)
            )
    if not why:
        problems.append(Problem("why", "the explanation of why the answer fits is required"))
    elif len(why) > MAX_EXPLANATION_LENGTH:
        problems.append(
            Problem("why", f"the explanation has {len(why)} characters; keep it to {MAX_EXPLANATION_LENGTH}")
        )
    if len(why_not) < min_why_nots:
        problems.append(
            Problem(
                "why_not",
                f"give a reason why not for each plausible wrong choice (at least {min_why_nots})",
            )
        )
    seen: dict[str, str] = {}
    for key, reason in why_not.items():
        if key not in services:
            problems.append(
                Problem("why_not_service", f"unknown service '{key}' in 'why_not' (see services.yaml)", key)
            )
        elif key in answer:
            problems.append(
                Problem(
                    "why_not_service", f"'why_not' names '{key}', which is the answer: list wrong choices only", key
                )
            )
        reason = reason.strip() if isinstance(reason, str) else ""
        if len(reason) < MIN_REASON_LENGTH or GENERIC_REASONS.match(reason):
            problems.append(
                Problem(
                    "why_not_reason",
                    f"the reason why not '{key}' must be specific to this scenario, not empty or generic "
                    f"(at least {MIN_REASON_LENGTH} characters)",
                    key,
                )
            )
        elif len(reason) > MAX_EXPLANATION_LENGTH:
            problems.append(
                Problem("why_not_reason", f"the reason why not '{key}' is longer than {MAX_EXPLANATION_LENGTH}", key)
            )
        elif reason in seen.values():
            problems.append(
                Problem("why_not_reason", f"the reason why not '{key}' repeats another one word for word", key)
            )
        seen[key] = reason
    return problems


def rendered(*, text: str, answer: list[str], clues: list[str], why: str, why_not: dict[str, str]) -> dict:
    """The stored form of a scenario's Markdown: sanitized HTML, the highlighted text, the answer's key."""
    answer = sorted(answer)
    return {
        "text_md": text,
        "text_html": render_markdown(text),
        "highlighted_html": highlight(text, clues),
        "answer": answer,
        "answer_key": answer_key(answer),
        "clues": list(clues),
        "why_md": why,
        "why_html": render_markdown(why),
        "why_not_md": dict(why_not),
        "why_not_key": answer_key(why_not),
        "why_not_html": {key: render_markdown(reason) for key, reason in why_not.items()},
    }


def highlight(text: str, clues: list[str]) -> str:
    """The text as HTML paragraphs with every occurrence of each clue phrase in <mark>.

    Works on the plain text: overlapping clues merge into one mark, each piece is escaped, and the
    result goes through the sanitizer like every other stored HTML.
    """
    spans = []
    for clue in clues:
        if not clue:
            continue  # an empty phrase occurs everywhere (and would never advance)
        start = text.find(clue)
        while start != -1:
            spans.append((start, start + len(clue)))
            start = text.find(clue, start + len(clue))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, position = [], 0
    for start, end in merged:
        pieces.append(escape(text[position:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    pieces.append(escape(text[position:]))
    paragraphs = [part.strip() for part in "".join(pieces).split("\n\n") if part.strip()]
    return sanitize_html("".join(f"<p>{part}</p>" for part in paragraphs))
