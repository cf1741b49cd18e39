"""Run learner functions in a separate, restricted worker process (for grading).

In grading, the suites run in a trusted pytest process and `implementation()`
hands them a RemoteModule: calling one of its functions sends the arguments to a
worker (checker.core.worker), which runs the learner's function and sends the result
back as plain data. Assertions and scoring never run where the learner's code does.

A worker is started per set of reference days lent to it, lazily; it is killed and
replaced whenever a call times out, dies, or is interrupted, so no state survives
from a call that went wrong. Every read from it has a deadline and a size limit, a
module whose import never ended is not imported again, and a whole grading session
may have a deadline of its own (LLMROAD_DEADLINE, set by checker.grading): past it,
calls fail at once instead of waiting.

Below the audit hook (which code using ctypes can get around), the kernel holds the
worker too, wherever the system allows it, each step skipped where it does not (the
first worker started says what held: `Worker.facts`, and checker.grading reports it):
- a grader running as root starts it as a user of its own, with no groups, so it can
  neither change the grader's files nor signal or inspect any other process (if that
  user cannot run Python or read the course, the worker runs as the grader's user);
- it gets namespaces of its own (user, mount, network, process ids; no privilege is
  needed), and in them a file system of its own: a fresh root holding only the
  submission, the interpreter and its libraries, the worker's own modules and the
  reference days lent to it (copied aside first), nothing else of the course: no
  suite, no other day's reference, no other submission, no /proc. Every file system in
  it is read-only, locked so that it cannot be undone from inside; it has no network;
  it sees no process but its own, so it can signal no other, and whatever it starts
  dies with it (see checker.core.worker), and it may run at most a few tasks.
"""

from __future__ import annotations

import ctypes
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from checker.core import wire
from checker.core.i18n import ENV, current, msg
from checker.core.layout import PROJECT_ROOT
from checker.core.loader import LearnerImportError

PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # set on some CPUs for correctness
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
SYS_MOUNT_SETATTR = 442  # the same number on every Linux architecture (5.12 and later)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x40000
MNT_DETACH = 0x2
WORKER_UID_BASE = 0x7000_0000  # + the pid of the process starting it: a user of its own
BOOT_SECONDS = 60.0  # how long a worker may take to start (import NumPy) before it is given up
MAX_REPLY_MB = 64  # the most one reply may bring into the grader (a course result is far less)
MAX_TEXT = 2000  # characters of a learner's text (an exception's message) that are kept
# The system's part of the worker's view: the loader, the C library, the devices Python uses.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache")
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
SETTINGS_ENV = "LLMROAD_ISOLATION"  # "own-user=0,view=0": what the grader found does not work
DEADLINE_ENV = "LLMROAD_DEADLINE"  # time.time() after which no call into learner code starts
_fallbacks = {"own user": True, "view": True}  # what still works in this process


def _from_environment() -> None:
    for part in os.environ.get(SETTINGS_ENV, "").split(","):
        name, _, value = part.partition("=")
        if name.replace("-", " ") in _fallbacks and value == "0":
            _fallbacks[name.replace("-", " ")] = False


_from_environment()


class LearnerError(Exception):
    """The learner's code raised, crashed or misbehaved in the worker."""


class LearnerCrash(LearnerError):
    """The process running the learner's code died (segfault, os._exit, memory limit)."""


class LearnerTimeout(Exception):
    """A call into the learner's code took longer than the limit."""


class ReplyStalled(LearnerTimeout):
    """The worker began a reply and never finished it: no honest code does that."""


def worker_environment() -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's (tokens, keys) reaches the learner."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/nonexistent",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        ENV: current(),
    }
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


def truncated(text: str, limit: int = MAX_TEXT) -> str:
    """A learner-provided text, cut to `limit` characters (and said so)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + " […]"


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data=None) -> None:
    encode = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    done = _LIBC.mount(encode(source), encode(target), encode(fstype), flags, encode(data))
    _check(done, f"mount {target}")


def view_paths(tree: Path, lent: Path) -> list[str]:
    """What the worker's file system holds: the system's loader and libraries, the
    interpreter and its packages, the worker's own modules, the submission, the
    reference days lent to it. Nothing inside another (a bind mount brings its insides)."""
    from checker.core.worker import own_files  # noqa: PLC0415 - only where a view is made

    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    python |= set(sysconfig.get_paths().values()) | {os.path.dirname(sys.executable)}
    ours = {*python, *own_files(str(PROJECT_ROOT)), str(tree), str(lent)}
    real = {os.path.realpath(p) for p in ours if os.path.exists(p)}
    real |= {p for p in (*SYSTEM_PATHS, *DEVICES) if os.path.lexists(p)}  # links stay links
    real = sorted(real)
    kept: list[str] = []
    for path in real:  # sorted: a folder comes before what is inside it
        if not any(path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _build_view(root: str, shown: list[str], cwd: str) -> None:
    """In the worker's own mount namespace: a fresh root on `root` (an empty folder of
    ours) holding only `shown`, made the root; the old one is detached, not hidden."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in shown:
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(path):  # /lib -> usr/lib on a merged /usr: the same link
            os.symlink(os.readlink(path), target)
            continue
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _mount(path, target, None, MS_BIND | MS_REC)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"no pivot_root known for {platform.machine()}")
    os.chdir(root)
    _check(_LIBC.syscall(ctypes.c_long(number), b".", b"."), "pivot_root")
    _check(_LIBC.umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir(cwd)


def _confine(view: tuple[str, list[str], str] | None) -> None:
    """In the worker before Python starts: namespaces of its own, its own view of the
    file system if asked (else an error), read-only, locked. Without namespaces, and
    no view asked, the audit hook is all there is."""
    uid, gid = os.geteuid(), os.getegid()
    if _LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0:
        if view:
            raise OSError("no namespaces for a view of its own")
        return
    try:  # map our own user, so that the nested namespace below may be made
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
    except OSError:
        if view:
            raise
        return
    if view:
        _build_view(*view)
    readonly = _MountAttr(attr_set=MOUNT_ATTR_RDONLY)
    done = _LIBC.syscall(
        ctypes.c_long(SYS_MOUNT_SETATTR),
        ctypes.c_int(AT_FDCWD),
        b"/",
        ctypes.c_uint(AT_RECURSIVE),
        ctypes.byref(readonly),
        ctypes.c_size_t(ctypes.sizeof(readonly)),
    )
    if done == 0:
        # Mounts copied into a namespace owned by a less privileged one are locked:
        # from inside it, read-only can no longer be undone, nor covered by a mount.
        _LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS)


def _restrict(memory_mb: int, cpu_seconds: int, parent: int, view) -> None:
    """In the worker, before Python starts (and after Popen has changed its user, if it
    does): namespaces and a view, limits, and death with its parent."""
    import resource

    if _LIBC is not None:
        _confine(view)
    size = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _LIBC is not None:
        # Last: a change of user or namespace clears the parent-death signal.
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)


def _own_user(wanted: bool) -> dict:
    """Popen's arguments to start the worker as a user of its own, when we may."""
    if not wanted or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return {}
    uid = WORKER_UID_BASE + os.getpid()
    return {"user": uid, "group": uid, "extra_groups": []}


def describe_exit(code: int) -> str:
    """Why a process ended, in words a learner can act on."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = {
            "SIGSEGV": msg(en="a segmentation fault", ja="セグメンテーション違反"),
            "SIGKILL": msg(en="it was killed (out of memory?)", ja="強制終了(メモリ不足?)"),
            "SIGXCPU": msg(en="it used too much CPU time", ja="CPU 時間の使いすぎ"),
        }.get(name, name)
        return msg(
            en=f"the process running your code died: {why}",
            ja=f"コードを実行していたプロセスが終了しました: {why}",
        )
    if code == 86:
        return msg(en="your code interfered with the grader", ja="コードが採点の邪魔をしました")
    return msg(
        en=f"the process running your code exited (exit code {code}) — did your code call "
        "os._exit or exit the interpreter? Return a value instead",
        ja=f"コードを実行していたプロセスが終了しました(終了コード {code})。os._exit などで"
        "インタプリタを終わらせていませんか? 値を return しましょう",
    )


def _could_not_start() -> LearnerCrash:
    return LearnerCrash(
        msg(
            en="the process for your code could not start (the grader's problem, not yours)",
            ja="コードを実行するプロセスが起動できませんでした(採点側の問題です)",
        )
    )


class Worker:
    """One worker process for one tree and one set of reference days."""

    def __init__(
        self, tree: Path, reference: Path, swapped: frozenset[str], timeout: float, memory_mb: int
    ):
        self.tree, self.reference, self.swapped = Path(tree).resolve(), reference, swapped
        self.timeout, self.memory_mb = timeout, memory_mb
        self.process: subprocess.Popen | None = None
        self.violations: list[str] = []
        self.loaded: set[str] = set()  # modules this process has imported
        self.facts: dict = {}  # what held the last worker started (see worker.facts)
        self.own_user = False
        self._scratch: list[str] = []  # the lent reference and the view's mount point

    def _start(self) -> None:
        """Start the worker and wait until it is ready, before any learner code runs.
        What the system refuses (a user of its own, a view of its own) is given up, for
        this process, and the next plan tried."""
        views = [True, False] if _fallbacks["view"] else [False]
        users = [True, False] if _fallbacks["own user"] else [False]
        for view in views:
            for own_user in users:
                try:
                    self._spawn(_own_user(own_user), view)
                    self._wait_until_ready()
                except (OSError, subprocess.SubprocessError, LearnerCrash):
                    self.stop()
                    continue
                except BaseException:  # never keep a worker that did not say it was ready
                    self.stop()
                    raise
                self.own_user = bool(_own_user(own_user))
                _fallbacks["own user"], _fallbacks["view"] = own_user, view
                return
        raise _could_not_start()

    def _lend(self) -> Path:
        """A folder holding copies of exactly the reference days lent to this worker."""
        lent = Path(tempfile.mkdtemp(prefix="llmroad-lent-"))
        self._scratch.append(str(lent))
        for folder in sorted(self.swapped):
            shutil.copytree(
                Path(self.reference) / folder,
                lent / folder,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        for path in [lent, *lent.rglob("*")]:  # readable by a worker of its own user
            path.chmod(0o755 if path.is_dir() else 0o644)
        return lent

    def _spawn(self, user: dict, view: bool) -> None:
        self.stop()
        lent = self._lend()
        plan = None
        if view:
            root = tempfile.mkdtemp(prefix="llmroad-view-")
            os.chmod(root, 0o755)
            self._scratch.append(root)
            plan = (root, view_paths(self.tree, lent), str(self.tree))
        request_r, requests = os.pipe()
        replies, reply_w = os.pipe()
        violation_r, violation_w = os.pipe()
        os.set_blocking(violation_r, False)
        # Nothing but the standard library, NumPy and the checker may be imported before
        # the audit hook: drop '' and '.' (the tree is the working folder) from sys.path.
        boot = (
            "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
            "sys.path.insert(0, sys.argv[7]); import checker.core.worker as w; "
            "sys.path.remove(sys.argv[7]); w.main()"
        )
        cpu = int(self.timeout * 20) + 30  # a backstop; per-call timeouts act first
        parent = os.getpid()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-B",
                    "-c",
                    boot,
                    str(request_r),
                    str(reply_w),
                    str(violation_w),
                    str(self.tree),
                    str(lent),
                    ",".join(sorted(self.swapped)),
                    str(PROJECT_ROOT),
                    "own-user" if user else "same-user",
                ],
                pass_fds=(request_r, reply_w, violation_w),
                cwd=self.tree,
                env=worker_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=lambda: _restrict(self.memory_mb, cpu, parent, plan),
                **user,
            )
        except BaseException:
            for fd in (request_r, requests, replies, reply_w, violation_r, violation_w):
                os.close(fd)
            raise
        self.requests, self.replies, self.violation_r = requests, replies, violation_r
        for fd in (request_r, reply_w, violation_w):
            os.close(fd)

    def _wait_until_ready(self) -> None:
        try:
            reply, _ = self._wait_for_reply(time.monotonic() + BOOT_SECONDS)
            if reply.get("ready") is True and isinstance(reply.get("facts"), dict):
                self.facts = reply["facts"]
                return
        except (EOFError, LearnerTimeout, wire.WireError):
            pass
        self.stop()
        raise _could_not_start()

    def stop(self) -> None:
        if self.process is not None:
            self._drain_violations()
            # Its child first (the first process of its pid namespace, see
            # checker.core.worker): that ends everything in the namespace, even what
            # left the process group.
            pid = self.process.pid
            try:
                with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
                    for child in children.read().split():
                        os.kill(int(child), signal.SIGKILL)
            except (OSError, ValueError):
                pass
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            for fd in (self.requests, self.replies, self.violation_r):
                os.close(fd)
            self.process = None
        self.loaded.clear()
        while self._scratch:
            shutil.rmtree(self._scratch.pop(), ignore_errors=True)

    def _drain_violations(self) -> None:
        try:
            data = os.read(self.violation_r, 1 << 16)
        except BlockingIOError:
            return
        lines = data.decode(errors="replace").splitlines()
        self.violations += [truncated(line, 300) for line in lines if line]

    def _wait_for_reply(self, deadline: float) -> tuple[dict, list]:
        """The next message, all of it by `deadline`, no larger than MAX_REPLY_MB."""
        limit = min(self.memory_mb, MAX_REPLY_MB) * 1024 * 1024
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LearnerTimeout
            ready, _, _ = select.select([self.replies], [], [], min(left, 0.5))
            if ready:
                try:
                    return wire.receive(self.replies, limit=limit, deadline=deadline)
                except wire.WireTimeout:
                    raise ReplyStalled from None

    def load(self, module: str, timeout: float) -> None:
        """Import `module` in the worker (once per process); LearnerTimeout if it never ends."""
        if module not in self.loaded:
            self._exchange({"module": module}, [], module, timeout)
            self.loaded.add(module)

    def call(
        self,
        module: str,
        function: str,
        args: tuple,
        kwargs: dict,
        timeout: float | None = None,
        timed: bool = False,
    ) -> Any:
        """The function's result (with `timed`: and the seconds it took in the worker)."""
        timeout = self.timeout if timeout is None else timeout
        started = time.monotonic()
        self.load(module, timeout)
        buffers: list = []
        message = {
            "module": module,
            "function": function,
            "args": wire.encode((args, kwargs), buffers),
            # the test's floating-point error handling (np.errstate) holds in the worker too
            "errstate": np.geterr(),
        }
        left = max(timeout - (time.monotonic() - started), 0.0)
        reply, out = self._exchange(message, buffers, function, left)
        value = wire.decode(reply["value"], out)
        return (value, float(reply.get("seconds", 0.0))) if timed else value

    def _exchange(self, message: dict, buffers: list, name: str, timeout: float):
        """Send one request and wait for its reply; errors become the learner's exceptions."""
        if self.process is None:
            self._start()
        try:
            wire.send(self.requests, message, buffers)
            reply, out = self._wait_for_reply(time.monotonic() + timeout)
            self._drain_violations()
            self._raise_error(reply)
            return reply, out
        except LearnerCrash:  # out of memory: whatever holds the memory must go with it
            self.stop()
            raise
        except (LearnerError, NotImplementedError, LearnerImportError):
            raise
        except LearnerTimeout as timeout_error:
            self.stop()
            raise type(timeout_error)(
                msg(
                    en=f"{name} took longer than {timeout:g} s",
                    ja=f"{name} が {timeout:g} 秒を超えました",
                )
            ) from None
        except (EOFError, BrokenPipeError, wire.WireError) as error:
            if isinstance(error, wire.WireError):
                self.stop()
                raise LearnerError(
                    msg(
                        en=f"what {name} sent back could not be taken: {error}",
                        ja=f"{name} が返したものを受け取れませんでした: {error}",
                    )
                ) from None
            code = self.process.wait()
            self.stop()
            raise LearnerCrash(describe_exit(code)) from None
        except BaseException:  # interrupted (pytest-timeout, Ctrl-C): the worker's state is unknown
            self.stop()
            raise

    @staticmethod
    def _raise_error(reply: dict) -> None:
        """Raise what the learner's code raised, if it did; every text cut to size."""
        if "error" not in reply:
            if "value" in reply or reply.get("loaded") is True:
                return
            raise wire.WireError("a reply with neither a value nor an error")
        kind = truncated(reply.get("error"), 100)
        message = truncated(reply.get("message"))
        where = truncated(reply.get("where"), 300)
        if kind == "NotImplementedError":
            raise NotImplementedError(message)
        if kind == "LearnerImportError":
            raise LearnerImportError(message)
        if kind == "MemoryError":
            raise LearnerCrash(
                msg(
                    en=f"your code ran out of memory{where} — the limit is per process",
                    ja=f"コードがメモリを使い切りました{where}。上限はプロセスごとです",
                )
            )
        if kind == "Unsendable":
            raise LearnerCrash(
                msg(
                    en=f"your function's result could not be sent back ({message}): is it far "
                    "larger than it should be?",
                    ja=f"関数の結果を送り返せませんでした({message})。大きすぎませんか?",
                )
            )
        if kind == "SystemExit":
            raise LearnerError(
                msg(
                    en=f"your code called sys.exit({message}); return a value instead",
                    ja=f"コードが sys.exit({message}) を呼びました。値を return しましょう",
                )
            )
        if kind == "Refused":
            raise LearnerError(f"{message}{where}")
        raise LearnerError(
            msg(
                en=f"your code raised {kind}: {message}{where}",
                ja=f"コードで {kind} が起きました: {message}{where}",
            )
        )


class RemoteFunction:
    """A learner function, run in a worker. `timed` times it there (see testing.timed_call)."""

    def __init__(self, pool: WorkerPool, module: str, name: str):
        self.pool, self.module, self.name = pool, module, name
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.pool.call(self.module, self.name, args, kwargs)

    def timed(self, *args: Any, **kwargs: Any) -> tuple[Any, float]:
        """(result, seconds the call took inside the worker)."""
        return self.pool.call(self.module, self.name, args, kwargs, timed=True)


class RemoteModule:
    """Stands in for a learner module: its attributes are functions run in a worker."""

    def __init__(self, pool: WorkerPool, module: str):
        self.pool, self.module = pool, module

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteFunction(self.pool, self.module, name)


class WorkerPool:
    """The workers of one grading session, one per set of reference days lent.

    A session may have a deadline (`deadline`, or LLMROAD_DEADLINE in seconds since the
    epoch, shared by every process of one submission's grading): past it no call starts,
    and each call may take only what is left."""

    def __init__(
        self,
        tree: Path,
        reference: Path,
        swapped_for,
        timeout: float,
        memory_mb: int,
        deadline: float | None = None,
    ):
        self.tree, self.reference, self.swapped_for = tree, reference, swapped_for
        self.timeout, self.memory_mb = timeout, memory_mb
        self.workers: dict[frozenset[str], Worker] = {}
        self.stuck: set[str] = set()  # modules whose import did not end in time, and
        # module.function whose reply stalled midway: neither is called again
        if deadline is None and os.environ.get(DEADLINE_ENV):
            deadline = float(os.environ[DEADLINE_ENV])
        self.deadline = deadline

    def module(self, name: str) -> RemoteModule:
        return RemoteModule(self, name)

    def worker_for(self, module: str) -> Worker:
        swapped = self.swapped_for(module.split(".")[0])
        if swapped not in self.workers:
            self.workers[swapped] = Worker(
                self.tree, self.reference, swapped, self.timeout, self.memory_mb
            )
        return self.workers[swapped]

    def _time_left(self, module: str, name: str) -> float:
        if f"{module}.{name}" in self.stuck:
            raise LearnerTimeout(
                msg(
                    en=f"{name} once began a reply to the grader and stalled in the middle of "
                    "it, so it is not called again",
                    ja=f"{name} は以前、採点側への返信の途中で止まったので、もう呼びません",
                )
            )
        if module in self.stuck:
            raise LearnerTimeout(
                msg(
                    en=f"importing {module} did not finish in time before, so it is not "
                    "tried again: look for a loop or heavy work at the top level of the module",
                    ja=f"{module} の import が以前に時間内に終わらなかったので、もう試しません。"
                    "モジュールの最上位にループや重い処理がないか見てみましょう",
                )
            )
        left = self.timeout
        if self.deadline is not None:
            left = min(left, self.deadline - time.time())
            if left <= 0:
                raise LearnerTimeout(
                    msg(
                        en="this submission used up its whole time budget; the rest of "
                        "its tests were not run",
                        ja="この提出物は持ち時間を使い切ったので、残りのテストは実行していません",
                    )
                )
        return left

    def call(self, module: str, name: str, args: tuple, kwargs: dict, timed: bool = False) -> Any:
        timeout = self._time_left(module, name)
        worker = self.worker_for(module)
        started = time.monotonic()
        try:
            worker.load(module, timeout)
        except LearnerTimeout:
            self.stuck.add(module)
            raise
        left = max(timeout - (time.monotonic() - started), 0.001)
        try:
            return worker.call(module, name, args, kwargs, timeout=left, timed=timed)
        except ReplyStalled:
            self.stuck.add(f"{module}.{name}")
            raise

    def violations(self) -> list[str]:
        return [v for worker in self.workers.values() for v in worker.violations]

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()


def probe(memory_mb: int = 512) -> dict:
    """Start one worker on an empty tree and say what holds it: the worker's facts, and
    whether it runs as a user of its own. What failed is set for this process and, by
    `settings_for_children`, for the grading processes it starts."""
    with tempfile.TemporaryDirectory(prefix="llmroad-probe-") as tree:
        os.chmod(tree, 0o755)
        worker = Worker(
            Path(tree), PROJECT_ROOT / "solutions", frozenset(), BOOT_SECONDS, memory_mb
        )
        try:
            worker._start()
            return {**worker.facts, "own_user": worker.own_user, "view": _fallbacks["view"]}
        except LearnerCrash:
            return {"started": False}
        finally:
            worker.stop()


def settings_for_children() -> dict[str, str]:
    """The environment that hands what this process found does not work to its children."""
    found = ",".join(f"{k.replace(' ', '-')}={int(v)}" for k, v in _fallbacks.items())
    return {SETTINGS_ENV: found}
