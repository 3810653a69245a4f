"""The tracked files hold no leftover merge-conflict markers (one once slipped into benchmarks/RESULTS.md)."""

from __future__ import annotations

import re
import subprocess

from support.paths import ROOT

_MARKER = re.compile(rb"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def _tracked_text_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False
    ).stdout.split(b"\0")
    return [name.decode() for name in listed if name]


def test_no_merge_conflict_markers_in_tracked_files() -> None:
    names = _tracked_text_files()
    if not names:  # not a git checkout (an unpacked archive): nothing to check
        return
    found = []
    for name in names:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue
        for match in _MARKER.finditer(data):
            line = data.count(b"\n", 0, match.start()) + 1
            found.append(f"{name}:{line}")
    assert not found, f"merge-conflict markers left in: {', '.join(found[:20])}"


def test_the_marker_pattern_finds_a_conflict() -> None:
    sample = b"text\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\n"
    assert len(_MARKER.findall(sample)) == 3
