"""Reference figures shared by a class run: measured once in a trusted child, the same verdicts without one.

Every check here is real (sandboxed children, the hidden references); sandbox start-ups are counted by
wrapping ``Sandbox.start`` in this process, where run_check starts every child of a check.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from quiz.check import sandbox, speed
from quiz.check.figures import ReferenceFigures, measure, references_digest
from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import Status, exercise_status
from tests.check.test_gallery import EXPECTED, GALLERY, assert_expected
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

REFERENCES = (REPO / "quiz" / "check" / "references.py").read_text(encoding="utf-8")
TRUSTED = "reference_solution.py"  # the name of the trusted child's private copy of references.py (runner.py)
THIRD_PARTY = REPO / "tests" / "third_party_gallery"
# gallery files whose verdict is the speed or memory test's (the others stop before them, figures or not)
TIMED = ["fake_cache_recomputes.py", "adv_patches_timers.py", "adv_sleeps_in_reference_path.py", "adv_memoised.py",
         "good_concat_cache.py", "flash_full_matrix.py", "adv_reserves_memory.py", "adv_full_matrix_in_place.py",
         "good_flash_key_tiles.py"]


@pytest.fixture(scope="module")
def figures() -> ReferenceFigures:
    return measure(seed=11)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file each sandbox started (or restarted) with, in order."""
    seen: list[str] = []
    start = sandbox.Sandbox.start

    def counted(self: sandbox.Sandbox) -> None:
        seen.append(self.source.name)
        start(self)

    monkeypatch.setattr(sandbox.Sandbox, "start", counted)
    return seen


def test_figures_describe_what_they_were_measured_on(figures: ReferenceFigures) -> None:
    references = REFERENCES
    assert figures.references_sha256 == references_digest(references)
    assert (figures.steps, figures.d_model, figures.n_heads, figures.dtype) == (256, 256, 2, "float32")
    assert speed.MIN_CHUNK <= figures.chunk <= speed.MAX_CHUNK and len(figures.cache) == speed.MAX_ROUNDS
    assert len(figures.naive.wall) == -(-figures.steps // figures.chunk)
    naive, cache = sum(figures.naive.wall), sum(figures.cache[0].wall)
    assert naive > 3 * cache  # recomputing the prefix costs far more than the reference cache: a real measure
    assert figures.clean_address_space > 50 << 20 and figures.measured_at.tzinfo is not None
    assert figures.mismatch(references, figures.isolation, figures.limits) is None
    again = ReferenceFigures.model_validate_json(figures.dump())
    assert again == figures and again.dump() == figures.dump() and again.digest() == figures.digest()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"naive": {"wall": [0.01], "cpu": None}}, "chunks"),  # one chunk where there are several
        ({"overhead_us": float("nan")}, "overhead_us"),
        ({"chunk": 0}, "chunk"),
        ({"shared": True}, "shared"),  # an unknown key
        ({"measured_at": "2026-01-01T10:00:00"}, "time zone"),
        ({"references_sha256": "x" * 64}, "references_sha256"),
        ({"cache": [{"wall": [0.0] * 8, "cpu": None}] * 3}, "greater than 0"),  # a run that took no time
        ({"cache": [{"wall": [1e-3] * 8, "cpu": [0.0] * 8}] * 3}, "no CPU time"),
    ],
    ids=["chunk-count", "nan", "chunk-zero", "unknown-key", "naive-time", "bad-digest", "no-time", "no-cpu"],
)
def test_figures_that_do_not_hold_together_are_refused(figures: ReferenceFigures, change: dict,
                                                       problem: str) -> None:
    data = {**json.loads(figures.dump()), **change}
    with pytest.raises(ValidationError, match=problem):
        ReferenceFigures.model_validate_json(json.dumps(data))


@pytest.mark.parametrize(
    ("field", "value"),
    [("references_sha256", "0" * 64), ("numpy", "1.0.0"), ("python", "3.0.0"), ("attnquiz", "0.0.1"),
     ("steps", 128), ("chunk", 16)],
)
def test_figures_of_other_code_or_another_setting_do_not_match(figures: ReferenceFigures, field: str,
                                                               value: object) -> None:
    data = json.loads(figures.dump())
    if field in ("steps", "chunk"):  # keep the runs' chunk counts consistent, so only the match refuses them
        steps, chunk = (value, figures.chunk) if field == "steps" else (figures.steps, value)
        runs = [{"wall": [1e-3] * -(-steps // chunk), "cpu": None}]
        data.update(naive=runs[0], cache=runs * speed.ROUNDS)
    data[field] = value
    other = ReferenceFigures.model_validate(data)
    reason = other.mismatch(REFERENCES, figures.isolation, figures.limits)
    assert reason is not None and field in reason
    assert figures.mismatch(REFERENCES, "process" if figures.isolation != "process" else "strict",
                            figures.limits) is not None
    assert figures.mismatch(REFERENCES, figures.isolation, "rlimits" if figures.limits == "cgroup" else "cgroup")
    assert figures.mismatch(REFERENCES + "\n", figures.isolation, figures.limits) is not None  # another text


@pytest.mark.slow
def test_matching_figures_start_no_trusted_child_and_others_are_ignored(figures: ReferenceFigures,
                                                                        starts: list[str]) -> None:
    options = CheckOptions(seed=4, exercises=("decode_step", "flash_attention"), isolation=figures.isolation,
                           figures=figures)
    shared = run_check(REPO / "solutions" / "attention.py", options)
    assert shared.passed and TRUSTED not in starts, starts
    assert shared.reference is not None and shared.reference.used and shared.reference.sha256 == figures.digest()
    timed = next(v for v in shared.tests if v.test == "speed")
    assert timed.speed is not None and timed.speed.shared_at == figures.shown_at
    assert timed.speed.chunk == figures.chunk and speed.ROUNDS <= timed.speed.pairs <= speed.MAX_ROUNDS
    assert timed.speed.naive_seconds == pytest.approx(_total(figures, timed.speed.cpu))
    assert timed.speed.round_trip_ratio is not None and timed.speed.round_trip_ratio > 0
    starts.clear()
    stale = figures.model_copy(update={"numpy": "1.0.0"})  # measured with another NumPy: not this check's
    own = run_check(REPO / "solutions" / "attention.py", CheckOptions(
        seed=4, exercises=("decode_step", "flash_attention"), isolation=figures.isolation, figures=stale))
    assert own.passed and starts.count(TRUSTED) == 1, starts  # the check measured the reference itself
    assert own.reference is not None and not own.reference.used and "numpy" in own.reference.reason
    timed = next(v for v in own.tests if v.test == "speed")
    assert timed.speed is not None and timed.speed.shared_at is None and timed.speed.round_trip_ratio is None


def _total(figures: ReferenceFigures, cpu: bool) -> float:
    return sum(figures.naive.cpu if cpu else figures.naive.wall)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("name", TIMED, ids=TIMED)
def test_a_gallery_file_gets_the_same_verdict_with_shared_figures(name: str, figures: ReferenceFigures,
                                                                   starts: list[str]) -> None:
    entry = EXPECTED[name]
    options = CheckOptions(seed=entry.get("seed", 7), timeout=entry.get("timeout", 10.0),
                           exercises=tuple(entry["exercises"]), isolation=figures.isolation, figures=figures)
    result = run_check(GALLERY / name, options)
    assert_expected(result, entry)  # the verdict expected.yaml gives it, established without figures
    assert TRUSTED not in starts, starts
    assert result.reference is not None and result.reference.used


@pytest.mark.slow
def test_a_slower_real_cache_passes_with_shared_figures(figures: ReferenceFigures, starts: list[str]) -> None:
    """LLMs-from-scratch's cache: several times the reference's time per step, no recomputation (bench_check)."""
    expected = yaml.safe_load((THIRD_PARTY / "expected.yaml").read_text(encoding="utf-8"))["rasbt_fixed_decode.py"]
    result = run_check(THIRD_PARTY / "rasbt_fixed_decode.py", CheckOptions(
        seed=7, exercises=("decode_step",), isolation=figures.isolation, figures=figures))
    assert exercise_status(result.for_exercise("decode_step")) is Status(expected["decode_step"]["status"])
    assert TRUSTED not in starts


SLOWER_THAN_RECOMPUTING = '''

_recomputes = decode_step


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    prefix = np.concatenate(cache.xs + [x], axis=1)  # (B, t, D)
    for _ in range(3):  # all of attention over the prefix, three times: dearer than recomputing it once
        q, k, v = (_heads(prefix @ w, n_heads) for w in (w_q, w_k, w_v))
        _attend(q, k, v, causal_mask(prefix.shape[1]))
    return _recomputes(x, cache, w_q, w_k, w_v, w_o, n_heads)
'''  # appended to the gallery's fake_cache_recomputes.py


@pytest.mark.slow
def test_a_cache_slower_than_recomputing_stops_early_with_shared_figures(tmp_path: Path, figures: ReferenceFigures,
                                                                          starts: list[str]) -> None:
    path = tmp_path / "slow.py"
    path.write_text((GALLERY / "fake_cache_recomputes.py").read_text(encoding="utf-8") + SLOWER_THAN_RECOMPUTING,
                    encoding="utf-8")
    verdicts = {}
    for given in (figures, None):
        result = run_check(path, CheckOptions(seed=2, exercises=("decode_step",), isolation=figures.isolation,
                                              figures=given))
        verdicts[given is not None] = next(v for v in result.tests if v.test == "speed")
    for timed in verdicts.values():
        assert timed.status is Status.FAILED and timed.diagnosis == "recomputes_prefix", timed.message
        assert "slower than recomputing" in timed.message, timed.message
    assert starts.count(TRUSTED) == 1  # only the check without figures measured the reference


@pytest.mark.slow
def test_the_json_report_says_the_figures_were_shared(figures: ReferenceFigures) -> None:
    argv = [*ATTNQUIZ, "check", "--no-record", "--format", "json", "--seed", "5", "--isolation", figures.isolation,
            "--exercise", "decode_step", "--exercise", "flash_attention", "--reference-figures", figures.dump(),
            str(REPO / "solutions" / "attention.py")]
    proc = subprocess.run(argv, capture_output=True, text=True, env=subprocess_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["reference_figures"] == {"measured_at": figures.shown_at, "used": True, "reason": "",
                                           "sha256": figures.digest()}
    timed = next(t for e in report["exercises"] for t in e["tests"] if t["name"] == "speed")
    assert timed["speed"]["reference_measured_at"] == figures.shown_at and timed["speed"]["chunk"] == figures.chunk
    table = subprocess.run(["table" if arg == "json" else arg for arg in argv], capture_output=True, text=True, env=subprocess_env(),
                           timeout=300)
    assert "timed once for the whole class run" in table.stdout, table.stdout


def test_figures_that_are_not_figures_are_a_usage_error_in_one_line() -> None:
    proc = subprocess.run([*ATTNQUIZ, "check", "--reference-figures", '{"format": 1}',
                           str(REPO / "solutions" / "attention.py")],
                          capture_output=True, text=True, env=subprocess_env(), timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not reference figures" in proc.stderr, proc.stderr
    assert "--reference-figures" not in subprocess.run([*ATTNQUIZ, "check", "--help"], capture_output=True,
                                                        text=True, env=subprocess_env(), timeout=60).stdout
