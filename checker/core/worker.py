"""The learner's side of grading: a process that only runs learner functions.

Started by checker.core.isolation with three pipes. It imports NumPy and the loader,
reports what holds it (see `facts`), installs an audit hook, and then serves
requests: import a module of the submission ("load"), call one function with data
that crossed the wire, timed here when asked (so the trip across the process boundary
is never counted), send the result back. It never sees a test, an expected value or a
score; where the kernel allows it, it cannot even see the files that hold them (see
checker.core.isolation: its file system view is the submission, the interpreter, its
own modules and the reference days lent to it).

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
import resource
import site
import sys
import sysconfig
import time

import numpy as np  # imported before the hook, like the loader

from checker.core import wire
from checker.core.i18n import msg
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
ERRSTATE = ("divide", "over", "under", "invalid")  # np.errstate's keywords
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
RESERVE_BYTES = 8 * 1024 * 1024  # room to report a MemoryError (the grader then ends the worker)
MAX_TASKS = 8  # processes and threads of the whole worker, where they are counted for it alone
# What of the learner's text may cross back (the grader truncates again: this side is untrusted).
MAX_KIND, MAX_MESSAGE, MAX_WHERE = 100, 2000, 300
OWN_MODULES = ("__init__.py", "core/__init__.py", "core/i18n.py", "core/loader.py")
OWN_MODULES += ("core/wire.py", "core/worker.py")  # the worker's own files, under checker/


class Refused(PermissionError):
    """What the audit hook raises in the learner's code."""


def own_files(project_root: str) -> tuple[str, ...]:
    """The files of the worker's own modules (its view holds these of the checker only)."""
    return tuple(os.path.join(project_root, "checker", name) for name in OWN_MODULES)


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


def install_guard(read_roots: tuple[str, ...], violation_fd: int, own: tuple[str, ...]) -> None:
    """Install the audit hook. Everything it needs is bound here, in its closure.

    Reading the worker's own modules is allowed: a traceback of the worker's own code
    reads them, and that is never the learner's doing."""
    pid, realpath, fsdecode, write = os.getpid(), os.path.realpath, os.fsdecode, os.write
    allowed = tuple(read_roots) + _python_roots()
    files = frozenset(("/dev/null", *(realpath(f) for f in own)))
    forbidden_modules = ("solutions", "checker", "exercises")

    def refuse(what: str) -> None:
        raise Refused(
            msg(en=f"llmroad grading refused this: {what}", ja=f"採点中は禁止です: {what}")
        )

    def violation(text: str) -> None:
        try:
            write(violation_fd, (text.replace("\n", " ")[:MAX_MESSAGE] + "\n").encode())
        except OSError:  # the pipe was closed by the learner's code: that is tampering
            os._exit(86)
        refuse(text)

    def guard(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return
            if (mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
                if path != "/dev/null":
                    refuse(msg(en="writing files", ja="ファイルへの書き込み"))
                return
            real = realpath(fsdecode(path))
            if real not in files and not (real + os.sep).startswith(allowed):
                violation(
                    msg(
                        en=f"reading {real}, outside the submission",
                        ja=f"提出物の外の {real} を読むこと",
                    )
                )
        elif event == "import":
            name = args[0] or ""
            if name.split(".")[0] in forbidden_modules:
                violation(msg(en=f"importing {name}", ja=f"{name} の import"))
        elif event in REFUSED_EVENTS:
            refuse(_refused_words(REFUSED_EVENTS[event]))
        elif event == "os.killpg" or (event == "os.kill" and args[0] != pid):
            # killpg and kill(0) reach the whole process group, the grader's side of it too
            refuse(msg(en="signalling another process", ja="ほかのプロセスへのシグナル"))

    sys.addaudithook(guard)


def _refused_words(what: str) -> str:
    return msg(
        en=what,
        ja={
            "starting a process": "プロセスの起動",
            "the network": "ネットワーク",
            "walking the garbage collector": "ガベージコレクタの探索",
            "inspecting the grader": "採点プログラムの調査",
            "changing files": "ファイルの変更",
        }[what],
    )


def _error_reply(error: BaseException, tree: str) -> dict:
    return {
        "error": type(error).__name__[:MAX_KIND],
        "message": _text(error)[:MAX_MESSAGE],
        "where": learner_frame(error.__traceback__, tree)[:MAX_WHERE],
    }


def _forget(error: BaseException) -> None:
    """Let go of what the learner's frames hold; inline, calling no learner code."""
    unwound = error.__traceback__.tb_next if error.__traceback__ else None
    while unwound is not None:
        try:
            unwound.tb_frame.clear()
        except BaseException:  # a frame still running, a generator's finally: raising
            pass
        unwound = unwound.tb_next


def serve(requests: int, replies: int, tree: str, reference: str, swapped: frozenset[str]) -> None:
    from pathlib import Path

    kept: dict[int, object] = {}
    reserve = [bytearray(RESERVE_BYTES)]  # let go after a MemoryError, to have room to report it
    while True:
        try:
            message, buffers = wire.receive(requests, limit=1 << 40)
        except EOFError:
            return
        out: list = []
        try:
            module = load_module(message["module"], Path(tree), Path(reference), swapped)
            if "function" not in message:  # "load": import only, so the grader can tell
                reply = {"loaded": True}  # an import that never ends from a call that does not
            else:
                function = getattr(module, message["function"])
                args, kwargs = wire.decode(message["args"], buffers, kept)
                errstate = {k: v for k, v in message.get("errstate", {}).items() if k in ERRSTATE}
                with np.errstate(**errstate):  # as the test asked, in the grader's process
                    started = time.perf_counter()
                    result = function(*args, **kwargs)
                    seconds = time.perf_counter() - started
                reply = {"value": wire.encode(result, out, kept), "seconds": seconds}
        except BaseException as error:  # everything the learner's code does is reported
            # After a MemoryError, first make room: without any, the interpreter can spin
            # forever in the next allocation. The reserve (memory the learner's code never
            # had), then what the learner's frames hold.
            if isinstance(error, MemoryError):
                reserve.clear()
            args = kwargs = result = None
            out = []
            _forget(error)
            reply = _error_reply(error, tree)
        try:
            wire.send(replies, reply, out)
        except (MemoryError, wire.WireError, ValueError, TypeError) as error:
            out = []  # the result could not be sent (too large to encode, say): say so instead
            reply = {"error": "Unsendable", "message": f"{type(error).__name__}", "where": ""}
            wire.send(replies, reply, out)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except BaseException:  # a learner's exception whose __str__ fails in turn
        return f"(a {type(error).__name__[:MAX_KIND]} that could not be shown)"


def _in_own_pid_namespace() -> bool | None:
    """Whether checker.core.isolation gave this process a process-id namespace for its
    children: True, False, or None when /proc cannot tell (the worker's own view of the
    file system has no /proc, and that view only exists inside its namespaces)."""
    try:
        own = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    try:  # a namespace that has no process yet cannot be read (ENOENT): that one too
        return own != os.readlink("/proc/self/ns/pid_for_children")
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _first_of_own_pid_namespace(fds: tuple[int, ...]) -> None:
    """If this process has a process-id namespace for its children, go on in a child,
    the first process of that namespace: it sees no other process, so it can signal
    none, and when it ends the kernel ends whatever it started. This process only
    waits, then ends as the child did (an exit code, or the same signal), so the
    grader learns how the learner's code ended."""
    if sys.platform != "linux" or _in_own_pid_namespace() is False:
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


# A seccomp filter: no new process from here on (fork, vfork, clone without CLONE_THREAD),
# whatever path the code takes (ctypes included); threads stay allowed. Per architecture:
# (audit arch, fork, vfork, clone), clone3 being 435 everywhere (refused as ENOSYS, so the
# C library falls back to clone, which the filter can read).
SECCOMP_ARCHES = {
    "x86_64": (0xC000003E, 57, 58, 56),
    "aarch64": (0xC00000B7, -1, -1, 220),
}
CLONE_THREAD, SYS_CLONE3 = 0x00010000, 435


def _no_new_processes() -> bool:
    """Install the filter (after the worker's own fork, before any learner code); whether
    it holds."""
    import ctypes
    import platform
    import struct

    arch = SECCOMP_ARCHES.get(platform.machine())
    if sys.platform != "linux" or arch is None:
        return False
    audit_arch, fork, vfork, clone = arch
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    program = [
        (ld, 0, 0, 4),  # the architecture
        (jeq, 1, 0, audit_arch),
        (ret, 0, 0, eperm),  # another ABI: nothing at all
        (ld, 0, 0, 0),  # the system call's number
        (jeq, 7, 0, fork & 0xFFFFFFFF),
        (jeq, 6, 0, vfork & 0xFFFFFFFF),
        (jeq, 4, 0, SYS_CLONE3),
        (jeq, 1, 0, clone),
        (ret, 0, 0, allow),
        (ld, 0, 0, 16),  # clone's flags (the low half of its first argument)
        (jset, 2, 1, CLONE_THREAD),
        (ret, 0, 0, enosys),
        (ret, 0, 0, eperm),
        (ret, 0, 0, allow),
    ]
    code = b"".join(struct.pack("HBBI", *op) for op in program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HxxxxxxQ", len(program), ctypes.addressof(buffer))
    prog = ctypes.create_string_buffer(fprog, len(fprog))
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    word = ctypes.c_ulong  # every argument a full word: a pointer must not be cut to an int
    if libc.prctl(PR_SET_NO_NEW_PRIVS, word(1), word(0), word(0), word(0)) != 0:
        return False
    filtered = libc.prctl(
        PR_SET_SECCOMP, word(SECCOMP_MODE_FILTER), word(ctypes.addressof(prog)), word(0), word(0)
    )
    return filtered == 0


def facts(tree: str, project_root: str) -> dict:
    """What holds this process, seen from inside (the grader reports what does not)."""
    course = ("solutions", "tests", "pyproject.toml")
    return {
        "no_new_processes": False,  # set by main once the filter holds
        "own_pid_namespace": os.getpid() == 1,
        "sees_course": any(os.path.lexists(os.path.join(project_root, n)) for n in course),
        "read_only": bool(os.statvfs(tree).f_flag & os.ST_RDONLY),
        "tasks": resource.getrlimit(resource.RLIMIT_NPROC)[0],
    }


def main() -> None:
    requests, replies, violations = (int(fd) for fd in sys.argv[1:4])
    tree, reference, swapped, project_root = sys.argv[4:8]
    own_user = sys.argv[8] == "own-user"
    folders = frozenset(f for f in swapped.split(",") if f)
    reads = (
        os.path.realpath(tree) + os.sep,
        *(os.path.realpath(os.path.join(reference, f)) + os.sep for f in folders),
    )
    sys.dont_write_bytecode = True
    _first_of_own_pid_namespace((requests, replies, violations))
    if os.getpid() == 1 or own_user:  # the count is this worker's alone: limit its tree
        resource.setrlimit(resource.RLIMIT_NPROC, (MAX_TASKS, MAX_TASKS))
    for folder in reads:  # this process's user must be able to read them: else do not start
        os.listdir(folder)
    found = facts(tree, project_root)
    found["no_new_processes"] = _no_new_processes()
    install_guard(reads, violations, own_files(project_root))
    wire.send(replies, {"ready": True, "facts": found}, [])  # before any learner code has run
    serve(requests, replies, os.path.realpath(tree), reference, folders)


if __name__ == "__main__":
    main()
