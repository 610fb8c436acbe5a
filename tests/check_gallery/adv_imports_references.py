"""Adversarial: tries to use the checker's hidden references instead of its own code."""

import numpy as np


def softmax(x, axis=-1):
    try:
        from quiz.check import references
    except Exception:  # noqa: BLE001 - the sandbox refuses the import
        try:
            import importlib.util
            import site

            for folder in site.getsitepackages():
                spec = importlib.util.spec_from_file_location("r", f"{folder}/quiz/check/references.py")
                references = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(references)
                break
        except Exception:  # noqa: BLE001
            return np.zeros_like(x)
    return references.softmax(x, axis)
