"""Run learner functions in a separate, restricted worker process (for grading).

In grading, the suites run in a trusted pytest process and `implementation()`
hands them a RemoteModule: calling one of its functions sends the arguments to a
worker (checker.core.worker), which runs the learner's function and sends the result
back as plain data. Assertions and scoring never run where the learner's code does.

A worker is started per set of reference days lent to it, lazily; it is killed and
replaced whenever a call times out, dies, or is interrupted, so no state survives
from a call that went wrong.

Below the audit hook (which code using ctypes can get around), the kernel holds the
worker too, wherever the system allows it, each step skipped where it does not:
- a grader running as root starts it as a user of its own, with no groups, so it can
  neither change the grader's files nor signal or inspect any other process (if that
  user cannot run Python or read the course, the worker runs as the grader's user);
- it gets namespaces of its own (user, mount, network, process ids; no privilege is
  needed): every file system is read-only to it, locked so that it cannot be undone
  from inside; it has no network at all; it sees no process but its own, so it can
  signal no other, and whatever it starts dies with it (see checker.core.worker).
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from checker.core import wire
from checker.core.layout import PACKAGE
from checker.core.loader import LearnerImportError

PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # set on some CPUs for correctness
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
SYS_MOUNT_SETATTR = 442  # the same number on every Linux architecture (5.12 and later)
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
WORKER_UID_BASE = 0x7000_0000  # + the pid of the process starting it: a user of its own
BOOT_SECONDS = 60.0  # how long a worker may take to start (import NumPy) before it is given up
_fallbacks = {"own user": True}  # what still works in this process; set False when it fails


class LearnerError(Exception):
    """The learner's code raised, crashed or misbehaved in the worker."""


class LearnerCrash(LearnerError):
    """The process running the learner's code died (segfault, os._exit, memory limit)."""


class LearnerTimeout(Exception):
    """A call into the learner's code took longer than the limit."""


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
    }
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _confine() -> None:
    """In the worker before Python starts: namespaces of its own, a read-only view of
    every file system, locked. What the kernel refuses is skipped."""
    uid, gid = os.geteuid(), os.getegid()
    if _LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0:
        return  # no unprivileged namespaces here: the audit hook is all there is
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
        return
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


def _restrict(memory_mb: int, cpu_seconds: int, parent: int) -> None:
    """In the worker, before Python starts (and after Popen has changed its user, if it
    does): namespaces, limits, and death with its parent."""
    import resource

    if _LIBC is not None:
        _confine()
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


def _own_user() -> dict:
    """Popen's arguments to start the worker as a user of its own, when we may."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not _fallbacks["own user"]:
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
            "SIGSEGV": "a segmentation fault",
            "SIGKILL": "it was killed (out of memory?)",
            "SIGXCPU": "it used too much CPU time",
        }
        return f"the process running your code died: {why.get(name, name)}"
    if code == 86:
        return "your code interfered with the grader"
    return (
        f"the process running your code exited (exit code {code}) — did your code call "
        "os._exit or exit the interpreter? Return a value instead"
    )


class Worker:
    """One worker process for one tree and one set of reference days."""

    def __init__(
        self, tree: Path, reference: Path, swapped: frozenset[str], timeout: float, memory_mb: int
    ):
        self.tree, self.reference, self.swapped = tree, reference, swapped
        self.timeout, self.memory_mb = timeout, memory_mb
        self.process: subprocess.Popen | None = None
        self.violations: list[str] = []

    def _start(self) -> None:
        """Start the worker and wait until it is ready, before any learner code runs.
        If it cannot start as a user of its own, start it as ours (for this process)."""
        user = _own_user()
        try:
            try:
                self._spawn(user)
                self._wait_until_ready()
            except (OSError, subprocess.SubprocessError, LearnerCrash):
                if not user:
                    raise LearnerCrash("the process for your code could not start") from None
                _fallbacks["own user"] = False  # e.g. that user cannot read the course's files
                self._spawn({})
                self._wait_until_ready()
        except BaseException:  # never keep a worker that did not say it was ready
            self.stop()
            raise

    def _spawn(self, user: dict) -> None:
        self.stop()
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
                    str(self.reference),
                    ",".join(sorted(self.swapped)),
                    str(PACKAGE.parent),  # where `checker` is importable from
                ],
                pass_fds=(request_r, reply_w, violation_w),
                cwd=self.tree,
                env=worker_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=lambda: _restrict(self.memory_mb, cpu, parent),
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
            if reply.get("ready") is True:
                return
        except (EOFError, LearnerTimeout, wire.WireError):
            pass
        self.stop()
        raise LearnerCrash("the process for your code could not start")

    def stop(self) -> None:
        if self.process is None:
            return
        self._drain_violations()
        # Its child first (the first process of its pid namespace, see checker.core.worker):
        # that ends everything in the namespace, even what left the process group.
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

    def _drain_violations(self) -> None:
        try:
            data = os.read(self.violation_r, 1 << 16)
        except BlockingIOError:
            return
        self.violations += [line for line in data.decode(errors="replace").splitlines() if line]

    def _wait_for_reply(self, deadline: float) -> tuple[dict, list[bytes]]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LearnerTimeout
            ready, _, _ = select.select([self.replies], [], [], min(left, 0.5))
            if ready:
                return wire.receive(self.replies, limit=self.memory_mb * 1024 * 1024)

    def call(self, module: str, function: str, args: tuple, kwargs: dict) -> Any:
        if self.process is None:
            self._start()
        buffers: list[bytes] = []
        message = {
            "module": module,
            "function": function,
            "args": wire.encode((args, kwargs), buffers),
        }
        try:
            wire.send(self.requests, message, buffers)
            reply, out = self._wait_for_reply(time.monotonic() + self.timeout)
            self._drain_violations()
            return self._result(reply, out)
        except LearnerCrash:  # out of memory: whatever holds the memory must go with it
            self.stop()
            raise
        except (LearnerError, NotImplementedError, LearnerImportError):
            raise
        except LearnerTimeout:
            self.stop()
            raise LearnerTimeout(f"{function} took longer than {self.timeout:g} s") from None
        except (EOFError, BrokenPipeError, wire.WireError) as error:
            if isinstance(error, wire.WireError):
                self.stop()
                raise LearnerError(str(error)) from None
            code = self.process.wait()
            self.stop()
            raise LearnerCrash(describe_exit(code)) from None
        except BaseException:  # interrupted (pytest-timeout, Ctrl-C): the worker's state is unknown
            self.stop()
            raise

    @staticmethod
    def _result(reply: dict, out: list[bytes]) -> Any:
        if "value" in reply:
            return wire.decode(reply["value"], out)
        kind, message = str(reply.get("error")), str(reply.get("message"))
        where = str(reply.get("where"))
        if kind == "NotImplementedError":
            raise NotImplementedError(message)
        if kind == "LearnerImportError":
            raise LearnerImportError(message)
        if kind == "MemoryError":
            raise LearnerCrash(f"your code ran out of memory{where} — the limit is per process")
        if kind == "SystemExit":
            raise LearnerError(f"your code called sys.exit({message}); return a value instead")
        if kind == "PermissionError" and "llmroad grading refused" in message:
            raise LearnerError(f"{message}{where}")
        raise LearnerError(f"your code raised {kind}: {message}{where}")


class RemoteFunction:
    def __init__(self, pool: WorkerPool, module: str, name: str):
        self.pool, self.module, self.name = pool, module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.pool.worker_for(self.module).call(self.module, self.name, args, kwargs)


class RemoteModule:
    """Stands in for a learner module: its attributes are functions run in a worker."""

    def __init__(self, pool: WorkerPool, module: str):
        self.pool, self.module = pool, module

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteFunction(self.pool, self.module, name)


class WorkerPool:
    """The workers of one grading session, one per set of reference days lent."""

    def __init__(self, tree: Path, reference: Path, swapped_for, timeout: float, memory_mb: int):
        self.tree, self.reference, self.swapped_for = tree, reference, swapped_for
        self.timeout, self.memory_mb = timeout, memory_mb
        self.workers: dict[frozenset[str], Worker] = {}

    def module(self, name: str) -> RemoteModule:
        return RemoteModule(self, name)

    def worker_for(self, module: str) -> Worker:
        swapped = self.swapped_for(module.split(".")[0])
        if swapped not in self.workers:
            self.workers[swapped] = Worker(
                self.tree, self.reference, swapped, self.timeout, self.memory_mb
            )
        return self.workers[swapped]

    def violations(self) -> list[str]:
        return [v for worker in self.workers.values() for v in worker.violations]

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()
