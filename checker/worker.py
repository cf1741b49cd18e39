"""The learner's side of grading: a process that only runs learner functions.

Started by checker.isolation with three pipes. It imports NumPy and the loader,
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

from checker import wire
from checker.loader import learner_frame, load_module

REFUSED_EVENTS = {
    "subprocess.Popen": "starting a process", "os.system": "starting a process",
    "os.exec": "starting a process", "os.posix_spawn": "starting a process",
    "os.spawn": "starting a process", "os.fork": "starting a process",
    "os.forkpty": "starting a process", "pty.spawn": "starting a process",
    "socket.connect": "the network", "socket.bind": "the network",
    "socket.getaddrinfo": "the network", "socket.sendto": "the network",
    "gc.get_objects": "walking the garbage collector",
    "gc.get_referrers": "walking the garbage collector",
    "gc.get_referents": "walking the garbage collector",
    "sys._current_frames": "inspecting the grader",
    "os.remove": "changing files", "os.rename": "changing files", "os.rmdir": "changing files",
    "os.mkdir": "changing files", "os.chmod": "changing files", "os.symlink": "changing files",
    "os.link": "changing files", "os.truncate": "changing files", "os.chown": "changing files",
    "os.utime": "changing files", "shutil.rmtree": "changing files",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _python_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sysconfig.get_paths()["stdlib"],
             sysconfig.get_paths()["platstdlib"], *site.getsitepackages()}
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
        elif event in ("os.kill", "os.killpg") and args[0] not in (pid, 0):
            raise PermissionError("llmroad grading refused this: signalling another process")

    sys.addaudithook(guard)


def serve(requests: int, replies: int, tree: str, reference: str, swapped: frozenset[str]) -> None:
    from pathlib import Path

    kept: dict[int, object] = {}
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
            out = []
            reply = {"error": type(error).__name__, "message": str(error)[:4000],
                     "where": learner_frame(error.__traceback__, tree)}
        wire.send(replies, reply, out)


def main() -> None:
    requests, replies, violations = (int(fd) for fd in sys.argv[1:4])
    tree, reference, swapped = sys.argv[4], sys.argv[5], sys.argv[6]
    folders = frozenset(f for f in swapped.split(",") if f)
    reads = (os.path.realpath(tree) + os.sep,
             *(os.path.realpath(os.path.join(reference, f)) + os.sep for f in folders))
    sys.dont_write_bytecode = True
    install_guard(reads, violations)
    serve(requests, replies, os.path.realpath(tree), reference, folders)


if __name__ == "__main__":
    main()
