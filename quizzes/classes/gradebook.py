"""The class gradebook as CSV, in a layout Moodle's or Canvas's gradebook import reads.

- moodle (Grades > Import > CSV file): any header row; the importer maps one identifier column (we give
  username and email address) to its users and each assignment column to a grade item. Moodle's own export
  names the columns "First name", "Last name", "Username", "Email address".
- canvas (Grades > Import): its export's first five columns "Student" (Last, First), "ID", "SIS User ID",
  "SIS Login ID", "Section", then one column per assignment; an unknown assignment column creates the
  assignment. We have no Canvas ids: ID and SIS User ID stay empty, SIS Login ID is the username.

Scores are percentages (0-100), empty when there is none. A cell that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) is written with a leading apostrophe.
"""

import csv
from datetime import datetime

from quizzes.classes import standing
from quizzes.classes.models import Classroom, Membership

LAYOUTS = ("moodle", "canvas")


def cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def write(out, classroom: Classroom, layout: str, now: datetime) -> None:
    members = list(
        Membership.objects.filter(classroom=classroom)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name", "learner__username")
    )
    assignments = list(classroom.assignments.order_by("due_at", "pk"))
    progress = standing.compute([m.learner_id for m in members], assignments, now)
    writer = csv.writer(out)
    titles = [cell(a.title) for a in assignments]
    if layout == "canvas":
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *titles])
    else:
        writer.writerow(["First name", "Last name", "Username", "Email address", *titles])
    for m in members:
        user = m.learner
        scores = [_score(progress.of(user.pk, a.pk).score) for a in assignments]
        if layout == "canvas":
            name = f"{user.last_name}, {user.first_name}" if user.last_name else (user.first_name or user.username)
            writer.writerow([cell(name), "", "", cell(user.username), cell(classroom.name), *scores])
        else:
            names = [cell(user.first_name), cell(user.last_name), cell(user.username), cell(user.email)]
            writer.writerow([*names, *scores])
