"""``rag index`` as a user runs it (real subprocesses) under the faults of issue #23 and #20.

- a symlink loop in the corpus: ``rag index`` and ``--check`` skip it with a reason;
- an edited index file: ``--check`` says ``corrupt``;
- ``--check`` changes nothing on disk, even with leftovers of a killed build;
- a full disk (a real 9 MiB tmpfs; skipped where mounting is not allowed, the write path
  is also fault-injected in tests/test_index.py): one line, exit 2, the old index intact
  and served;
- ``rag -v index`` is as verbose as ``rag index --verbose``.

What this file does not do: test the index module's logic in process (tests/test_index.py).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.cli import build_parser, main
from rag.index import build_index, check_index
from rag.pipeline import load_pipeline
from rag.settings import PROJECT_ROOT, Settings
from tests.conftest import write_corpus

QUINCE = (
    "Behind the scenes of Anora\n\n"
    "The production's coffee cart was run by a retired sailor named Bartholomew Quince. "
    "He served the crew every morning of the New York shoot.\n\n"
    "Watch free movies online at MyFlixer-to.click\n"
)


def rag(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m rag ARGS`` over ``settings``' corpus and index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_CORPUS_DIR=str(settings.corpus_dir),
        RAG_INDEX_DIR=str(settings.index_dir),
        HF_HUB_OFFLINE="1",
    )
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=PROJECT_ROOT,
    )


def listing(folder: Path) -> list[tuple[str, int, int]]:
    paths = [folder, *folder.rglob("*")]
    return sorted((str(p), p.lstat().st_size, p.lstat().st_mtime_ns) for p in paths)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


@pytest.fixture
def tiny(tmp_path: Path, embedder) -> Settings:
    corpus = write_corpus(tmp_path / "corpus", {"quince.txt": QUINCE})
    settings = Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder)
    return settings


def test_rag_index_and_check_skip_a_symlink_loop_with_a_reason(tiny):
    (tiny.corpus_dir / "a.txt").symlink_to("b.txt")  # the two commands
    (tiny.corpus_dir / "b.txt").symlink_to("a.txt")
    check = rag(tiny, "index", "--check")
    assert check.returncode == 0 and ": ok (" in check.stdout, check.stdout + check.stderr
    assert "rag: skipping a.txt: symlink loop" in check.stderr
    built = rag(tiny, "index")
    assert built.returncode == 0, built.stderr
    for name in ("a.txt", "b.txt"):
        assert f"skipped {name}: symlink loop" in built.stdout
    assert "indexed 1 articles" in built.stdout and "Traceback" not in built.stderr


def test_check_reports_an_edited_index_as_corrupt(tiny):
    for name in ("chunks.jsonl", "sentences.jsonl"):  # as the issue's `sed -i s/…/…/`
        path = tiny.index_dir / name
        path.write_text(path.read_text().replace("Bartholomew Quince", "Zed Garbage"))
    done = rag(tiny, "index", "--check")
    assert done.returncode == 1 and ": corrupt (chunks.jsonl" in done.stdout, done.stdout


def test_check_changes_nothing_even_with_leftovers_of_a_killed_build(tiny):
    # the issue: after `rm -rf index`, --check "restored" a half-deleted index.old-PID
    parent = tiny.index_dir.parent
    old = parent / f"index.old-{dead_pid()}"
    os.rename(tiny.index_dir, old)
    (old / "chunks.faiss").unlink()
    shutil.copytree(old, parent / f"index.tmp-{dead_pid()}-x1")
    before = listing(parent)
    done = rag(tiny, "index", "--check")
    assert done.returncode == 1 and ": missing (" in done.stdout, done.stdout + done.stderr
    assert "restored" not in done.stdout + done.stderr
    assert listing(parent) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 9 MiB tmpfs (as in the issue), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=9m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); test_index.py injects it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Write a file until the disk is full."""
    with open(disk / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def test_a_full_disk_is_one_line_and_the_stale_index_is_still_served(
    tmp_path, small_disk, embedder, caplog
):
    corpus = write_corpus(tmp_path / "corpus", {"quince.txt": QUINCE})
    settings = Settings.load(env={}, corpus_dir=corpus, index_dir=small_disk / "index")
    build_index(settings, embedder)
    manifest = (settings.index_dir / "manifest.json").read_text()
    write_corpus(corpus, {"extra.txt": "Extra\n\nThe crew's mascot was a parrot named Zorblax.\n"})
    fill(small_disk)

    done = rag(settings, "index")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("rag: could not write the index to ")
    assert "No space left on device (ENOSPC); the previous index is unchanged" in done.stderr
    assert (settings.index_dir / "manifest.json").read_text() == manifest
    assert sorted(p.name for p in small_disk.glob("index*")) == ["index"]  # no temp folder

    with caplog.at_level(logging.WARNING):
        pipe = load_pipeline(settings)  # what `python app.py` does at start-up
    assert any("serving the stale index" in r.getMessage() for r in caplog.records)
    assert "Bartholomew Quince" in pipe.ask("Who ran the production's coffee cart?").text
    (small_disk / "filler").unlink()
    assert rag(settings, "index").returncode == 0 and check_index(settings).ok


def test_rag_v_index_is_verbose_like_rag_index_verbose(tiny, capsys):
    # issue #20: `-v` and `index --verbose` shared a dest, so `rag -v index` was not verbose
    for argv in (["-v", "index"], ["index", "--verbose"], ["index", "-v"]):
        assert build_parser().parse_args(argv).verbose is True, argv
    assert build_parser().parse_args(["index"]).verbose is False
    folders = ["--corpus", str(tiny.corpus_dir), "--index", str(tiny.index_dir)]
    assert main(["-v", "index", *folders]) == 0
    out = capsys.readouterr().out
    assert "dropped quince.txt:5 (advertising or spam): 'Watch free movies" in out, out
    assert json.loads((tiny.index_dir / "manifest.json").read_text())["n_documents"] == 1
