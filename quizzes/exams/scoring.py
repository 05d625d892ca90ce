"""Scoring a practice exam: right or wrong per question, the scaled score, results per service and domain."""

from dataclasses import dataclass

from quizzes.models import Domain

# Our estimate of the raw score the 700 pass mark stands for: AWS does not publish its scaling.
CUT_SCORE = 0.72


def is_right(snapshot: dict, answer: list[int]) -> bool:
    """All or nothing, as on the real exam: exactly the correct options, no more, no fewer."""
    return sorted(answer) == sorted(choice["key"] for choice in snapshot["choices"] if choice["correct"])


def scaled_score(correct: int, total: int) -> int:
    """Our estimate of AWS's 100-1000 scale: linear from 100 to 700 up to the cut score, then to 1000."""
    if total == 0:
        return 100
    share = correct / total
    if share <= CUT_SCORE:
        return round(100 + 600 * share / CUT_SCORE)
    return round(700 + 300 * (share - CUT_SCORE) / (1 - CUT_SCORE))


@dataclass
class Area:
    key: str
    name: str
    note: str = ""
    correct: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def breakdown(items) -> tuple[list[Area], list[Area]]:
    """Scored results per service and per domain, weakest first."""
    services: dict[str, Area] = {}
    domains: dict[str, Area] = {}
    for item in items:
        if item.is_pilot:
            continue
        for key, name, note in item.snapshot["services"]:
            area = services.setdefault(key, Area(key, name, note))
            area.total += 1
            area.correct += bool(item.correct)
        domain = item.snapshot["domain"]
        area = domains.setdefault(domain, Area(domain, Domain(domain).label))
        area.total += 1
        area.correct += bool(item.correct)
    weakest_first = lambda area: (area.percent, -area.total)  # noqa: E731
    return sorted(services.values(), key=weakest_first), sorted(domains.values(), key=weakest_first)
