"""Watch mode in a terminal: single keys, a screen redrawn in place, checks on save.

    llmroad watch [DAY]      (or plain `llmroad` inside a workspace, on a terminal)

The state and what each key means live in checker.learner.watch; this module only reads
keys, waits, and draws what checker.render makes of the state.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from collections.abc import Callable

from checker import render
from checker.core.i18n import msg
from checker.learner.hints import HintRefused
from checker.learner.watch import WatchSession

POLL_SECONDS = 0.2  # how often saved files are looked for
CLEAR = "\x1b[2J\x1b[H"


class Screen:
    def __init__(self, write: Callable[[str], object]):
        self.write = write

    def show(self, text: str) -> None:
        # raw mode sends "\n" without a carriage return: write "\r\n"
        self.write(CLEAR + text.replace("\n", "\r\n") + "\r\n")


def _checking(screen: Screen, session: WatchSession, everything: bool = False) -> str:
    screen.show(render.watch_checking(session.day))
    days = [d for d in session.course.days if d.available] if everything else None
    session.run_check(days)
    return render.watch_screen(session, everything)


def _key(session: WatchSession, key: str, screen: Screen, shown: str) -> str | None:
    """The screen after `key` (None to quit)."""
    if key in ("q", "\x03", "\x04"):  # q, Ctrl-C, Ctrl-D
        return None
    if key in ("r", "\r", "\n"):
        return _checking(screen, session)
    if key == "c":
        return _checking(screen, session, everything=True)
    if key == "n":
        session.next_task()
        return render.watch_screen(session)
    if key == "h":
        try:
            note = render.hint_text(session.hint(), again=msg(en="h again", ja="もう一度 h"))
        except HintRefused as refused:
            note = str(refused)
        return render.watch_screen(session) + "\n\n" + note
    if key == "l":
        progress, _ = session.workspace.progress.load()
        return render.watch_screen(session) + "\n\n" + render.list_text(session.course, progress)
    return shown


def watch(session: WatchSession, manual: bool = False) -> int:
    """Run until q; the exit status (0)."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    screen = Screen(lambda text: (sys.stdout.write(text), sys.stdout.flush()))
    try:
        tty.setcbreak(fd)
        shown = _checking(screen, session)
        screen.show(shown)
        while True:
            ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
            if ready:
                key = os.read(fd, 1).decode(errors="replace")
                after = _key(session, key, screen, shown)
                if after is None:
                    screen.write(msg(en="bye\r\n", ja="またね\r\n"))
                    return 0
                shown = after
                screen.show(shown)
            elif not manual and session.saved():
                shown = _checking(screen, session)
                screen.show(shown)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
