"""The report's chart renderer refuses at once when there is no Chromium: kaleido itself would
wait forever for a browser that cannot start (seen with BROWSER_PATH pointing nowhere)."""

from __future__ import annotations

import pytest

from reports.week import ReportError
from reports.weekly import KaleidoRenderer, chromium_path


@pytest.mark.timeout(30)
def test_no_chromium_is_a_clear_error_not_a_hang(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no chromium on the PATH either
    assert chromium_path() is None
    with pytest.raises(ReportError, match=r"no Chromium .*apt-get install chromium"), KaleidoRenderer():
        pass
