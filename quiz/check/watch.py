"""Watch mode: run a check now and again every time the file is saved, until q or Ctrl-C.

The file is polled with ``os.stat`` rather than an OS notification API, so it works the
same everywhere and with every editor: an in-place write changes the modification time
or the size; a save by rename (write a temporary file, rename it over the original, as
Vim and many IDEs do) changes the inode; a file that is briefly missing in the middle of
such a save is waited for. After a change is seen, the file must stay unchanged for one
short settle period before the check runs, so a save written in several steps runs once.

In a terminal, single keys act at once, as in rustlings' watch mode: h shows a hint (for
the exercise the last check stopped at), c checks now, q quits. ``TerminalKeys`` reads
them in cbreak mode (no Enter, no echo; Ctrl-C still interrupts) and restores the terminal
on the way out; when standard input is not a terminal there are no keys, only saves.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

import click

from quiz.errors import ExitStatus
from quiz.i18n import t

Signature = tuple[int, int, int, int]
KEYS = ("h", "c", "q")
"""The keys watch mode acts on: hint, check now, quit."""


class TerminalKeys:
    """Key presses from standard input while it is a terminal, one at a time, without Enter."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self.active = False
        self._saved: list | None = None

    def __enter__(self) -> TerminalKeys:
        try:
            import termios
            import tty

            fd = self.stream.fileno()
            if not os.isatty(fd):
                return self
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except (ImportError, OSError, ValueError, AttributeError):  # not a terminal (or no termios): saves only
            return self
        self.active = True
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)

    def wait(self, seconds: float) -> str | None:
        """The key pressed within `seconds` (lower case), else None; sleeps when there are no keys."""
        if not self.active:
            time.sleep(seconds)
            return None
        import select

        fd = self.stream.fileno()
        ready, _, _ = select.select([fd], [], [], seconds)
        if not ready:
            return None
        data = os.read(fd, 32)
        if not data:  # end of input: no more keys
            self.active = False
            return None
        return data[-1:].decode("ascii", "replace").lower()


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
    keys: Callable[[float], str | None] | None = None,
) -> Signature | str:
    """Block until `path` exists with a signature other than `last`, and holds still for `settle` s;
    or until one of KEYS is pressed (`keys` waits up to the interval for one), which is returned."""
    while True:
        if keys is None:
            sleep(interval)
        elif (pressed := keys(interval)) in KEYS:
            return pressed  # type: ignore[return-value]
        current = file_signature(path)
        if current is None or current == last:
            continue
        sleep(settle)
        if file_signature(path) == current:
            return current


def watch(
    path: Path,
    run_once: Callable[[], ExitStatus | None],
    *,
    hint: Callable[[], None] | None = None,
    keys: Callable[[float], str | None] | None = None,
    interval: float = 0.2,
    settle: float = 0.1,
    clear: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> ExitStatus | None:
    """Run `run_once` now and after every save of `path`, until q (the last run's status is returned)
    or Ctrl-C (KeyboardInterrupt goes on up).

    `run_once` prints its own report. A user error it raises (a solution with a syntax
    error, say) is shown and watching goes on, so the learner can fix it and save again.
    With `keys` (TerminalKeys.wait), h calls `hint`, c runs again at once and q stops.
    """
    last = file_signature(path)
    status: ExitStatus | None = None
    run = True
    while True:
        if run:
            if clear:
                click.clear()  # does nothing when stdout is not a terminal
            try:
                status = run_once()
            except click.ClickException as exc:
                exc.show()
                status = ExitStatus.USAGE  # the file could not be checked
        click.echo(t("watch.waiting_keys" if keys is not None else "watch.waiting", path=path.name), err=True)
        event = wait_for_change(path, last, interval=interval, settle=settle, sleep=sleep, keys=keys)
        if event == "q":
            return status
        if event == "h":
            if hint is not None:
                hint()
            run = False
            continue
        run = True
        if event != "c":
            last = event  # type: ignore[assignment]
