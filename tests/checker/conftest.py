"""The project's own tests read the checker's English, whatever the machine's locale."""

import dataclasses

import pytest

from checker.core.catalogue import Course, load_course
from checker.core.i18n import set_language


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """English unless a test asks otherwise, and no language left chosen afterwards (the
    CLI's --lang sets it for the whole process)."""
    monkeypatch.setenv("LLMROAD_LANG", "en")
    set_language(None)
    yield
    set_language(None)


def with_last_day_unbuilt() -> Course:
    """The course as it was before its last day was built (that day has no tasks): what the
    checker says of days announced but not built does not depend on which days exist."""
    course = load_course()
    last = dataclasses.replace(course.days[-1], tasks=())
    return dataclasses.replace(course, days=(*course.days[:-1], last))
