"""Watch mode: run a check now and again every time the file is saved, until Ctrl-C.

The file is polled with ``os.stat`` rather than an OS notification API, so it works the
same everywhere and with every editor: an in-place write changes the modification time
or the size; a save by rename (write a temporary file, rename it over the original, as
Vim and many IDEs do) changes the inode; a file that is briefly missing in the middle of
such a save is waited for. After a change is seen, the file must stay unchanged for one
short settle period before the check runs, so a save written in several steps runs once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from quiz.i18n import t

Signature = tuple[int, int, int, int]


def file_signature(path: Path) -> Signature | None:
    """What changes when the file is saved: mtime, ctime, size, inode; None while it is missing."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def wait_for_change(
    path: Path,
    last: Signature | None,
    *,
    interval: float = 0.2,
    settle: float = 0.1,
    sleep: Callable[[float], None] = time.sleep,
) -> Signature:
    """Block until `path` exists with a signature other than `last`, and holds still for `settle` s."""
    while True:
        sleep(interval)
        current = file_signature(path)
        if current is None or current == last:
            continue
        sleep(settle)
        if file_signature(path) == current:
            return current


def watch(
    path: Path,
    run_once: Callable[[], None],
    *,
    interval: float = 0.2,
    settle: float = 0.1,
    clear: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> NoReturn:
    """Run `run_once` now and after every save of `path`, until Ctrl-C (KeyboardInterrupt goes on up).

    `run_once` prints its own report. A user error it raises (a solution with a syntax
    error, say) is shown and watching goes on, so the learner can fix it and save again.
    """
    last = file_signature(path)
    while True:
        if clear:
            click.clear()  # does nothing when stdout is not a terminal
        try:
            run_once()
        except click.ClickException as exc:
            exc.show()
        click.echo(t("watch.waiting", path=path.name), err=True)
        last = wait_for_change(path, last, interval=interval, settle=settle, sleep=sleep)
