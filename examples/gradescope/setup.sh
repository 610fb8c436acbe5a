#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python and attnquiz into a virtual environment at $AUTOGRADER_ROOT/venv.
#
# Which attnquiz: a wheel put next to this file in the autograder zip
# (attnquiz-*.whl, e.g. built with `python -m build --wheel`) wins; otherwise
# ATTNQUIZ_SPEC (default: "attnquiz" from PyPI; pin a version, e.g. "attnquiz==0.1.0").
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip
fi

# bubblewrap is the checker's sandbox boundary (its strict isolation level, docs/checker.md):
# without it, or where the image refuses namespaces, checks run at a weaker level, and every
# results.json says which (extra_data.isolation and a line of its output).
if ! command -v bwrap >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap \
        || echo "setup: bubblewrap could not be installed; checks will run below the full sandbox boundary" >&2
fi

python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip

shopt -s nullglob
wheels=("$SOURCE"/attnquiz-*.whl)
if ((${#wheels[@]})); then
    "$ROOT/venv/bin/python" -m pip install "${wheels[-1]}"
else
    "$ROOT/venv/bin/python" -m pip install "${ATTNQUIZ_SPEC:-attnquiz}"
fi
"$ROOT/venv/bin/attnquiz" --version
