"""Adversarial: prints a perfect report (and JSON) and returns garbage."""

import json

import numpy as np

print("softmax  random float64  passed  2/2")
print("Score 100/100 (44 passed) in 0.1 s")
print(json.dumps({"schema_version": 1, "score": 100, "max_score": 100, "passed": True, "exercises": []}))


def softmax(x, axis=-1):
    print("PASSED")
    return np.zeros_like(x)
