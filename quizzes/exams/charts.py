"""Server-rendered SVG geometry for the exam score trend (no JavaScript chart library)."""

from dataclasses import dataclass

WIDTH, HEIGHT, LEFT, TOP, BOTTOM, RIGHT = 600, 220, 44, 16, 200, 590


@dataclass
class Point:
    x: float
    y: float
    score: int
    passed: bool
    label: str


def score_y(score: int) -> float:
    """Map a 100-1000 scaled score to the chart's vertical axis."""
    return BOTTOM - (score - 100) / 900 * (BOTTOM - TOP)


def trend(attempts) -> dict | None:
    """Points and the polyline of scaled scores, oldest to newest; None when there is nothing to draw."""
    attempts = list(attempts)
    if len(attempts) < 2:
        return None
    step = (RIGHT - LEFT) / (len(attempts) - 1)
    points = [
        Point(
            x=round(LEFT + index * step, 1),
            y=round(score_y(a.scaled_score or 100), 1),
            score=a.scaled_score or 100,
            passed=bool(a.passed),
            label=f"{a.started_at:%d %b}: {a.scaled_score}",
        )
        for index, a in enumerate(attempts)
    ]
    return {
        "points": points,
        "polyline": " ".join(f"{p.x},{p.y}" for p in points),
        "pass_y": round(score_y(700), 1),
        "top_y": TOP,
        "bottom_y": BOTTOM,
        "left": LEFT,
        "right": RIGHT,
    }
