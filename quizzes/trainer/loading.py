"""Loads content/scenarios/*.yaml and content/decision-guide.yaml (formats in content/README.md).

Everything is validated before anything is written, so a bad file stops `load_content` with its name,
line and reason. Scenarios are matched by id: a second load changes nothing, an edited one is updated,
and one whose entry disappeared is deleted, or only deactivated when learners have answered it
(their history keeps pointing at it).
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.html import escape

from quizzes.models import Service
from quizzes.trainer.models import GuideNode, Scenario, answer_key
from studyapp.content import ContentError, load_yaml_file, require
from studyapp.rendering import render_markdown, sanitize_html

MIN_SCENARIOS_PER_CORE_SERVICE = 8
MIN_WHY_NOTS = 2
MIN_REASON_LENGTH = 20  # a "why not" must be a specific reason, not "wrong"
GENERIC_REASONS = re.compile(r"^\s*(this is |that is |it is )?(wrong|incorrect|not correct|not right|no)\W*$", re.I)
MAX_GUIDE_QUESTIONS = 6
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_trainer(directory: Path) -> dict[str, int]:
    """Validate and load the scenarios and the decision guide; return counts of what changed."""
    services = dict(Service.objects.values_list("key", "core"))
    scenarios = _read_scenarios(directory / "scenarios", services)
    nodes = _read_guide(directory / "decision-guide.yaml", services)
    return {**_save_scenarios(scenarios), **_save_guide(nodes)}


# ---------------------------------------------------------------- scenarios


@dataclass
class ScenarioEntry:
    external_id: str
    text: str
    answer: list[str]
    difficulty: int
    clues: list[str]
    why: str
    why_not: dict[str, str]
    source: str
    order: int
    values: dict = field(default_factory=dict)  # model field values, filled by render()

    def render(self) -> None:
        self.values = {
            "text_md": self.text,
            "text_html": render_markdown(self.text),
            "highlighted_html": highlight(self.text, self.clues),
            "answer": self.answer,
            "answer_key": answer_key(self.answer),
            "difficulty": self.difficulty,
            "clues": self.clues,
            "why_md": self.why,
            "why_html": render_markdown(self.why),
            "why_not_md": self.why_not,
            "why_not_html": {key: render_markdown(text) for key, text in self.why_not.items()},
            "source": self.source,
            "order": self.order,
            "is_active": True,
        }


def highlight(text: str, clues: list[str]) -> str:
    """The text as HTML paragraphs with every occurrence of each clue phrase in <mark>.

    Works on the plain text: overlapping clues merge into one mark, each piece is escaped, and the
    result goes through the sanitizer like every other stored HTML.
    """
    spans = []
    for clue in clues:
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


def _read_scenarios(folder: Path, services: dict[str, bool]) -> list[ScenarioEntry]:
    if not folder.is_dir():
        raise ContentError(folder, "the scenarios folder is missing")
    entries: list[ScenarioEntry] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml_file(path)
        if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
            raise ContentError(path, "expected a top-level key 'scenarios:' with a list of scenarios", 1)
        for item in data["scenarios"]:
            entry = _read_scenario(item, path, services, len(entries))
            if entry.external_id in seen:
                line = getattr(item, "line", None)
                raise ContentError(
                    path, f"scenario id '{entry.external_id}' is also used in {seen[entry.external_id]}", line
                )
            seen[entry.external_id] = path
            entries.append(entry)
    if not entries:
        raise ContentError(folder, "no scenarios found (expected *.yaml files with a 'scenarios:' list)")
    counts = {key: 0 for key, core in services.items() if core}
    for entry in entries:
        for key in entry.answer:
            if key in counts:
                counts[key] += 1
    short = {key: count for key, count in counts.items() if count < MIN_SCENARIOS_PER_CORE_SERVICE}
    if short:
        listing = ", ".join(f"{key} ({count})" for key, count in sorted(short.items()))
        raise ContentError(
            folder, f"every core service needs at least {MIN_SCENARIOS_PER_CORE_SERVICE} scenarios; too few: {listing}"
        )
    for entry in entries:
        entry.render()
    return entries


def _read_scenario(item, path: Path, services: dict[str, bool], order: int) -> ScenarioEntry:
    if not isinstance(item, dict):
        raise ContentError(path, "each scenario must be a mapping (id:, text:, answer: ...)")
    line = item.line
    external_id = str(require(item, "id", path))
    if not SLUG.match(external_id):
        raise ContentError(
            path, f"scenario id '{external_id}' must be a slug (lowercase letters, digits, hyphens)", line
        )
    where = f"scenario '{external_id}'"
    text = require(item, "text", path).strip()
    answer = item.get("answer")
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, list) or not 1 <= len(answer) <= 2 or not all(isinstance(k, str) for k in answer):
        raise ContentError(path, f"{where}: 'answer' must list one service key, or two used together", line)
    if len(set(answer)) != len(answer):
        raise ContentError(path, f"{where}: 'answer' names the same service twice", line)
    for key in answer:
        if key not in services:
            raise ContentError(path, f"{where}: unknown service '{key}' in 'answer' (see services.yaml)", line)
    difficulty = require(item, "difficulty", path, int)
    if difficulty not in (1, 2, 3):
        raise ContentError(path, f"{where}: 'difficulty' must be 1, 2 or 3, not {difficulty}", line)
    clues = require(item, "clues", path, list)
    for clue in clues:
        if not isinstance(clue, str) or not clue.strip():
            raise ContentError(path, f"{where}: every clue must be a phrase (text)", line)
        if clue not in text:
            raise ContentError(
                path, f"{where}: clue '{clue}' does not occur in the text (clues are exact phrases)", line
            )
    why = require(item, "why", path).strip()
    why_not = require(item, "why_not", path, dict)
    why_not_line = getattr(why_not, "line", line)
    if len(why_not) < MIN_WHY_NOTS:
        raise ContentError(
            path, f"{where}: 'why_not' needs a reason for each plausible wrong choice (at least {MIN_WHY_NOTS})", line
        )
    reasons: dict[str, str] = {}
    for key, reason in why_not.items():
        if key not in services:
            raise ContentError(path, f"{where}: unknown service '{key}' in 'why_not' (see services.yaml)", why_not_line)
        if key in answer:
            raise ContentError(path, f"{where}: 'why_not' names '{key}', which is the answer", why_not_line)
        if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH or GENERIC_REASONS.match(reason):
            raise ContentError(
                path,
                f"{where}: the reason why not '{key}' must be specific to this scenario, not empty or generic",
                why_not_line,
            )
        if reason.strip() in reasons.values():
            raise ContentError(
                path, f"{where}: the reason why not '{key}' repeats another one word for word", why_not_line
            )
        reasons[key] = reason.strip()
    return ScenarioEntry(
        external_id=external_id,
        text=text,
        answer=sorted(answer),
        difficulty=difficulty,
        clues=[clue for clue in clues],
        why=why,
        why_not=reasons,
        source=path.name,
        order=order,
    )


def _save_scenarios(entries: list[ScenarioEntry]) -> dict[str, int]:
    existing = {scenario.external_id: scenario for scenario in Scenario.objects.prefetch_related("services")}
    service_ids = dict(Service.objects.values_list("key", "pk"))
    created = updated = 0
    for entry in entries:
        scenario = existing.get(entry.external_id)
        if scenario is None:
            scenario = Scenario.objects.create(external_id=entry.external_id, **entry.values)
            scenario.services.set([service_ids[key] for key in entry.answer])
            created += 1
            continue
        changed = any(getattr(scenario, name) != value for name, value in entry.values.items())
        current_services = sorted(service.key for service in scenario.services.all())
        if changed:
            Scenario.objects.filter(pk=scenario.pk).update(**entry.values)
        if current_services != entry.answer:
            scenario.services.set([service_ids[key] for key in entry.answer])
        updated += changed or current_services != entry.answer
    gone = Scenario.objects.exclude(external_id__in=[entry.external_id for entry in entries])
    answered = gone.filter(round_items__isnull=False).distinct()
    deactivated = answered.filter(is_active=True).update(is_active=False)
    _, deleted = gone.exclude(pk__in=answered.values("pk")).delete()
    removed = deleted.get("trainer.Scenario", 0)
    return {
        "scenarios created": created,
        "scenarios updated": updated,
        "scenarios deactivated": deactivated,
        "scenarios removed": removed,
    }


# ---------------------------------------------------------------- decision guide


def _read_guide(path: Path, services: dict[str, bool]) -> list[dict]:
    """Validate the tree: every option leads on or ends at known services; no dead ends, cycles or orphans."""
    if not path.exists():
        raise ContentError(path, "the decision guide file is missing")
    data = load_yaml_file(path)
    if not isinstance(data, dict):
        raise ContentError(path, "expected a mapping with 'start:' and 'nodes:'", 1)
    start = require(data, "start", path)
    nodes = require(data, "nodes", path, dict)
    if start not in nodes:
        raise ContentError(path, f"'start' names '{start}', which is not a node", data.line)
    rows = []
    for order, (key, node) in enumerate(nodes.items()):
        if not isinstance(node, dict):
            raise ContentError(path, f"node '{key}' must be a mapping with 'question' and 'options'", nodes.line)
        line = node.line
        question = require(node, "question", path).strip()
        options = require(node, "options", path, list)
        if len(options) < 2:
            raise ContentError(path, f"node '{key}' needs at least two options", line)
        parsed = []
        for option in options:
            if not isinstance(option, dict):
                raise ContentError(path, f"node '{key}': each option must be a mapping", line)
            option_line = option.line
            label = require(option, "label", path).strip()
            reason = require(option, "reason", path).strip()
            has_next, has_result = option.get("next") is not None, option.get("result") is not None
            if has_next == has_result:
                raise ContentError(
                    path,
                    f"node '{key}', option '{label}': give either 'next' (a node) or 'result' (a service)",
                    option_line,
                )
            result = None
            if has_next and option["next"] not in nodes:
                raise ContentError(
                    path,
                    f"node '{key}', option '{label}': 'next' names '{option['next']}', which is not a node",
                    option_line,
                )
            if has_result:
                result = option["result"] if isinstance(option["result"], list) else [option["result"]]
                if not 1 <= len(result) <= 2 or any(k not in services for k in result):
                    raise ContentError(
                        path,
                        f"node '{key}', option '{label}': 'result' must be one or two known service keys, "
                        f"not {option['result']}",
                        option_line,
                    )
            parsed.append(
                {
                    "label": label,
                    "reason_html": render_markdown(reason),
                    "next": option["next"] if has_next else None,
                    "result": sorted(result) if result else None,
                }
            )
        help_text = node.get("help") or ""
        rows.append(
            {
                "key": key,
                "question": question,
                "help_html": render_markdown(help_text.strip()) if help_text else "",
                "options": parsed,
                "is_start": key == start,
                "order": order,
                "line": line,
            }
        )
    _check_paths(rows, start, path)
    for row in rows:
        row.pop("line")
    return rows


def _check_paths(rows: list[dict], start: str, path: Path) -> None:
    by_key = {row["key"]: row for row in rows}
    reached: set[str] = set()

    def walk(key: str, trail: tuple[str, ...]) -> None:
        if key in trail:
            cycle = " -> ".join((*trail[trail.index(key) :], key))
            raise ContentError(path, f"the guide loops: {cycle}", by_key[key]["line"])
        trail = (*trail, key)
        if len(trail) > MAX_GUIDE_QUESTIONS:
            raise ContentError(
                path,
                f"a path asks more than {MAX_GUIDE_QUESTIONS} questions: {' -> '.join(trail)}",
                by_key[key]["line"],
            )
        reached.add(key)
        for option in by_key[key]["options"]:
            if option["next"]:
                walk(option["next"], trail)

    walk(start, ())
    unreachable = [row for row in rows if row["key"] not in reached]
    if unreachable:
        raise ContentError(
            path, f"node '{unreachable[0]['key']}' cannot be reached from '{start}'", unreachable[0]["line"]
        )


def _save_guide(rows: list[dict]) -> dict[str, int]:
    existing = {node.key: node for node in GuideNode.objects.all()}
    changed = 0
    for row in rows:
        node = existing.get(row["key"])
        if node is None:
            GuideNode.objects.create(**row)
            changed += 1
        elif any(getattr(node, name) != value for name, value in row.items()):
            GuideNode.objects.filter(pk=node.pk).update(**row)
            changed += 1
    removed, _ = GuideNode.objects.exclude(key__in=[row["key"] for row in rows]).delete()
    return {"guide steps changed": changed, "guide steps removed": removed}
