"""The sandbox: one real child process per property, driven with the solutions in sandbox_gallery/.

Most tests run at the strongest isolation level this machine offers (the default); the ones
about the process level's own mechanisms (the audit hook, the session and environment mark,
the working folder on the host) ask for that level. tests/check/test_isolation.py holds the
properties of each level and the adversarial gallery."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from quiz import processes as spawn
from quiz.check import npyio, sandbox
from quiz.check.isolation import Level
from quiz.check.sandbox import (
    PACKAGE,
    CallError,
    Handle,
    Limits,
    Sandbox,
    SandboxFailure,
    SolutionLoadError,
    caret_detail,
)

GALLERY = Path(__file__).resolve().parents[1] / "sandbox_gallery"
REFERENCES = PACKAGE / "check" / "references.py"
FAST = Limits(timeout=0.5, memory_bytes=1 << 30, output_bytes=1000, max_array_bytes=1 << 20)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")


def _state(pid: int) -> str:
    """A process's state letter from /proc, or 'gone'."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_bytes().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return "gone"


@pytest.fixture(scope="module")
def friendly() -> Iterator[Sandbox]:
    with Sandbox(GALLERY / "friendly.py", FAST) as box:
        yield box


@pytest.fixture
def hostile() -> Iterator[Sandbox]:
    with Sandbox(GALLERY / "hostile.py", FAST) as box:
        yield box


@pytest.fixture(scope="module")
def snooping() -> Iterator[Sandbox]:
    with Sandbox(GALLERY / "snooping.py", FAST, Level.PROCESS) as box:
        yield box


# ----- wire format


@pytest.mark.parametrize(
    "array",
    [np.zeros((1, 1, 64)), np.arange(5, dtype=np.float32), np.array(3), np.zeros((0, 3), dtype=bool),
     np.ones((1,) * 32)],
    ids=["float64-3d", "float32-1d", "int64-0d", "bool-empty", "32-dims"],
)
def test_npy_header_is_the_one_numpy_writes_and_parses_back(array: np.ndarray) -> None:
    saved = io.BytesIO()
    np.save(saved, array, allow_pickle=False)
    header = npyio.npy_header(array.dtype.str, array.shape)
    assert saved.getvalue().startswith(header)
    length = npyio.header_length(header[:npyio.PREAMBLE])
    assert npyio.parse_npy_header(header[npyio.PREAMBLE:npyio.PREAMBLE + length]) == (
        array.dtype.str, array.shape, array.nbytes)


def _numpy_header(array: np.ndarray) -> bytes:
    saved = io.BytesIO()
    np.lib.format.write_array(saved, array, allow_pickle=True)
    raw = saved.getvalue()
    return raw[npyio.PREAMBLE:npyio.PREAMBLE + npyio.header_length(raw[:npyio.PREAMBLE])]


@pytest.mark.parametrize(
    "header",
    [
        _numpy_header(np.array([1, None], dtype=object)),
        _numpy_header(np.zeros(2, dtype=np.complex128)),
        _numpy_header(np.zeros(2, dtype=">f8")),
        _numpy_header(np.zeros(2, dtype=np.int32)),
        _numpy_header(np.asfortranarray(np.zeros((2, 3)))),
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\n",
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': __import__('os'), }\n",
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }\n" % ", ".join(["1"] * 33)).encode(),
    ],
    ids=["object", "complex", "big-endian", "int32", "fortran", "negative", "extra-key", "33-dims"],
)
def test_npy_header_outside_the_allow_list_is_rejected(header: bytes) -> None:
    with pytest.raises(npyio.WireError):
        npyio.parse_npy_header(header)


@pytest.mark.parametrize("preamble", [b"\x93NUMPY\x02\x00\x10\x00", b"\x93NUMPX\x01\x00\x10\x00",
                                      b"\x93NUMPY\x01\x00\xff\xff"], ids=["version-2", "magic", "too-long"])
def test_npy_preamble_is_checked(preamble: bytes) -> None:
    with pytest.raises(npyio.WireError):
        npyio.header_length(preamble)


# ----- loading


@pytest.mark.parametrize(
    ("name", "message", "detail"),
    [
        ("syntax_error.py", "syntax_error.py:4:37: SyntaxError: '(' was never closed",
         "    return np.exp(x) / np.exp(x).sum(\n" + " " * 36 + "^"),
        ("tab_error.py", "tab_error.py:3:1: TabError: inconsistent use of tabs and spaces in indentation",
         "\treturn 1\n^"),
        ("raises_at_import.py",
         "raises_at_import.py: loading the solution raised ValueError: cannot reshape array of size 6 into shape (4,4)",
         None),
        ("exits_at_import.py", "exits_at_import.py: the solution ended the process while loading (exit status 0)", ""),
        ("loops_at_import.py", "loops_at_import.py: loading the solution did not finish within 0.5 s", ""),
        ("imports_references.py",
         "imports_references.py: loading the solution raised ImportError: "
         "the sandbox does not allow importing quiz.check.references", None),
        ("not_utf8.py", "not_utf8.py: not UTF-8 text (byte 0xe9 at offset 5); save it as UTF-8", ""),
        ("binary.py", "binary.py: not a Python source file (it contains binary data)", ""),
        ("missing.py", "missing.py: no such file", ""),
        (".", ".: not a regular file", ""),
    ],
    ids=["syntax", "tab", "exception", "exit", "endless-loop", "import-quiz", "not-utf8", "binary", "missing",
         "directory"],
)
def test_a_file_that_cannot_be_loaded_says_why_in_one_line(name: str, message: str, detail: str | None,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GALLERY)
    with pytest.raises(SolutionLoadError) as caught:
        Sandbox(Path(name), FAST).start()
    assert caught.value.message == message
    if detail is not None:
        assert caught.value.detail == detail
    else:  # the solution's own frames, none of the sandbox's
        assert f'File "{name}", line' in caught.value.detail
        assert "_child.py" not in caught.value.detail


@pytest.mark.parametrize(
    ("line", "column", "end", "expected"),
    [("x = (1 +\n", 5, None, "x = (1 +\n    ^"), ("\tf(a b)", 5, 8, "\tf(a b)\n\t   ^^^"), ("", 1, None, "")],
    ids=["single", "tab-and-range", "no-line"],
)
def test_caret_detail(line: str, column: int, end: int | None, expected: str) -> None:
    assert caret_detail(line, column, end) == expected


# ----- values


@pytest.mark.parametrize(
    "value",
    [np.random.default_rng(0).standard_normal((2, 3, 4)), np.arange(6, dtype=np.float32).reshape(2, 3),
     np.array([True, False]), np.arange(-3, 3), np.zeros((0, 4)), np.array(2.5), None, True, 7, -2.5,
     float("inf"), "text", (1, [2.0, np.ones(2)], "x")],
    ids=["float64", "float32", "bool", "int64", "empty", "0d", "none", "bool-scalar", "int", "float", "inf",
         "str", "nested"],
)
def test_values_round_trip_exactly(friendly: Sandbox, value: object) -> None:
    back = friendly.call("echo", value)
    if isinstance(value, np.ndarray):
        assert type(back) is np.ndarray and back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value)
    elif isinstance(value, tuple):
        assert back[0] == 1 and back[1][0] == 2.0 and np.array_equal(back[1][1], np.ones(2)) and back[2] == "x"
        assert type(back) is tuple and type(back[1]) is list
    else:
        assert back == value and type(back) is type(value)


def test_keyword_arguments_numpy_scalars_and_writable_inputs(friendly: Sandbox) -> None:
    args, kwargs = friendly.call("echo", np.int64(1), block_size=64, causal=np.True_)
    assert args == (1,) and kwargs == [("block_size", 64), ("causal", True)]
    assert type(args[0]) is int and type(kwargs[1][1]) is bool
    x = np.arange(3.0)
    assert np.array_equal(friendly.call("double_in_place", x), [0.0, 2.0, 4.0])
    assert np.array_equal(x, [0.0, 1.0, 2.0])  # the parent's array is never shared


@pytest.mark.parametrize(
    ("function", "dtype", "expected"),
    [("numpy_scalar", np.float32, 1.5), ("fortran_array", np.float64, np.arange(6.0).reshape(2, 3)),
     ("big_endian", np.float64, np.arange(4.0))],
    ids=["numpy-scalar", "fortran-order", "big-endian"],
)
def test_arrays_come_back_plain_c_ordered_little_endian(friendly: Sandbox, function: str, dtype: type,
                                                        expected: object) -> None:
    back = friendly.call(function)
    assert type(back) is np.ndarray and back.dtype == dtype and back.flags.c_contiguous
    assert np.array_equal(back, expected)


@pytest.mark.parametrize(
    ("function", "args", "type_name"),
    [("int32_array", (), "numpy.ndarray[int32] of shape (3,)"),
     ("big_array", (1 << 18,), "numpy.ndarray[float64] of shape (262144,) (2097152 bytes, over the size limit)"),
     ("KVCache", (), "solution.KVCache")],
    ids=["int32", "over-size-cap", "instance"],
)
def test_values_that_cannot_cross_stay_in_the_child_as_handles(friendly: Sandbox, function: str, args: tuple,
                                                               type_name: str) -> None:
    handle = friendly.call(function, *args)
    assert isinstance(handle, Handle) and handle.type_name == type_name


def test_handles_methods_len_put_and_discard(friendly: Sandbox) -> None:
    cache = friendly.call("KVCache", max_len=8)
    assert friendly.length(cache) == 0
    k, v = np.ones((1, 2, 3, 4)), np.zeros((1, 2, 3, 4))
    for step in (1, 2):
        keys, values = friendly.call_method(cache, "update", k, v)
        assert keys.shape == values.shape == (1, 2, 3 * step, 4)
    assert friendly.length(cache) == 6 and friendly.call("cache_length", cache) == 6
    stored = friendly.put((np.ones(3), np.full(2, 2.0)))
    assert friendly.call("total", *[friendly.put(np.ones(4))] * 2) == 8.0
    assert friendly.call("echo", stored)[1].tolist() == [2.0, 2.0]
    friendly.discard(stored)
    with pytest.raises(CallError, match="no object with handle"):
        friendly.call("echo", stored)


def test_handles_from_an_earlier_child_are_refused() -> None:
    with Sandbox(GALLERY / "friendly.py", FAST) as box:
        cache = box.call("KVCache")
        box.restart()
        with pytest.raises(ValueError, match="does not belong"):
            box.length(cache)
        assert box.length(box.call("KVCache")) == 0


@pytest.mark.parametrize(
    ("function", "kind"),
    [("subclass", np.ndarray), ("masked", np.ndarray), ("fake_array", Handle), ("object_array", Handle),
     ("always_equal_int", Handle)],
    ids=["ndarray-subclass", "masked-array", "lying-__array__", "object-array", "lying-__eq__"],
)
def test_lying_return_values_come_back_plain_or_as_handles(function: str, kind: type) -> None:
    with Sandbox(GALLERY / "lying.py", FAST) as box:
        back = box.call(function)
    assert type(back) is kind
    if kind is np.ndarray:
        assert back.shape in ((4,), (3,)) and back.dtype == np.float64
        assert not np.array_equal(back, np.zeros(back.shape))  # a plain array compares honestly
    elif function == "object_array":
        assert back.type_name == "numpy.ndarray[object] of shape (3,)"


def test_sending_an_unsupported_argument_is_a_type_error(friendly: Sandbox) -> None:
    with pytest.raises(TypeError, match="object array"):
        friendly.call("echo", np.array([None]))
    with pytest.raises(TypeError, match="set"):
        friendly.call("echo", {1})


# ----- exceptions and output


def test_an_exception_in_the_solution_is_a_call_error_and_the_child_lives_on(friendly: Sandbox) -> None:
    with pytest.raises(CallError) as caught:
        friendly.call("fails", "boom")
    error = caught.value
    assert (error.exc_type, error.message, error.not_implemented) == ("ValueError", "boom", False)
    assert error.traceback.splitlines()[1].endswith("line 40, in fails")
    assert "_child.py" not in error.traceback
    with pytest.raises(CallError) as caught:
        friendly.call("todo", 1)
    assert caught.value.not_implemented
    with pytest.raises(CallError, match="NameError: the solution does not define missing"):
        friendly.call("missing")
    assert friendly.call("echo", 3) == 3


def test_output_is_captured_and_capped() -> None:
    with Sandbox(GALLERY / "friendly.py", FAST) as box:
        assert box.call("chatty", 10) == 10
        assert box.output == "hello from the solution\n" + "x" * 10 + "\n"
    with Sandbox(GALLERY / "friendly.py", FAST) as box:
        box.call("chatty", 5000)
        assert box.output == ("hello from the solution\n" + "x" * 5000)[:1000] + \
            "\n[4025 more bytes of output dropped]"


def test_an_output_flood_is_capped_and_the_call_still_returns(hostile: Sandbox) -> None:
    assert hostile.call("flood", 8 << 20) == "done"
    assert hostile.output.endswith(f"[{(8 << 20) - 1000} more bytes of output dropped]")


# ----- failures


@pytest.mark.parametrize(
    ("function", "args", "kind", "message"),
    [
        ("sleep_forever", (), "timeout", "sleep_forever() did not finish within 0.5 s"),
        ("spin", (), "timeout", "spin() did not finish within 0.5 s"),
        ("flood_forever", (), "timeout", "flood_forever() did not finish within 0.5 s"),
        ("sys_exit_0", (), "exited", "sys_exit_0() ended the process with exit status 0 instead of returning"),
        ("os_exit_0", (), "exited", "os_exit_0() ended the process with exit status 0 instead of returning"),
        ("keyboard_interrupt", (), "crash", "keyboard_interrupt() raised KeyboardInterrupt, which ends the process"),
        ("base_exception", (), "crash", "base_exception() raised Escape, which ends the process"),
        ("segfault", (), "crash", "segfault() crashed the process (SIGSEGV)"),
        ("realtime_signal", (), "crash", "realtime_signal() crashed the process (SIG40)"),
        ("allocate", (4 << 30,), "memory", "allocate() ran out of memory (limit 1 GiB)"),
        ("close_protocol", (1,), "protocol",
         "close_protocol(): the process broke the checker's protocol (it closed a pipe to the checker)"),
        ("garbage_protocol", (), "protocol", "garbage_protocol(): the process broke the checker's protocol "
         "(it sent an invalid message: a reply announcing 4294967295 bytes and 4294967295 arrays)"),
        ("fake_reply", (), "protocol", "fake_reply(): the process broke the checker's protocol "
         "(it sent an invalid message: an array of 74.51 GiB, over the limit)"),
    ],
    ids=["sleep", "endless-loop", "endless-output", "sys.exit(0)", "os._exit(0)", "KeyboardInterrupt",
         "BaseException", "segfault", "realtime-signal", "memory", "close-reply-pipe", "garbage", "huge-array-header"],
)
def test_a_failing_call_is_a_sandbox_failure_and_restart_recovers(hostile: Sandbox, function: str, args: tuple,
                                                                  kind: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxFailure) as caught:
        hostile.call(function, *args)
    assert (caught.value.kind, caught.value.message) == (kind, message)
    assert time.monotonic() - started < 3
    with pytest.raises(SandboxFailure, match="not running"):
        hostile.call("ok")
    hostile.restart()
    assert hostile.call("ok") == 1


def test_closing_the_request_pipe_fails_the_next_call(hostile: Sandbox) -> None:
    assert hostile.call("close_protocol", 0) == "closed"
    with pytest.raises(SandboxFailure) as caught:
        hostile.call("ok")
    assert caught.value.kind == "protocol"


def test_the_cpu_limit_ends_a_busy_loop() -> None:
    with Sandbox(GALLERY / "hostile.py", Limits(timeout=20, cpu_seconds=1)) as box:
        with pytest.raises(SandboxFailure) as caught:
            box.call("spin")
    assert (caught.value.kind, caught.value.message) == ("timeout", "spin() used up the CPU time limit (1 s)")


@pytest.mark.parametrize(("function", "args", "allowed"), [("fork_many", (40,), 16), ("fork_depth", (), 2)],
                         ids=["forks-per-process", "fork-depth"])
def test_forks_are_capped_so_a_fork_bomb_stays_small(hostile: Sandbox, function: str, args: tuple,
                                                     allowed: int) -> None:
    assert hostile.call(function, *args) == allowed


def test_the_file_size_limit_makes_writes_fail(hostile: Sandbox) -> None:
    with pytest.raises(CallError, match=r"\[Errno 27\] File too large"):
        hostile.call("write_file", 2 << 20)


@pytest.mark.parametrize("end", ["close", "timeout"])
def test_a_grandchild_in_a_new_session_is_killed(end: str) -> None:
    box = Sandbox(GALLERY / "hostile.py", FAST, Level.PROCESS)
    with box:
        grandchild = box.call("grandchild")
        assert _state(grandchild) in "SR"
        assert os.getsid(grandchild) not in (os.getsid(0), box._proc.pid)  # it left the child's session
        if end == "timeout":
            with pytest.raises(SandboxFailure):
                box.call("sleep_forever")
            assert _state(grandchild) in ("Z", "gone")
    assert _state(grandchild) in ("Z", "gone")


def test_an_orphan_left_behind_by_an_exiting_child_is_killed() -> None:
    box = Sandbox(GALLERY / "hostile.py", FAST, Level.PROCESS)
    with box:
        with pytest.raises(SandboxFailure) as caught:
            box.call("orphan_then_exit")
        assert caught.value.kind == "exited"
    assert _state(int(box.output)) in ("Z", "gone")


ORPHAN = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        print(os.getpid(), flush=True)
        time.sleep(60)
    os._exit(0)
time.sleep(0.05)
"""


def test_kill_tree_finds_an_orphan_in_its_own_session_by_the_environment_mark() -> None:
    mark = "ATTNQUIZ_SANDBOX=test-mark"
    env = {"PATH": os.environ["PATH"], "ATTNQUIZ_SANDBOX": "test-mark"}
    with subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, env=env) as root:
        orphan = int(root.stdout.readline())
        while _state(root.pid) != "Z":  # root has exited (not reaped yet): nothing links the orphan to it
            time.sleep(0.01)
        assert orphan not in spawn.family(root.pid, set(), None)
        assert orphan in spawn.kill_tree(root.pid, mark.encode())
        spawn.wait_gone({orphan}, 2.0)
        assert _state(orphan) in ("Z", "gone")


@pytest.mark.parametrize(
    "template",
    ['{"seq":SEQ,"ok":{"f":"not a float"}}', '{"seq":SEQ,"ok":{"a":0}}', '{"seq":SEQ,"ok":{"h":"1","type":"x"}}',
     '{"seq":SEQ,"ok":[1,2]}', '{"seq":SEQ,"ok":' + '{"t":[' * 60 + "1" + "]}" * 60 + "}",
     '{"seq":SEQ,"ok":99999999999999999999}', '{"seq":SEQ,"error":"boom"}', '{"seq":SEQ,"error":{"type":1}}',
     '{"seq":SEQ,"fail":"x"}', '{"seq":SEQ}', '[1]', '{"seq":0,"ok":1}', '{"seq":SEQ,"ok":' + "[" * 100000 + "]" * 100000 + "}"],
    ids=["bad-float", "missing-array", "bad-handle", "untagged-list", "too-deep", "huge-int", "error-not-object",
         "error-fields", "fail-not-object", "no-result", "not-object", "out-of-turn", "json-recursion"],
)
def test_a_forged_reply_is_a_protocol_failure(hostile: Sandbox, template: str) -> None:
    with pytest.raises(SandboxFailure) as caught:
        hostile.call("forge", template)
    assert caught.value.kind == "protocol"
    hostile.restart()
    assert hostile.call("ok") == 1


# ----- isolation


def test_the_child_has_its_own_session_folder_and_a_small_environment(snooping: Sandbox) -> None:
    folder, leader = snooping.call("where")
    assert leader and folder != os.getcwd() and Path(folder).name.startswith("attnquiz-sandbox-")
    env = dict(snooping.call("environment"))
    assert set(env) <= {"PATH", "LANG", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
                        "BLIS_NUM_THREADS", "GOTO_NUM_THREADS", "LC_CTYPE", "ATTNQUIZ_SANDBOX"}
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == "1" and env["TMPDIR"] == folder
    assert str(PACKAGE.parent) not in snooping.call("sys_path")


def _child_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_sandbox_child_for_test", sandbox.CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only: main() runs under __main__
    return module


def test_sys_path_loses_an_editable_project_folder_but_keeps_site_packages() -> None:
    child = _child_module()
    site_packages = str(Path(np.__file__).resolve().parents[1])
    path = ["/usr/lib/python3.11", site_packages, "/work/project"]
    assert child.stripped_path(path, "/work/project") == path[:2]  # editable install
    assert child.stripped_path(path, site_packages) == path  # installed from a wheel


def test_the_working_folder_is_removed_on_close() -> None:
    with Sandbox(GALLERY / "snooping.py", FAST, Level.PROCESS) as box:
        folder, _ = box.call("where")
        assert Path(folder).is_dir()
    assert not Path(folder).exists()


@pytest.mark.parametrize(
    ("function", "args", "error"),
    [
        ("import_quiz", (), "ImportError: the sandbox does not allow importing quiz"),
        ("import_after_path", (str(PACKAGE.parent),), "ImportError: the sandbox does not allow importing quiz"),
        ("read_file", (str(REFERENCES),), "PermissionError: the sandbox does not allow open"),
        ("read_relative", (str(PACKAGE.parent), "quiz/check/references.py"), "PermissionError"),
        ("read_through_symlink", (str(REFERENCES),), "PermissionError: the sandbox does not allow os.symlink"),
        ("list_dir", (str(PACKAGE / "check"),), "PermissionError: the sandbox does not allow os.listdir"),
        ("run_program", (str(REFERENCES),), "PermissionError: the sandbox does not allow subprocess.Popen"),
        ("kill_parent", (), "PermissionError: the sandbox does not allow os.kill outside its own processes"),
        ("kill_everything", (), "PermissionError: the sandbox does not allow os.kill outside its own processes"),
        ("raise_limit", (), "PermissionError: the sandbox does not allow resource.setrlimit"),
    ],
    ids=["import-quiz", "import-after-sys.path", "open-reference", "open-relative-to-dir-fd", "symlink",
         "list-package", "run-cat", "signal-parent", "signal-everyone", "raise-rlimit"],
)
def test_the_solution_cannot_reach_the_checker(snooping: Sandbox, function: str, args: tuple, error: str) -> None:
    with pytest.raises(CallError) as caught:
        snooping.call(function, *args)
    assert str(caught.value).startswith(error)


def test_extra_protected_files_are_refused_too(tmp_path: Path) -> None:
    secret = tmp_path / "bank_reference.py"
    secret.write_text("ANSWER = 42\n", encoding="utf-8")
    with Sandbox(GALLERY / "snooping.py", FAST, Level.PROCESS, protected=(secret,)) as box:
        with pytest.raises(CallError, match="PermissionError: the sandbox does not allow open"):
            box.call("read_file", str(secret))
        assert box.call("read_file", str(GALLERY / "snooping.py")).startswith('"""')


def test_files_outside_the_package_stay_readable(snooping: Sandbox) -> None:
    assert snooping.call("read_file", str(GALLERY / "snooping.py")).startswith('"""A solution that tries')


def test_last_call_seconds_is_the_parents_measure_of_the_round_trip(friendly: Sandbox) -> None:
    friendly.call("echo", np.zeros((1, 1, 64)))
    assert 0 < friendly.last_call_seconds < FAST.timeout


def test_steps_runs_the_function_once_per_slice_in_the_childs_own_loop(friendly: Sandbox) -> None:
    x = np.arange(2 * 7 * 3, dtype=np.float64).reshape(2, 7, 3)
    cache = friendly.call("KVCache")
    outputs = friendly.steps("append_step", x, cache, width=2)  # slices of 2, 2, 2 and 1 positions, one request
    assert [o.shape for o in outputs] == [(2, 2, 3), (2, 4, 3), (2, 6, 3), (2, 7, 3)]
    np.testing.assert_array_equal(outputs[-1], x)
    assert friendly.call("cache_length", cache) == 7  # the cache kept in the child saw every step
    with pytest.raises(CallError, match="does not define nothing_here"):
        friendly.steps("nothing_here", x)


def test_steps_outputs_of_one_shape_cross_as_one_array_and_come_back_one_per_step(friendly: Sandbox) -> None:
    x = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
    outputs = friendly.steps("echo", x, width=1)
    assert isinstance(outputs, list) and len(outputs) == 5
    for step, out in enumerate(outputs):
        assert type(out) is np.ndarray and out.dtype == np.float32
        np.testing.assert_array_equal(out, x[:, step:step + 1])


def test_the_harness_says_which_input_arrays_a_call_changed_in_place(friendly: Sandbox) -> None:
    x = np.arange(4.0)
    friendly.call("double_in_place", x)
    assert friendly.last_mutated == [0]
    np.testing.assert_array_equal(x, np.arange(4.0))  # the checker's own array is never touched
    friendly.call("echo", x)
    assert friendly.last_mutated == []
