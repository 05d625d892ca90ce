"""Loads content/scenarios/*.yaml and content/guides/*.yaml (formats in content/README.md).

Everything is validated before anything is written, so a bad file stops `load_content` with its name,
line and reason. Scenarios are matched by id: a second load changes nothing, an edited one is updated,
and one whose entry disappeared is deleted, or only deactivated when learners have answered it
(their history keeps pointing at it). Scenarios instructors write on /author/scenarios/ (they have an
owner) are never updated, deactivated or deleted here, and a file may not reuse one of their ids.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from quizzes.models import Service
from quizzes.trainer.models import Guide, GuideNode, Scenario
from quizzes.trainer.scenarios import MIN_WHY_NOTS, check_scenario, highlight, rendered
from studyapp.content import ContentError, load_yaml_file, require
from studyapp.rendering import render_markdown

__all__ = ["MIN_WHY_NOTS", "highlight", "load_trainer"]  # highlight lives in scenarios.py, shared with /author/

MIN_SCENARIOS_PER_CORE_SERVICE = 8
MAX_GUIDE_QUESTIONS = 6
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_trainer(directory: Path) -> dict[str, int]:
    """Validate and load the scenarios and the decision guide; return counts of what changed."""
    services = dict(Service.objects.values_list("key", "core"))
    authored = set(Scenario.objects.authored().values_list("external_id", flat=True))
    scenarios = _read_scenarios(directory / "scenarios", services, authored)
    guides = _read_guides(directory / "guides", services)
    return {**_save_scenarios(scenarios), **_save_guides(guides)}


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
            **rendered(text=self.text, answer=self.answer, clues=self.clues, why=self.why, why_not=self.why_not),
            "difficulty": self.difficulty,
            "source": self.source,
            "order": self.order,
            "is_active": True,
        }


def _read_scenarios(folder: Path, services: dict[str, bool], authored: set[str]) -> list[ScenarioEntry]:
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
            line = getattr(item, "line", None)
            if entry.external_id in seen:
                raise ContentError(
                    path, f"scenario id '{entry.external_id}' is also used in {seen[entry.external_id]}", line
                )
            if entry.external_id in authored:
                raise ContentError(
                    path,
                    f"scenario id '{entry.external_id}' is taken by a scenario an instructor wrote on /author/: "
                    "choose another id",
                    line,
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
    """Check the YAML shapes here; the rules themselves are `check_scenario`'s, shared with /author/."""
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
    if not isinstance(answer, list) or not all(isinstance(k, str) for k in answer):
        raise ContentError(path, f"{where}: 'answer' must list one service key, or two used together", line)
    difficulty = require(item, "difficulty", path, int)
    clues = require(item, "clues", path, list)
    why = require(item, "why", path).strip()
    why_not = require(item, "why_not", path, dict)
    problems = check_scenario(
        text=text, answer=answer, difficulty=difficulty, clues=clues, why=why, why_not=why_not, services=services
    )
    if problems:
        problem = problems[0]
        where_line = getattr(why_not, "line", line) if problem.field.startswith("why_not_") else line
        raise ContentError(path, f"{where}: {problem.message}", where_line)
    return ScenarioEntry(
        external_id=external_id,
        text=text,
        answer=sorted(answer),
        difficulty=difficulty,
        clues=list(clues),
        why=why,
        why_not={key: reason.strip() for key, reason in why_not.items()},
        source=path.name,
        order=order,
    )


def _save_scenarios(entries: list[ScenarioEntry]) -> dict[str, int]:
    """Create, update, deactivate or delete content scenarios; instructors' scenarios are never touched."""
    content = Scenario.objects.from_content()
    existing = {scenario.external_id: scenario for scenario in content.prefetch_related("services")}
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
    gone = content.exclude(external_id__in=[entry.external_id for entry in entries])
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


# ---------------------------------------------------------------- decision guides


@dataclass
class GuideEntry:
    values: dict  # Guide fields
    nodes: list[dict]  # GuideNode fields


def _read_guides(folder: Path, services: dict[str, bool]) -> list[GuideEntry]:
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not paths:
        raise ContentError(folder, "no decision guide found (content/guides/*.yaml)")
    guides = [_read_guide(path, services) for path in paths]
    guides.sort(key=lambda guide: (guide.values["slug"] != "compute", guide.values["title"]))
    for order, guide in enumerate(guides):
        guide.values["order"] = order
    return guides


def _read_guide(path: Path, services: dict[str, bool]) -> GuideEntry:
    """Validate the tree: every option leads on or ends at known services; no dead ends, cycles or orphans."""
    data = load_yaml_file(path)
    if not isinstance(data, dict):
        raise ContentError(path, "expected a mapping with 'slug:', 'title:', 'summary:', 'start:' and 'nodes:'", 1)
    slug = require(data, "slug", path)
    if not SLUG.match(slug) or slug != path.stem:
        raise ContentError(path, f"'slug' must be the file name without .yaml ('{path.stem}'), not '{slug}'", data.line)
    values = {"slug": slug, "title": require(data, "title", path).strip(), "summary": require(data, "summary", path)}
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
    return GuideEntry(values, rows)


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


def _save_guides(guides: list[GuideEntry]) -> dict[str, int]:
    changed = removed = 0
    for entry in guides:
        guide, created = Guide.objects.get_or_create(slug=entry.values["slug"], defaults=entry.values)
        if not created and any(getattr(guide, name) != value for name, value in entry.values.items()):
            Guide.objects.filter(pk=guide.pk).update(**entry.values)
        existing = {node.key: node for node in guide.nodes.all()}
        for row in entry.nodes:
            node = existing.get(row["key"])
            if node is None:
                GuideNode.objects.create(guide=guide, **row)
                changed += 1
            elif any(getattr(node, name) != value for name, value in row.items()):
                GuideNode.objects.filter(pk=node.pk).update(**row)
                changed += 1
        removed += guide.nodes.exclude(key__in=[row["key"] for row in entry.nodes]).delete()[0]
    removed += Guide.objects.exclude(slug__in=[entry.values["slug"] for entry in guides]).delete()[0]
    return {"guide steps changed": changed, "guide steps removed": removed}
