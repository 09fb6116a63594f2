"""A stand-in for kaleido where a test is about the report's text, not its pictures."""

from __future__ import annotations

import base64

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def fake_png(_figure) -> bytes:
    """The same 1-pixel PNG for any figure."""
    return PNG_1PX
