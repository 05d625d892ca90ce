"""The "problematic question" rule for other features (the authoring list's filter).

The rules and thresholds live with the statistics they read (stats.py): this module is the stable
address other apps import from.
"""

from quizzes.itemstats.stats import ENOUGH_ANSWERS, TOO_EASY, TOO_HARD, problematic_question_ids, problems

__all__ = ["ENOUGH_ANSWERS", "TOO_EASY", "TOO_HARD", "problematic_question_ids", "problems"]
