#!/usr/bin/env python
"""Import and export timings for instructor question banks (issue 6): a 10,000-question GIFT file
imported (budget 10 s: validate, then write in one transaction) and exported in every format
(budget 5 s each). Runs on a throw-away SQLite file unless DATABASE_URL is set, with production settings
like the other parts of `make bench` (DJANGO_DEBUG=1 to see what Django's query log adds). Exit status 1 when
a budget is exceeded.

    .venv/bin/python bench/authoring_import.py [QUESTIONS]
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyapp.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "k" * 60)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from io import StringIO  # noqa: E402

from django.core.management import call_command  # noqa: E402

from quizzes.authoring import importing  # noqa: E402
from quizzes.models import Bank, Question  # noqa: E402

IMPORT_BUDGET, EXPORT_BUDGET = 10.0, 5.0


def gift_file(count: int) -> str:
    services = ["lambda", "ecs", "fargate", "batch", "ecr", "lightsail", "api-gateway", "docker"]
    blocks = []
    for n in range(count):
        service = services[n % len(services)]
        blocks.append(
            f"// [id:bench-q-{n}] [tag:service={service}] [tag:difficulty={n % 3 + 1}]\n"
            f"::Question {n}::[markdown]Which service fits **case {n}**? {{\n"
            f"=Right answer {n}#Because it fits case {n}.\n"
            f"~Wrong answer A{n}#It does not fit.\n~Wrong answer B{n}#Nor this.\n~Wrong answer C{n}#Nor that.\n"
            f"####The right answer for case {n} is explained here.\n}}\n"
        )
    return "\n".join(blocks)


def timed(label: str, budget: float, action) -> bool:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    ok = elapsed <= budget
    print(f"{label:<44} {elapsed:7.2f} s  (budget {budget:.0f} s)  {'ok' if ok else 'OVER BUDGET'}")
    return ok, result


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    call_command("migrate", verbosity=0)
    call_command("load_content", stdout=StringIO())
    # A persistent database (PostgreSQL) keeps the last run's bank: its questions go first (Question.bank protects).
    Question.objects.filter(bank__slug="bench-import").delete()
    Bank.objects.filter(slug="bench-import").delete()
    text = gift_file(count)
    print(f"GIFT file: {count:,} questions, {len(text) / 1e6:.1f} MB")
    ok, report = timed(
        "validate only (dry run)",
        IMPORT_BUDGET,
        lambda: importing.run_import(text, "gift", bank_slug="bench-import", dry_run=True),
    )
    results = [ok]
    assert report.clean and len(report.created) == count, report.refused[:3]
    ok, report = timed(
        "import (validate + write)", IMPORT_BUDGET, lambda: importing.run_import(text, "gift", bank_slug="bench-import")
    )
    results.append(ok)
    bank = Bank.objects.get(slug="bench-import")
    for fmt in ("gift", "yaml", "csv", "moodlexml"):
        results.append(timed(f"export {fmt}", EXPORT_BUDGET, lambda fmt=fmt: importing.export(bank, fmt))[0])
    ok, report = timed(
        "re-import unchanged file", IMPORT_BUDGET, lambda: importing.run_import(text, "gift", bank_slug="bench-import")
    )
    results.append(ok)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
