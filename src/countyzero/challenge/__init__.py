"""The Climate Challenge (气候挑战赛): solutions judged by what they would do for the county's targets.

A submission's effect is a set of pathway measures; :func:`evaluate_submission` runs the county's chosen scenario
with and without it (abatement, cost per tonne, change in the probability of meeting the targets, overlap with
the plan); :func:`rank` scores the entries on a versioned rubric with independent juror scores. Formats and
method: docs/challenge.md.
"""

from countyzero.challenge.evaluate import Evaluation, evaluate_file, evaluate_submission, load_plan
from countyzero.challenge.jury import ChallengeResult, Ranking, rank, run_challenge
from countyzero.challenge.reader import read_submission

__all__ = [
    "ChallengeResult",
    "Evaluation",
    "Ranking",
    "evaluate_file",
    "evaluate_submission",
    "load_plan",
    "rank",
    "read_submission",
    "run_challenge",
]
