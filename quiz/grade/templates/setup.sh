#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# Written by `attnquiz autograder gradescope`; everything it installs comes from this zip or
# from the distribution's packages, with the dependency versions the zip was built with.
#
# AUTOGRADER_ROOT moves the whole /autograder layout (a test runs it in a temporary folder).
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON_VERSION="@PYTHON_VERSION@"  # the Python the zip was built with: its pins are for this one
WHEEL="$SOURCE/@WHEEL@"

updated=""
apt_install() {
    if [ -z "$updated" ]; then
        apt-get update
        updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}
has_venv() {
    command -v "$1" >/dev/null 2>&1 && "$1" -c 'import ensurepip, venv' >/dev/null 2>&1
}

# bubblewrap: the sandbox's namespace boundary (attnquiz falls back to a weaker one, and says so, without it)
if ! command -v bwrap >/dev/null 2>&1; then
    apt_install bubblewrap || echo "setup.sh: warning: could not install bubblewrap" >&2
fi

PYTHON="python$PYTHON_VERSION"
if ! has_venv "$PYTHON"; then
    apt_install "python$PYTHON_VERSION" "python$PYTHON_VERSION-venv" || true
fi
if ! has_venv "$PYTHON"; then
    PYTHON=python3
    has_venv python3 || apt_install python3 python3-venv
    echo "setup.sh: warning: Python $PYTHON_VERSION is not available; using $(python3 --version)" >&2
fi

rm -rf "$ROOT/venv"
"$PYTHON" -m venv "$ROOT/venv"
PIP=("$ROOT/venv/bin/python" -m pip --no-input --disable-pip-version-check)
if ! "${PIP[@]}" install --constraint "$SOURCE/constraints.txt" "$WHEEL"; then
    # the pins are for Python $PYTHON_VERSION; another Python may need other builds of them
    echo "setup.sh: warning: the pinned versions do not install here; using attnquiz's own version ranges" >&2
    "${PIP[@]}" install "$WHEEL"
fi
# the sandbox level this image offers (extra_data.isolation of each result says what each check got)
"$ROOT/venv/bin/python" -c 'import sys; from pathlib import Path; from quiz.grade.gradescope import setup_report
print(setup_report(Path(sys.argv[1])))' "$ROOT" || echo "setup.sh: warning: could not probe the sandbox" >&2
"$ROOT/venv/bin/attnquiz" --version
