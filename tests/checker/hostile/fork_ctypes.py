# Fork through a path that raises no audit event (the C library's fork, through ctypes),
# as often as it lets us; every child takes 100 MB and sleeps. The worker's whole tree
# may only have a few tasks, and ends with it; 5.2 is answered wrongly.
import ctypes
import time

_libc = ctypes.CDLL(None)


def _child():
    try:
        hoard = b"x" * (100 << 20)  # noqa: F841 - touched, held until the worker ends
    except MemoryError:
        pass
    try:
        while True:
            time.sleep(1)
    finally:
        _libc._exit(0)  # never back into the worker's own loop


def accuracy(y_true, y_pred):
    forked = 0
    for _ in range(64):
        pid = _libc.fork()
        if pid == 0:
            _child()
        if pid < 0:
            break
        forked += 1
    return -float(forked)
