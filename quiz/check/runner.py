"""run_check: check one solution file and return what was found, without printing anything.

The line the check follows: the solution file is loaded into a sandboxed child process
(``sandbox.py``); each test of each exercise (an ``Exercise`` of the registry it is given:
``unit.py``, ``exercises/``, ``registry.py``) sends it fresh inputs and compares the answer,
here, with the hidden references; the result is a list of verdicts (``verdicts.py``) that
``report.py`` renders. The command and the quiz both call ``run_check``.
"""

from __future__ import annotations

import secrets
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz.check import CALL_TIMEOUT, ISOLATION
from quiz.check.verdicts import CheckResult, LoadProblem, ReferenceUse, Status, Stopped, Verdict
from quiz.i18n import current_language, t

if TYPE_CHECKING:
    from quiz.check.catalog import Tolerance
    from quiz.check.figures import ReferenceFigures
    from quiz.check.registry import Registry
    from quiz.check.sandbox import Sandbox
    from quiz.check.unit import Exercise

RESTARTS = 1  # restarts of the solution's child after a crash or timeout that still run the rest of an exercise


@dataclass(frozen=True)
class CheckOptions:
    seed: int | None = None  # None: a fresh seed from the OS, reported so the run can be repeated
    timeout: float = CALL_TIMEOUT  # wall-clock seconds for one call of the solution
    isolation: str = ISOLATION  # auto | strict | process (quiz/check/isolation.py)
    exercises: tuple[str, ...] = ()  # exercise ids to run; empty: all of them (with banks: the ones they name)
    require_all: bool = False  # passing needs every exercise attempted, not only the attempted ones passed
    helpers: bool = True  # send the helper modules the solution imports from its folder (quiz.check.helpers)
    figures: ReferenceFigures | None = None  # the trusted reference's figures, shared by a class run (quiz.check.figures):
    # used when they match this check (then no trusted child starts), else ignored


def open_sandbox(stack: ExitStack, source: Path, level: Any, protected: tuple[Path, ...] = (),
                 helpers: bool = False, **limits: Any) -> Sandbox:
    """Start a child with `source` (and, with `helpers`, the modules it imports from its folder) loaded at
    isolation `level`; closed when `stack` closes. Raises SolutionLoadError."""
    from quiz.check.sandbox import Limits, Sandbox

    return stack.enter_context(Sandbox(source, Limits(**limits), level, protected, helpers=helpers))


class TrustedChild:
    """The trusted references' own sandbox, started when a test first calls this object (the speed and
    memory tests), from a private copy of references.py read before any solution code ran; and that
    child's address space before it ran anything (the memory test's baseline: the speed test makes it grow)."""

    def __init__(self, stack: ExitStack, text: str, level: Any, timeout: float) -> None:
        self._stack, self._text, self._level, self._timeout = stack, text, level, timeout
        self._box: Sandbox | None = None
        self.clean_address_space: int | None = None

    def __call__(self) -> Sandbox:
        if self._box is None:
            folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="attnquiz-ref-")))
            copy = folder / "reference_solution.py"
            copy.write_text(self._text, encoding="utf-8")
            from quiz.check.memory import WARM_BLAS

            self._box = open_sandbox(self._stack, copy, self._level, timeout=self._timeout, warm_blas=WARM_BLAS)
            self.clean_address_space = self._box.call("address_space_bytes")
        return self._box


def run_check(path: str | Path, options: CheckOptions = CheckOptions(), registry: Registry | None = None) -> CheckResult:
    """Check the solution at `path` on the exercises of `registry` (default: the built-in ones); a file
    that cannot be loaded gives a result with `load_error` set."""
    from quiz.check import cgroups, isolation, references
    from quiz.check.registry import builtin
    from quiz.check.sandbox import SolutionLoadError
    from quiz.errors import AttnquizError

    started = time.perf_counter()
    try:
        level = isolation.choose(options.isolation)
    except isolation.IsolationUnavailable as exc:
        raise AttnquizError(str(exc)) from None
    preload()
    registry = builtin() if registry is None else registry
    chosen = registry.select(options.exercises or registry.named)
    seed = secrets.randbits(32) if options.seed is None else options.seed
    result = CheckResult(solution=str(path), seed=seed, specs={exercise.id: exercise.spec for exercise in chosen},
                         isolation=level.value, require_all=options.require_all)
    # The trusted reference is read now, before any solution code runs, and loaded from a private copy.
    trusted_text = Path(references.__file__).read_text(encoding="utf-8")
    result.limits = cgroups.support().limits  # what the sandbox will get; its own account follows
    with ExitStack() as stack:
        try:
            sandbox = open_sandbox(stack, Path(path), level, registry.protected(), helpers=options.helpers,
                                   timeout=options.timeout)
            result.limits = sandbox.bounded_by
        except SolutionLoadError as exc:
            result.load_error = LoadProblem(exc.message, exc.detail)
            result.seconds = time.perf_counter() - started
            return result
        trusted = TrustedChild(stack, trusted_text, level, options.timeout)
        figures = None
        if options.figures is not None:
            reason = options.figures.mismatch(trusted_text, level.value, sandbox.bounded_by)
            figures = options.figures if reason is None else None
            result.reference = ReferenceUse(options.figures.shown_at, reason is None, reason or "",
                                            options.figures.digest())
        exercise, since = None, time.perf_counter()
        try:
            for exercise in chosen:
                tolerance = {**registry.tolerance, **exercise.tolerance}
                since = time.perf_counter()
                for verdict in run_exercise(exercise, sandbox, seed, Path(path), options.timeout, trusted, tolerance,
                                            registry.protected(), figures):
                    result.tests.append(verdict)
                    since = time.perf_counter()
        except KeyboardInterrupt:  # keep the tests that finished; the caller shows them, then stops
            result.interrupted = True
            if exercise is not None:  # the tests run in order: the first one without a verdict was running
                done = {verdict.test for verdict in result.for_exercise(exercise.id)}
                running = next((test.id for test in exercise.spec.tests if test.id not in done), None)
                if running is not None:
                    result.stopped = Stopped(exercise.id, running, time.perf_counter() - since)
        result.output = sandbox.output
    result.seconds = time.perf_counter() - started
    return result


def preload() -> None:
    """Import every module the check and its report need, before the first sandbox starts.

    At the process and uid levels a solution may be able to write where Python looks for
    modules (a forged .pyc, a file dropped into a writable site-packages); a module imported
    before any solution code ran cannot be replaced that way. (At the strict level nothing the
    checker reads is writable from the sandbox at all.)
    """
    import json  # noqa: F401

    import rich.cells  # noqa: F401
    import rich.console  # noqa: F401
    import rich.markup  # noqa: F401
    import rich.table  # noqa: F401
    import rich.text  # noqa: F401

    from quiz.check import helpers, memory, report, speed, unit  # noqa: F401


def rng_for(seed: int, exercise: str, test: str) -> Any:
    """Each test's own generator: the same seed gives the same inputs, whichever exercises run."""
    import numpy as np

    return np.random.default_rng([seed, zlib.crc32(exercise.encode()), zlib.crc32(test.encode())])


def run_exercise(exercise: Exercise, sandbox: Sandbox, seed: int, source: Path, timeout: float,
                 trusted: Callable[[], Sandbox], tolerance: Mapping[str, Tolerance],
                 protected: tuple[Path, ...] = (), figures: ReferenceFigures | None = None) -> Iterator[Verdict]:
    """Run every test of one exercise, in the spec's order, yielding each verdict as it is found (so a Ctrl-C keeps
    the ones before it). After a crash or timeout the child is restarted and the remaining tests run; a second one
    in the same exercise (at most RESTARTS restarts for the rest of it) skips what is left. `figures`: shared
    reference figures that match this check (the speed and memory tests use them instead of `trusted`)."""
    from quiz.check.sandbox import CallError, SandboxFailure, SolutionLoadError, only_numpy
    from quiz.check.unit import SOFT_MISTAKES, Context, OutOfTime, Wrong

    spec = exercise.spec

    def verdict(test_id: str, status: Status, message: str = "", **fields: Any) -> Verdict:
        test = spec.test(test_id)
        points = test.points if status is Status.PASSED else 0.0
        return Verdict(spec.id, test_id, status, points, test.points, message, **fields)

    if spec.name not in sandbox.info.defined:
        message = t("check.not_defined", name=spec.name)
        yield from (verdict(test.id, Status.NOT_ATTEMPTED, message) for test in spec.tests)
        return
    verdicts: list[Verdict] = []
    blocked = ""  # why the remaining tests are skipped
    failures = 0  # of the solution's process in this exercise
    for test in spec.tests:
        if blocked:
            verdicts.append(verdict(test.id, Status.SKIPPED, blocked))
            yield verdicts[-1]
            continue
        informational = False
        if test.gated and any(v.status is not Status.PASSED for v in verdicts):
            if all(v.status is Status.NOT_IMPLEMENTED for v in verdicts):
                verdicts.append(verdict(test.id, Status.NOT_IMPLEMENTED, t("check.not_implemented")))
                yield verdicts[-1]
                continue
            if not all(v.status is Status.PASSED or v.diagnosis in SOFT_MISTAKES for v in verdicts):
                verdicts.append(verdict(test.id, Status.SKIPPED, t("check.gated")))
                yield verdicts[-1]
                continue
            informational = True  # only a dtype or precision problem so far: the figures are still worth showing
        ctx = Context(exercise, sandbox, rng_for(seed, spec.id, test.id), tolerance, source, timeout, trusted,
                      protected, informational, figures)
        start = time.perf_counter()
        try:
            extra = exercise.tests[test.id](ctx) or {}  # the speed and memory tests return their figures
            found = (verdict(test.id, Status.SKIPPED, t("check.speed_info"), **extra) if informational
                     else verdict(test.id, Status.PASSED, **extra))
        except Wrong as wrong:
            if informational:  # a figure, when there is one; never points
                figures = wrong.speed is not None or wrong.memory is not None
                found = (verdict(test.id, Status.SKIPPED, f"{t('check.speed_info')}; {wrong.message}",
                                 speed=wrong.speed, memory=wrong.memory, diagnosis=wrong.diagnosis) if figures
                         else verdict(test.id, Status.SKIPPED, t("check.gated")))
                verdicts.append(replace(found, seconds=time.perf_counter() - start))
                yield verdicts[-1]
                continue
            found = verdict(test.id, Status.FAILED, wrong.message, mismatch=wrong.mismatch,
                            diagnosis=wrong.diagnosis, speed=wrong.speed, memory=wrong.memory)
        except OutOfTime as late:
            found = verdict(test.id, Status.TIMEOUT, str(late))
        except CallError as exc:
            if exc.not_implemented:
                found = verdict(test.id, Status.NOT_IMPLEMENTED, t("check.not_implemented"))
            else:
                found = verdict(test.id, Status.ERROR, t("check.raised", type=exc.exc_type, message=exc.message)
                                + only_numpy(exc.exc_type, exc.message, source),
                                diagnosis=exercise.from_error(exc.message), detail=exc.traceback)
        except SandboxFailure as failure:
            status = Status.TIMEOUT if failure.kind == "timeout" else Status.ERROR
            found = verdict(test.id, status, failure.message)
            failures += 1
            if failures > RESTARTS:
                blocked = t("check.blocked", test=test.label(current_language()), failures=failures)
            try:
                sandbox.restart()  # for the rest of this exercise, or else for the next one
            except (SandboxFailure, SolutionLoadError) as again:
                blocked = t("check.no_restart", message=getattr(again, "message", str(again)))
        verdicts.append(replace(found, seconds=time.perf_counter() - start))
        yield verdicts[-1]
