"""The decision guide walk: the path so far lives in the URL (?path=2.0.1, option numbers from the start)."""

from dataclasses import dataclass

from quizzes.trainer.models import Guide, GuideNode
from quizzes.trainer.rounds import BadInput

MAX_STEPS = 12


@dataclass
class Step:
    node: GuideNode
    option: dict  # the option chosen at this node
    index: int
    path: str  # the path up to and including this choice


@dataclass
class Walk:
    steps: list[Step]
    current: GuideNode | None  # the question to answer now, None at a result
    result: list[str] | None  # service keys at the end
    path: str  # the path so far

    def option_path(self, index: int) -> str:
        return f"{self.path}.{index}" if self.path else str(index)

    @property
    def choices(self) -> list[dict]:
        """The current question's options with the path each one leads to."""
        if self.current is None:
            return []
        return [
            {"label": option["label"], "path": self.option_path(i)} for i, option in enumerate(self.current.options)
        ]

    @property
    def number(self) -> int:
        return len(self.steps) + 1

    @property
    def back_path(self) -> str | None:
        if not self.steps:
            return None
        return self.steps[-2].path if len(self.steps) > 1 else ""


def walk(guide: Guide, path: str) -> Walk:
    """Follow the option numbers from the guide's start node; BadInput for a path that is not in the tree."""
    nodes = {node.key: node for node in guide.nodes.all()}
    current = next((node for node in nodes.values() if node.is_start), None)
    if current is None:
        raise BadInput("The decision guide is not loaded yet.")
    parts = [part for part in path.split(".") if part] if path else []
    if len(parts) > MAX_STEPS or not all(part.isdecimal() for part in parts):
        raise BadInput("That guide path is not valid: start again from the first question.")
    steps: list[Step] = []
    taken: list[str] = []
    for part in parts:
        index = int(part)
        if current is None or index >= len(current.options):
            raise BadInput("That guide path is not valid: start again from the first question.")
        option = current.options[index]
        taken.append(part)
        steps.append(Step(current, option, index, ".".join(taken)))
        current = nodes.get(option["next"]) if option["next"] else None
    result = steps[-1].option["result"] if steps and current is None else None
    return Walk(steps, current, result, ".".join(taken))
