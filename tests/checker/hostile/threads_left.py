# An honest student whose module leaves threads running: one that never ends, one that
# fails with a traceback (printed, so Python reads source files for it). Not flagged;
# every point stays.
import threading
import time


def _forever():
    while True:
        time.sleep(0.05)


def _fails():
    time.sleep(0.1)
    raise RuntimeError("a thread of the student's that failed")


threading.Thread(target=_forever, daemon=True).start()
threading.Thread(target=_fails, daemon=True).start()
