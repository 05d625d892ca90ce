"""Loads the service catalogue (content/services.yaml): the first loader, every other one refers to it."""

from pathlib import Path

from quizzes.models import Service
from studyapp.content import ContentError, load_yaml_file, require

FIELDS = ["name", "short", "use_when", "limits", "pricing", "managed"]


def load_services(directory: Path) -> dict[str, int]:
    path = directory / "services.yaml"
    data = load_yaml_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ContentError(path, "expected a top-level mapping 'services:' keyed by service key", 1)
    created = updated = 0
    seen = []
    for order, (key, entry) in enumerate(data["services"].items()):
        if not isinstance(entry, dict):
            raise ContentError(path, f"service '{key}' must be a mapping", getattr(data["services"], "line", None))
        values = {field: require(entry, field, path).strip() for field in FIELDS}
        values["note_slug"] = require(entry, "note", path)
        values["core"] = bool(entry.get("core", False))
        values["order"] = order
        service, was_created = Service.objects.get_or_create(key=key, defaults=values)
        if was_created:
            created += 1
        elif any(getattr(service, name) != value for name, value in values.items()):
            Service.objects.filter(pk=service.pk).update(**values)
            updated += 1
        seen.append(key)
    removed, _ = Service.objects.exclude(key__in=seen).delete()
    return {"services created": created, "services updated": updated, "services removed": removed}


def service_keys() -> set[str]:
    return set(Service.objects.values_list("key", flat=True))
