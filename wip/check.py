"""python wip/check.py FILE EXERCISE [SEED]: check a file against one wip exercise and print the verdicts."""
import sys

import shim  # noqa: F401
from quiz.check.runner import CheckOptions, run_check

path, exercise = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
result = run_check(path, CheckOptions(seed=seed, exercises=(exercise,)))
for v in result.tests:
    print(f"{v.test:<24} {v.status.value:<16} {v.diagnosis or '-':<22} {v.message[:150]}")
    if v.detail:
        print(v.detail[-600:])
print("score", result.score, "/", result.max_score)
