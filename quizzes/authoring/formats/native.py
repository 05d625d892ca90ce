"""The native YAML format of content/banks/ (content/README.md): parsed by quizzes.study.banks itself."""

import yaml

from quizzes.study.banks import QuestionData


class _BlockDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when present: 5x faster
    """Multi-line Markdown as `|` blocks, so an exported file reads like the files in content/banks/."""


def _string(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _string)


def dump(slug: str, title: str, description: str, questions: list[QuestionData]) -> str:
    data = {
        "bank": {"slug": slug, "title": title, "description": description},
        "questions": [
            {
                "id": q.external_id,
                "type": q.type,
                "stem": q.stem,
                "choices": [{"text": c.text, "correct": c.correct, "why": c.why} for c in q.choices],
                "explanation": q.explanation,
                "services": list(q.services),
                "domain": q.domain,
                "difficulty": q.difficulty,
                "note": q.note_slug + (f"#{q.note_anchor}" if q.note_anchor else ""),
            }
            for q in questions
        ],
    }
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=10_000)
