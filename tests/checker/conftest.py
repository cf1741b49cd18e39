"""The project's own tests read the checker's English, whatever the machine's locale."""

import pytest

from checker.core.i18n import set_language


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """English unless a test asks otherwise, and no language left chosen afterwards (the
    CLI's --lang sets it for the whole process)."""
    monkeypatch.setenv("LLMROAD_LANG", "en")
    set_language(None)
    yield
    set_language(None)
