"""Same seed and options, same bytes (whatever the number of workers); another seed, other data."""

from __future__ import annotations

from pathlib import Path

from test_generator_support import run_small


def snapshot(landing: Path) -> dict[str, bytes]:
    return {
        p.relative_to(landing).as_posix(): p.read_bytes()
        for p in sorted(landing.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files_whatever_the_workers(tmp_path: Path) -> None:
    run_small(tmp_path / "a", workers=1)
    run_small(tmp_path / "b", workers=1)
    run_small(tmp_path / "c", workers=2)
    first = snapshot(tmp_path / "a")
    assert "_manifest.json" in first
    assert (
        len(first) == 1 + 1 + 1 + 1 + 3 + 3 + 4
    )  # manifest, brands, category, date, 3+3 exports, 4 days
    assert snapshot(tmp_path / "b") == first
    assert snapshot(tmp_path / "c") == first


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    run_small(tmp_path / "a", seed=1)
    run_small(tmp_path / "b", seed=2)
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    # Every order day and every dimension export differs.
    assert len(differing) == len(first)
