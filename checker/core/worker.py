"""The learner's side of grading: a process that only runs learner functions.

Started by checker.core.isolation with three pipes. It imports NumPy and the loader,
installs an audit hook, and then serves calls: import a module of the submission,
call one function with data that crossed the wire, send the result back. It never
sees a test, an expected value or a score.

The audit hook refuses, with a PermissionError in the learner's code: reading files
outside the submission, Python's own library and the reference days lent to it;
writing files; starting processes; signalling other processes; the network; and
walking the garbage collector (the way to find and tamper with the hook). Reads
outside the tree and imports of the reference are also reported on a separate pipe,
so the grader can flag the submission. Audit hooks are a tripwire, not a wall:
see README.md (Grading: what the grader defends against).
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig

import numpy as np  # noqa: F401  - imported before the hook, like the loader

from checker.core import wire
from checker.core.loader import learner_frame, load_module

REFUSED_EVENTS = {
    "subprocess.Popen": "starting a process",
    "os.system": "starting a process",
    "os.exec": "starting a process",
    "os.posix_spawn": "starting a process",
    "os.spawn": "starting a process",
    "os.fork": "starting a process",
    "os.forkpty": "starting a process",
    "pty.spawn": "starting a process",
    "socket.connect": "the network",
    "socket.bind": "the network",
    "socket.getaddrinfo": "the network",
    "socket.sendto": "the network",
    "gc.get_objects": "walking the garbage collector",
    "gc.get_referrers": "walking the garbage collector",
    "gc.get_referents": "walking the garbage collector",
    "sys._current_frames": "inspecting the grader",
    "os.remove": "changing files",
    "os.rename": "changing files",
    "os.rmdir": "changing files",
    "os.mkdir": "changing files",
    "os.chmod": "changing files",
    "os.symlink": "changing files",
    "os.link": "changing files",
    "os.truncate": "changing files",
    "os.chown": "changing files",
    "os.utime": "changing files",
    "shutil.rmtree": "changing files",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
RESERVE_BYTES = 8 * 1024 * 1024  # room to report a MemoryError (the grader then ends the worker)


def _python_roots() -> tuple[str, ...]:
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["platstdlib"],
        *site.getsitepackages(),
    }
    return tuple(os.path.realpath(r) + os.sep for r in roots)


def install_guard(read_roots: tuple[str, ...], violation_fd: int) -> None:
    """Install the audit hook. Everything it needs is bound here, in its closure."""
    pid, realpath, fsdecode, write = os.getpid(), os.path.realpath, os.fsdecode, os.write
    allowed = tuple(read_roots) + _python_roots() + ("/dev/null",)
    forbidden_modules = ("solutions", "checker", "exercises")

    def violation(text: str) -> None:
        try:
            write(violation_fd, (text.replace("\n", " ") + "\n").encode())
        except OSError:  # the pipe was closed by the learner's code: that is tampering
            os._exit(86)
        raise PermissionError(f"llmroad grading refused this: {text}")

    def guard(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            if (mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
                if path != "/dev/null":
                    raise PermissionError("llmroad grading refused this: writing files")
                return
            real = realpath(fsdecode(path))
            if not (real + os.sep).startswith(allowed) and real not in allowed:
                violation(f"reading {real}, outside the submission")
        elif event == "import":
            name = args[0] or ""
            if name.split(".")[0] in forbidden_modules:
                violation(f"importing {name}")
        elif event in REFUSED_EVENTS:
            raise PermissionError(f"llmroad grading refused this: {REFUSED_EVENTS[event]}")
        elif event == "os.killpg" or (event == "os.kill" and args[0] != pid):
            # killpg and kill(0) reach the whole process group, the grader's side of it too
            raise PermissionError("llmroad grading refused this: signalling another process")

    sys.addaudithook(guard)


def serve(requests: int, replies: int, tree: str, reference: str, swapped: frozenset[str]) -> None:
    from pathlib import Path

    kept: dict[int, object] = {}
    reserve = [bytearray(RESERVE_BYTES)]  # let go after a MemoryError, to have room to report it
    while True:
        try:
            message, buffers = wire.receive(requests, limit=1 << 40)
        except EOFError:
            return
        out: list[bytes] = []
        try:
            module = load_module(message["module"], Path(tree), Path(reference), swapped)
            function = getattr(module, message["function"])
            args, kwargs = wire.decode(message["args"], buffers, kept)
            result = function(*args, **kwargs)
            reply = {"value": wire.encode(result, out, kept)}
        except BaseException as error:  # everything the learner's code does is reported
            # After a MemoryError, first make room: without any, the interpreter can spin
            # forever in the next allocation. The reserve (memory the learner's code never
            # had), then what the learner's frames hold; inline, calling no Python function.
            if isinstance(error, MemoryError):
                reserve.clear()
            args = kwargs = result = None
            out = []
            unwound = error.__traceback__.tb_next if error.__traceback__ else None
            while unwound is not None:
                try:
                    unwound.tb_frame.clear()
                except BaseException:  # a frame still running, a generator's finally: raising
                    pass
                unwound = unwound.tb_next
            reply = {
                "error": type(error).__name__,
                "message": _text(error)[:4000],
                "where": learner_frame(error.__traceback__, tree),
            }
        wire.send(replies, reply, out)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except BaseException:  # a learner's exception whose __str__ fails in turn
        return f"(a {type(error).__name__} that could not be shown)"


def _first_of_own_pid_namespace(fds: tuple[int, ...]) -> None:
    """If checker.core.isolation gave this process a process-id namespace for its children,
    go on in a child, the first process of that namespace: it sees no other process,
    so it can signal none, and when it ends the kernel ends whatever it started. This
    process only waits, then ends as the child did (an exit code, or the same signal),
    so the grader learns how the learner's code ended."""
    try:
        own = os.readlink("/proc/self/ns/pid")
    except OSError:  # no /proc: no way to tell
        return
    try:  # a namespace that has no process yet cannot be read (ENOENT): that one too
        if own == os.readlink("/proc/self/ns/pid_for_children"):
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    try:
        child = os.fork()
    except OSError:
        return
    if child == 0:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: fork cleared it
        return
    for fd in fds:  # only the child talks to the grader: its end is the end of the pipes
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        import signal

        try:
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL and SIGSTOP have no handler to reset
            pass
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main() -> None:
    requests, replies, violations = (int(fd) for fd in sys.argv[1:4])
    tree, reference, swapped = sys.argv[4], sys.argv[5], sys.argv[6]
    folders = frozenset(f for f in swapped.split(",") if f)
    reads = (
        os.path.realpath(tree) + os.sep,
        *(os.path.realpath(os.path.join(reference, f)) + os.sep for f in folders),
    )
    sys.dont_write_bytecode = True
    _first_of_own_pid_namespace((requests, replies, violations))
    for folder in reads:  # this process's user must be able to read them: else do not start
        os.listdir(folder)
    install_guard(reads, violations)
    wire.send(replies, {"ready": True}, [])  # before any of the learner's code has run
    serve(requests, replies, os.path.realpath(tree), reference, folders)


if __name__ == "__main__":
    main()
