"""Gradescope autograder for attnquiz (run by run_autograder, with the Python setup.sh installed).

The work is done by attnquiz itself (quiz.grade.gradescope.run_autograder): it finds the
student's solution in submission/, checks it in attnquiz's sandbox with the settings in
source/autograder.json, and writes results/results.json. If even attnquiz cannot be imported,
a results.json that says so is still written: without one, Gradescope shows the student only
that the autograder failed.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))

try:
    from quiz.grade.gradescope import run_autograder
except Exception as exc:  # noqa: BLE001 - the one message Gradescope can still show
    results = ROOT / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    message = f"The autograder is broken (attnquiz does not load: {type(exc).__name__}: {exc}); tell your instructor."
    results.write_text(json.dumps({"score": 0, "output": message, "stdout_visibility": "hidden", "tests": []}),
                       encoding="utf-8")
    print(message, file=sys.stderr)
    sys.exit(1)

sys.exit(run_autograder(ROOT))
