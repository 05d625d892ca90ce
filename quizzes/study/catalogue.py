"""Loads the topic catalogue (content/services.yaml, then content/topics/*.yaml): the first loader.

The catalogue lists every topic a note, question or scenario can be about: the AWS services of the CLF-C02 exam
guide and the concepts that are not services, each in a category.
"""

from pathlib import Path

from django.db.models import CharField, F, Func, IntegerField, Subquery
from django.db.models.expressions import RawSQL

from quizzes.models import Category, Question, Service
from quizzes.study.due_queue import visible_questions
from studyapp.content import ContentError, load_yaml_file, require
from studyapp.notes.models import ContentRelease

FIELDS = ["name", "short", "use_when"]
OPTIONAL_FIELDS = ["limits", "pricing", "managed"]  # what a service costs and leaves to you; concepts have none


def load_services(directory: Path) -> dict[str, int]:
    path = directory / "services.yaml"
    data = load_yaml_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ContentError(path, "expected a top-level mapping 'services:' keyed by service key", 1)
    if not isinstance(data.get("categories"), dict) or not data["categories"]:
        raise ContentError(path, "expected a top-level mapping 'categories:' (key: name)", 1)
    categories, categories_changed = _load_categories(path, data["categories"])
    created = updated = 0
    seen = []
    for order, (source, key, entry) in enumerate(_topic_entries(path, data, directory / "topics")):
        line = getattr(entry, "line", None)
        if not isinstance(entry, dict):
            raise ContentError(source, f"service '{key}' must be a mapping", line)
        values = {field: require(entry, field, source).strip() for field in FIELDS}
        for field, text in (("key", key), ("name", values["name"]), ("short", values["short"])):
            limit = Service._meta.get_field(field).max_length
            if len(str(text)) > limit:
                raise ContentError(source, f"topic '{key}': '{field}' is longer than {limit} characters", line)
        values.update({field: str(entry.get(field) or "").strip() for field in OPTIONAL_FIELDS})
        values["note_slug"] = require(entry, "note", source)
        values["core"] = bool(entry.get("core", False))
        values["is_concept"] = bool(entry.get("concept", False))
        values["in_palette"] = bool(entry.get("palette", False))
        category = require(entry, "category", source, line=getattr(entry, "line", None))
        if category not in categories:
            raise ContentError(source, f"'{key}' names an unknown category '{category}'", getattr(entry, "line", None))
        values["category_id"] = categories[category]
        values["order"] = order
        service, was_created = Service.objects.get_or_create(key=key, defaults=values)
        if was_created:
            created += 1
        elif any(getattr(service, name) != value for name, value in values.items()):
            Service.objects.filter(pk=service.pk).update(**values)
            updated += 1
        seen.append(key)
    removed, _ = Service.objects.exclude(key__in=seen).delete()
    categories_removed, _ = Category.objects.exclude(key__in=list(categories)).delete()
    return {
        "services created": created,
        "services updated": updated,
        "services removed": removed,
        "categories changed": categories_changed + categories_removed,
    }


def _topic_entries(path: Path, data: dict, folder: Path):
    """Every (file, key, entry) of services.yaml, then of each topics/*.yaml file; a key defined twice stops."""
    files = [(path, data)]
    for extra in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        more = load_yaml_file(extra)
        if not isinstance(more, dict) or not isinstance(more.get("services"), dict) or set(more) != {"services"}:
            raise ContentError(extra, "expected only a top-level mapping 'services:' keyed by topic key", 1)
        files.append((extra, more))
    defined: dict[str, Path] = {}
    for source, content in files:
        for key, entry in content["services"].items():
            if key in defined:
                line = getattr(entry, "line", None)
                raise ContentError(source, f"topic '{key}' is already defined in {defined[key].name}", line)
            defined[key] = source
            yield source, key, entry


def _load_categories(path: Path, entries: dict) -> tuple[dict[str, int], int]:
    """Create or update the categories in file order; returns their ids by key, and how many were created or
    changed (a renamed category is a change of content: load_content then adds a release)."""
    ids, changed = {}, 0
    known = {c.key: c for c in Category.objects.all()}
    for order, (key, name) in enumerate(entries.items()):
        if not isinstance(name, str) or not name.strip():
            raise ContentError(path, f"category '{key}' needs a name", getattr(entries, "line", None))
        values = {"name": name.strip(), "order": order}
        category = known.get(key)
        if category is None or any(getattr(category, field) != value for field, value in values.items()):
            category, _ = Category.objects.update_or_create(key=key, defaults=values)
            changed += 1
        ids[key] = category.pk
    return ids, changed


def service_keys() -> set[str]:
    return set(Service.objects.values_list("key", flat=True))


# ---------------------------------------------------------------- the content's fingerprint

CONTENT_MARKS = ("content_release", "content_questions")

# The content's marks as SQL, read with another statement's row: the latest release of content/ (load_content adds
# one when anything changed, topics and categories included), and of the questions learners see, in one pass: how
# many, the sum of their ids (a question added or retired moves it, also when an import adds one and retires
# another) and the sum of their revisions (an author's edit or an import stores a new one), as one text.
RELEASE_SQL = f'SELECT MAX(id) FROM "{ContentRelease._meta.db_table}"'
QUESTIONS_SQL = (
    "SELECT COUNT(*) || ':' || COALESCE(SUM(id), 0) || ':' || COALESCE(SUM(revision), 0)"
    f' FROM "{Question._meta.db_table}" WHERE {{visible}}'
)


def content_marks() -> dict[str, RawSQL]:
    """What identifies the content learners see (RELEASE_SQL, QUESTIONS_SQL), as subqueries to annotate another
    query's rows with. Caches of what the questions are about are keyed by them. Hand-written over the due queue's
    compiled condition: built with the ORM, the three aggregates over Question.objects.active() took 1.5 ms to
    build and compile on each request, several times what they take to run."""
    visible, params = visible_questions(None)
    return {
        "content_release": RawSQL(RELEASE_SQL, (), output_field=IntegerField()),
        "content_questions": RawSQL(QUESTIONS_SQL.format(visible=visible), params, output_field=CharField()),
    }


def content_fingerprint(row) -> tuple:
    """The content marks an object was read with (annotated by content_marks())."""
    return tuple(getattr(row, mark) for mark in CONTENT_MARKS)


def aggregate(rows, function: str, field: str = "pk") -> Subquery:
    """One aggregate (COUNT, MAX, SUM) over the whole of `rows`, as a subquery without a GROUP BY."""
    value = Func(F(field), function=function, output_field=IntegerField())
    return Subquery(rows.order_by().annotate(value=value).values("value"))
