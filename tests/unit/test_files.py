"""Owner-only atomic writes (biolake/files.py): caches, token files and reports rely on them."""

from __future__ import annotations

import stat

import pytest

from biolake.files import write_private


def test_a_new_file_is_owner_only_and_its_new_folder_too(tmp_path):
    target = tmp_path / "cache" / "sql" / "k.json"
    write_private(target, b'{"a": 1}')
    assert target.read_bytes() == b'{"a": 1}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_a_rewrite_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "tokens.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a new inode, not the old one rewritten
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]


def test_a_failed_write_keeps_the_old_bytes_and_cleans_up(tmp_path):
    target = tmp_path / "tokens.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_private(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]
