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
    return built_up_to(len(load_course().days) - 1)


def built_up_to(number: int) -> Course:
    """The course as if only days 1..number were built (the later ones have no tasks)."""
    course = load_course()
    days = tuple(d if d.number <= number else dataclasses.replace(d, tasks=()) for d in course.days)
    return dataclasses.replace(course, days=days)
