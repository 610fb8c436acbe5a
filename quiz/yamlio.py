"""The one way attnquiz reads YAML: PyYAML's safe loader (the C one where it is built), never a
loader that can construct Python objects. Banks go through ``quiz.bank.source``, which composes
with the same loader to keep line and column numbers; everything else calls ``safe_load``."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError


def safe_load(text: str) -> Any:
    """The data in `text` (plain YAML types only); raises YAMLError on bad YAML."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader, the safe one
