"""The sandbox child: run as ``python -I _child.py REQUEST_FD REPLY_FD [SITE]`` by quiz/check/sandbox.py.

It must not import the quiz package. It loads the wire format (``npyio.py``, next to this
file) by path (and NumPy from SITE, when given: inside a strict sandbox Python runs with
``-S`` and NumPy is bound there alone), then reads the first request: the limits, the uid to
become, the directories to keep the solution out of, and the solution's source text (the
parent read the file; this process never opens it). It sets the resource limits, drops to its
own uid when told (root inside a strict sandbox keeps CAP_SETUID and CAP_SETGID only for
this), sets no_new_privs, loads the checker's seccomp filter (``seccomp.py``), strips the package from ``sys.path``, installs an audit hook (see
``Guard``), replies "ready", then executes the source in a fresh module and replies with
the names it defines, or with why it could not. After that it answers requests one at a time:
call a function, call a method of an object it keeps, take ``len`` of one, store or drop a
value, or run a function over the positions of its first argument a few at a time in this
harness's own loop (``steps``: the speed test times many decoding steps in one request, so
the round trip is not what it measures). Objects that cannot cross the pipe (class instances, arrays of other dtypes, ...) stay
here in a table; the parent gets their id.

Nothing this process sends is trusted by the parent: the solution runs here and can rewrite
any of this code.
"""

from __future__ import annotations

import os
import sys

SEND_AT_ONCE = 1 << 16  # frames smaller than this go out in one write
MAX_ITEMS = 100_000  # longest tuple or list sent back
MAX_DEPTH = 32  # deepest nesting sent back
MAX_STR = 1 << 20  # longest string sent back
PR_SET_CHILD_SUBREAPER = 36  # prctl: orphaned descendants are re-parented to this process
PR_SET_NO_NEW_PRIVS = 38  # prctl: no exec can ever gain privileges again
PR_SET_DUMPABLE = 4  # prctl: whether /proc/self belongs to this process's uid (a uid switch clears it)
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2  # prctl: load a seccomp BPF filter


def _load_wire():
    """npyio.py from this file's folder, as a standalone module (not as part of the quiz package)."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("_attnquiz_wire", os.path.join(here, "npyio.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = _load_wire()
if len(sys.argv) > 3:
    sys.path.append(sys.argv[3])  # NumPy's folder inside a strict sandbox
import numpy as np  # noqa: E402 - after the wire format, before any limit or hook


class Channel:
    """Frames in from the parent, frames out to it."""

    def __init__(self, request_fd: int, reply_fd: int) -> None:
        self.inbox = os.fdopen(request_fd, "rb", buffering=SEND_AT_ONCE)
        self.reply_fd = reply_fd

    def _read(self, n: int) -> bytes:
        data = self.inbox.read(n)
        if data is None or len(data) != n:
            raise EOFError("the checker closed the pipe")
        return data

    def receive(self) -> tuple[dict, list]:
        size, count = wire.FRAME.unpack(self._read(wire.FRAME.size))
        import json

        envelope = json.loads(self._read(size))
        arrays = []
        for _ in range(count):
            (length,) = wire.PAYLOAD.unpack(self._read(wire.PAYLOAD.size))
            preamble = self._read(wire.PREAMBLE)
            header = self._read(wire.header_length(preamble))
            descr, shape, nbytes = wire.parse_npy_header(header)
            data = bytearray(nbytes)  # a writable buffer: solutions may modify their inputs in place
            if nbytes and self.inbox.readinto(data) != nbytes:
                raise EOFError("the checker closed the pipe")
            arrays.append(np.frombuffer(data, dtype=wire.DTYPES[descr][0]).reshape(shape))
        return envelope, arrays

    def send(self, envelope: dict, arrays: list) -> None:
        import json

        text = json.dumps(envelope, separators=(",", ":")).encode()
        payloads = [(array.dtype.str, array.shape, memoryview(array.reshape(-1).view(np.uint8))) for array in arrays]
        parts, _ = wire.frame(text, payloads, SEND_AT_ONCE)
        for part in parts:
            view = memoryview(part)
            while view:
                view = view[os.write(self.reply_fd, view):]


class Objects:
    """The values that stay in the child, by id: class instances, stored arrays."""

    def __init__(self) -> None:
        self.by_id: dict[int, object] = {}
        self.ids: dict[int, int] = {}  # id(obj) -> handle id; the table keeps obj alive
        self.next_id = 1

    def keep(self, obj: object, kind: str) -> dict:
        handle = self.ids.get(id(obj))
        if handle is None:
            handle, self.next_id = self.next_id, self.next_id + 1
            self.by_id[handle], self.ids[id(obj)] = obj, handle
        return {"h": handle, "type": kind[:200]}

    def get(self, handle: int) -> object:
        if handle not in self.by_id:
            raise LookupError(f"no object with handle {handle} in the sandbox")
        return self.by_id[handle]

    def drop(self, handle: int) -> None:
        obj = self.by_id.pop(handle, None)
        if obj is not None:
            del self.ids[id(obj)]


def type_name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__qualname__


class Encoder:
    """A value the solution returned -> JSON envelope + arrays; anything else is kept and named."""

    def __init__(self, objects: Objects, max_array_bytes: int) -> None:
        self.objects = objects
        self.max_array_bytes = max_array_bytes

    def __call__(self, value: object) -> tuple[object, list]:
        arrays: list = []
        return self._encode(value, arrays, 0), arrays

    def _encode(self, value: object, arrays: list, depth: int) -> object:
        kind = type(value)  # exact types: a subclass of int or str with a lying __eq__ stays here
        if value is None or kind is bool or kind is str and len(value) <= MAX_STR:
            return value
        if kind is int and value.bit_length() < 64:
            return value
        if kind is float:
            return {"f": value.hex()}
        if kind in (tuple, list) and len(value) <= MAX_ITEMS and depth < MAX_DEPTH:
            return {"t" if kind is tuple else "l": [self._encode(item, arrays, depth + 1) for item in value]}
        if issubclass(kind, (np.ndarray, np.generic)):
            array = self._plain_array(value)
            if isinstance(array, str):
                return self.objects.keep(value, array)
            arrays.append(array)
            return {"a": len(arrays) - 1}
        return self.objects.keep(value, type_name(value))

    def _plain_array(self, value: object) -> np.ndarray | str:
        """A C-ordered base-class ndarray with an allowed dtype, or why there is none."""
        if issubclass(type(value), np.generic):
            value = np.array(value)
        array = np.ndarray.view(value, np.ndarray)  # the data, without the subclass's methods
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if dtype.str not in wire.DTYPES:
            return f"numpy.ndarray[{array.dtype}] of shape {array.shape}"
        if array.size * array.itemsize > self.max_array_bytes:
            size = array.size * array.itemsize
            return f"numpy.ndarray[{array.dtype}] of shape {array.shape} ({size} bytes, over the size limit)"
        return np.asarray(array, dtype=dtype, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)


def decode(value: object, arrays: list, objects: Objects) -> object:
    """A value from the parent's envelope (trusted) -> the Python object."""
    if not isinstance(value, dict):
        return value
    if "a" in value:
        return arrays[value["a"]]
    if "f" in value:
        return float.fromhex(value["f"])
    if "h" in value:
        return objects.get(value["h"])
    items = [decode(item, arrays, objects) for item in value.get("t", value.get("l", []))]
    return tuple(items) if "t" in value else items


class Guard:
    """The audit hook: a tripwire against the obvious ways to reach the checker, not a wall.

    It refuses importing the quiz package; opening, listing, linking or changing anything
    inside the protected folders; starting programs; changing resource limits; loading or
    looking up C functions with ctypes; signals to processes outside this session; and more
    than MAX_FORKS forks per process or forks more than MAX_FORK_DEPTH levels down (so a fork
    bomb stops at 1 + 16 + 16 * 16 processes). Code can still get around it (ctypes.memmove
    on live objects, /proc/self/mem, ...).
    """

    MAX_FORKS = 16
    MAX_FORK_DEPTH = 2

    PATH_ARGS = {  # event -> positions of its path arguments
        "open": (0,), "os.listdir": (0,), "os.scandir": (0,), "os.remove": (0,), "os.rmdir": (0,),
        "os.mkdir": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "os.truncate": (0,),
        "os.chflags": (0,), "os.setxattr": (0,), "os.removexattr": (0,), "os.listxattr": (0,),
        "os.getxattr": (0,), "os.rename": (0, 1), "os.link": (0, 1), "os.symlink": (0, 1),
    }
    REFUSED = frozenset({
        "os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "pty.spawn",
        "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "resource.setrlimit",
        "sys.remote_exec",
    })

    def __init__(self, protected: list[str], package: str) -> None:
        self.protected = tuple(os.path.realpath(path) for path in protected)
        self.package = package  # top-level package name the solution may not import
        self.session = os.getsid(0)
        self.forks = self.depth = 0
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        self.forks, self.depth = 0, self.depth + 1

    def inside(self, path: object) -> bool:
        if path is None:
            path = "."
        if not isinstance(path, (str, bytes)):
            return False  # an already open descriptor
        path = os.fsdecode(path)
        if self.within(os.path.realpath(path)):
            return True
        if os.path.isabs(path):
            return False
        # A path relative to a directory descriptor (os.open(..., dir_fd=...)): the hook never sees
        # the directory, so refuse a relative path that names a protected folder on its way.
        parts = [part for part in path.split(os.sep) if part not in ("", ".")]
        for top in self.protected:
            name = os.path.basename(top)
            if name in parts:
                tail = parts[parts.index(name):]
                if self.within(os.path.realpath(os.path.join(os.path.dirname(top), *tail))):
                    return True
        return False

    def within(self, real: str) -> bool:
        return any(real == top or real.startswith(top + os.sep) for top in self.protected)

    def __call__(self, event: str, args: tuple) -> None:
        positions = self.PATH_ARGS.get(event)
        if positions is not None:
            for i in positions:
                if self.inside(self._target(event, args, i)):
                    raise PermissionError(f"the sandbox does not allow {event} on {args[i]!r}")
        elif event == "import":
            name = args[0]
            if name == self.package or name.startswith(self.package + "."):
                raise ImportError(f"the sandbox does not allow importing {name}")
        elif event in self.REFUSED or event == "resource.prlimit" and args[2] is not None:
            raise PermissionError(f"the sandbox does not allow {event}")
        elif event in ("os.kill", "os.killpg"):
            self._check_signal(event, args[0])
        elif event in ("os.fork", "os.forkpty"):
            if self.forks >= self.MAX_FORKS or self.depth >= self.MAX_FORK_DEPTH:
                raise PermissionError(f"the sandbox allows {self.MAX_FORKS} forks per process, "
                                      f"{self.MAX_FORK_DEPTH} levels deep")
            self.forks += 1

    @staticmethod
    def _target(event: str, args: tuple, i: int) -> object:
        if event == "os.symlink" and i == 0 and isinstance(args[0], (str, bytes)):  # where the new link points
            return os.path.join(os.path.dirname(os.fsdecode(args[1])), os.fsdecode(args[0]))
        return args[i]

    def _check_signal(self, event: str, target: int) -> None:
        if event == "os.killpg" or target <= 0:
            group = -target if target < 0 else target
            allowed = target == 0 or group == os.getpgrp()
        else:
            try:
                allowed = os.getsid(target) == self.session
            except OSError:
                allowed = True  # no such process: the call fails by itself
        if not allowed:
            raise PermissionError(f"the sandbox does not allow {event} outside its own processes")


def warm_blas(shape: list[int] | None) -> None:
    """Run the products a tiled flash attention runs, (L, d) @ (d, block) and (L, block) @ (block, d),
    in float32 and float64, before any limit: BLAS maps its work buffers (OpenBLAS some 32 MiB, the
    first time a product has more than ~128 rows) now, outside what the memory test measures and
    allows. Both of that test's children do it (the trusted one, whose address space is the
    baseline, and the solution's), so a correct key-tiled solution that multiplies all queries at
    once is not taken for one that builds the L x L matrix, and a solution that does build it meets
    MemoryError at its own allocation, not BLAS failing to map its buffer afterwards."""
    if not shape:
        return
    length, head_dim, block = shape
    for dtype in (np.float32, np.float64):
        scores = np.ones((length, head_dim), dtype=dtype) @ np.ones((head_dim, block), dtype=dtype)  # (L, block)
        scores @ np.ones((block, head_dim), dtype=dtype)  # (L, d)


def set_limits(limits: dict) -> None:
    import resource

    def cap(which: int, soft: int, hard: int | None = None) -> None:
        old_soft, old_hard = resource.getrlimit(which)
        hard = soft if hard is None else hard
        if old_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))

    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_FSIZE, limits["file_bytes"])
    # SIGXCPU at the soft limit (it may be caught), SIGKILL a second later (it may not)
    cap(resource.RLIMIT_CPU, limits["cpu_seconds"], limits["cpu_seconds"] + 1)
    if limits["memory_bytes"] is not None and hasattr(resource, "RLIMIT_AS"):
        cap(resource.RLIMIT_AS, limits["memory_bytes"])
    if limits.get("processes") is not None and hasattr(resource, "RLIMIT_NPROC"):
        cap(resource.RLIMIT_NPROC, limits["processes"])  # counts the processes of this uid: ours alone


def become(uid: int) -> None:
    """Switch to an unprivileged uid (and gid) of our own: every capability goes with the switch."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid):
        raise OSError("could not drop privileges")
    _prctl(PR_SET_DUMPABLE, 1)  # /proc/self is the new uid's again (only the sandbox's own processes share it)


def _prctl(option: int, value: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")


def no_new_privileges() -> None:
    """prctl(PR_SET_NO_NEW_PRIVS): no setuid program or file capability can raise this process again."""
    if sys.platform.startswith("linux"):
        _prctl(PR_SET_NO_NEW_PRIVS, 1)


def load_filter(program: str | None) -> bool:
    """Load the checker's seccomp filter (a BPF program, hex) into this process and all it will start;
    whether the kernel took it. Needs no_new_privs first; it can never be removed afterwards."""
    if not program or not sys.platform.startswith("linux"):
        return False
    import ctypes

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    code = bytes.fromhex(program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = SockFprog(len(code) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def become_subreaper() -> None:
    """Orphaned grandchildren (a double fork) are re-parented here, so the parent finds them."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def stripped_path(path: list[str], package_parent: str) -> list[str]:
    """sys.path without the folder the quiz package is imported from, when only quiz needs it there.

    An editable install puts the project folder on sys.path: that entry goes. From a wheel the
    package sits in site-packages next to NumPy: that entry stays (the audit hook still refuses
    ``import quiz``).
    """
    real = os.path.realpath(package_parent)
    shared = {os.path.realpath(os.path.dirname(os.path.dirname(np.__file__)))}
    if real in shared:
        return list(path)
    return [entry for entry in path if os.path.realpath(entry or ".") != real]


HELPER_FILES: set[str] = set()  # the helper modules' file names: their frames are the solution's own


class Helpers:
    """Imports the solution's helper modules from the source texts the parent sent (never from a file).

    Appended to sys.meta_path, so it is asked last: an installed package of the same name wins."""

    def __init__(self, helpers: list) -> None:
        self.modules = {helper["name"]: helper for helper in helpers}

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        import importlib.util

        helper = self.modules.get(name)
        if helper is None:
            return None
        return importlib.util.spec_from_loader(name, self, origin=helper["filename"], is_package=helper["package"])

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: object) -> None:
        import linecache

        helper = self.modules[module.__name__]
        filename, source = helper["filename"], helper["source"]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        module.__file__ = filename
        exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)


def load(config: dict) -> tuple[dict, dict]:
    """Execute the solution's source; its namespace and the reply that says how it went."""
    import linecache
    import types

    if config.get("helpers"):
        sys.meta_path.append(Helpers(config["helpers"]))
        HELPER_FILES.update(helper["filename"] for helper in config["helpers"])

    filename, source = config["filename"], config["source"]
    module = types.ModuleType("solution")
    module.__file__ = config["path"]
    sys.modules["solution"] = module
    sys.argv = [config["path"]]
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return {}, {"load_error": {
            "kind": "syntax", "type": type(exc).__name__, "message": str(exc.msg),
            "line": exc.lineno, "column": exc.offset, "end_line": exc.end_lineno,
            "end_column": exc.end_offset, "text": exc.text,
        }}
    except ValueError as exc:  # null bytes
        return {}, {"load_error": {"kind": "binary", "message": str(exc)}}
    try:
        exec(code, module.__dict__)
    except MemoryError:
        return {}, {"load_error": {"kind": "memory"}}
    except SystemExit as exc:
        return {}, {"load_error": {"kind": "exit", "code": exit_code(exc)}}
    except BaseException as exc:  # noqa: BLE001 - anything the solution raises is reported
        return {}, {"load_error": {"kind": "exception", **describe(exc, filename)}}
    names = module.__dict__
    defined = sorted(name for name, value in names.items()
                     if not name.startswith("__") and callable(value) and not isinstance(value, types.ModuleType))
    return names, {"defined": defined}


def exit_code(exc: SystemExit) -> int:
    return 0 if exc.code is None else exc.code if type(exc.code) is int else 1


def describe(exc: BaseException, filename: str) -> dict:
    """Type, message and the traceback trimmed to the solution's own frames."""
    import traceback

    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a __str__ that raises
        message = "<the exception's message could not be computed>"
    own = {filename, *HELPER_FILES}
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename in own]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines.append(f"{type(exc).__name__}: {message}\n" if message else f"{type(exc).__name__}\n")
    return {
        "type": type(exc).__name__, "message": message[:4000], "traceback": "".join(lines)[-16000:],
        "not_implemented": isinstance(exc, NotImplementedError),
    }


def answer(request: dict, arrays: list, names: dict, objects: Objects) -> dict:
    """Carry out one request: {"ok": value to encode} or {"sent": value already in wire form}."""
    op = request["op"]
    if op == "call":
        if request["name"] not in names:
            raise NameError(f"the solution does not define {request['name']}")
        target = names[request["name"]]
    elif op == "method":
        target = getattr(objects.get(request["handle"]), request["method"])
    elif op == "len":
        return {"ok": len(objects.get(request["handle"]))}
    elif op == "put":
        return {"sent": objects.keep(decode(request["value"], arrays, objects), request["type"])}
    elif op == "discard":
        objects.drop(request["handle"])
        return {"ok": None}
    elif op == "steps":
        if request["name"] not in names:
            raise NameError(f"the solution does not define {request['name']}")
        return {"ok": steps(names[request["name"]], [decode(arg, arrays, objects) for arg in request["args"]],
                            {key: decode(value, arrays, objects) for key, value in request["kwargs"].items()},
                            int(request["width"]))}
    else:
        raise ValueError(f"unknown request {op!r}")
    args = [decode(arg, arrays, objects) for arg in request["args"]]
    kwargs = {key: decode(value, arrays, objects) for key, value in request["kwargs"].items()}
    return {"ok": target(*args, **kwargs)}


def steps(function, args: list, kwargs: dict, width: int) -> list | np.ndarray:
    """The harness's own loop for timing many steps in one request: call `function` once per slice of
    `width` positions of the first argument (axis 1: (batch, positions, ...)), the other arguments
    unchanged (a cache kept here is updated by each call), and return every output, in order.

    Outputs that are all plain arrays of one shape and dtype go back stacked, as one array (axis 0:
    the steps), so that the reply costs the same however many steps a request holds."""
    first, rest = args[0], args[1:]
    outputs = [function(first[:, start:start + width], *rest, **kwargs) for start in range(0, first.shape[1], width)]
    if outputs and all(type(out) is np.ndarray for out in outputs):
        shape, dtype = outputs[0].shape, outputs[0].dtype
        if all(out.shape == shape and out.dtype == dtype for out in outputs):
            return np.stack(outputs)
    return outputs


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - the solution may have closed or replaced them
            pass


def _same(now: np.ndarray, was: np.ndarray) -> bool:
    try:
        return now.shape == was.shape and bool(np.array_equal(now, was, equal_nan=now.dtype.kind in "fc"))
    except Exception:  # noqa: BLE001 - an array the solution replaced with something odd: changed
        return False


def serve(channel: Channel, names: dict, filename: str, max_array_bytes: int) -> None:
    objects = Objects()
    encode = Encoder(objects, max_array_bytes)
    while True:
        request, arrays = channel.receive()
        reply: dict = {"seq": request["seq"]}
        before = [a.copy() for a in arrays] if request.get("op") in ("call", "method") else []
        try:
            result = answer(request, arrays, names, objects)
            reply["ok"], out = (result["sent"], []) if "sent" in result else encode(result["ok"])
            changed = [i for i, (now, was) in enumerate(zip(arrays, before)) if not _same(now, was)]
            if changed:  # the solution changed an argument in place: the checker's inputs are not its own
                reply["mutated"] = changed
        except MemoryError:
            reply["fail"], out = {"kind": "memory"}, []
        except SystemExit as exc:
            reply["fail"], out = {"kind": "exited", "code": exit_code(exc)}, []
        except Exception as exc:  # noqa: BLE001 - the solution raised: report it, keep going
            reply["error"], out = describe(exc, filename), []
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt and the like end the child
            reply["fail"], out = {"kind": "crash", "type": type(exc).__name__}, []
        del arrays
        flush_output()
        channel.send(reply, out)
        if "fail" in reply:
            os._exit(1)


def main() -> None:
    channel = Channel(int(sys.argv[1]), int(sys.argv[2]))
    config, _ = channel.receive()
    warm_blas(config["limits"].get("warm_blas"))
    set_limits(config["limits"])
    if config.get("uid") is not None:
        become(config["uid"])
    no_new_privileges()
    filtered = load_filter(config.get("seccomp"))
    become_subreaper()
    sys.path[:] = stripped_path(sys.path, config["package_parent"])
    sys.path_importer_cache.clear()
    sys.addaudithook(Guard(config["protected"], config["package"]))
    channel.send({"ready": True, "filtered": filtered}, [])
    names, reply = load(config)
    flush_output()
    channel.send(reply, [])
    if "defined" in reply:
        serve(channel, names, config["filename"], config["limits"]["max_array_bytes"])


if __name__ == "__main__":
    try:
        main()
    except MemoryError:
        os._exit(wire.MEMORY_EXIT)  # e.g. a request too large for the memory limit
    except (EOFError, OSError, ValueError):
        os._exit(wire.PROTOCOL_EXIT)  # the pipes are gone or garbled: nothing left to do
