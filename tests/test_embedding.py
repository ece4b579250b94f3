"""The embedder: the NumPy backend gives the reference's vectors, and backends are chosen safely.

Both backends run the real all-MiniLM-L6-v2 from the installed package; the
reference is sentence-transformers itself.
"""

from __future__ import annotations

import doctest
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import rag.bert
from rag.embedding import (
    NumpyEmbedder,
    SentenceTransformerEmbedder,
    default_model_path,
    get_embedder,
)
from rag.errors import ConfigError

ODD_TEXTS = [
    "",
    "   ",
    "Who shot the film?",
    "Anora — «Ани» 🎬 café\u200b\x00\x07 <b>bold</b> &amp;",
    "word " * 2000,  # far past the 256 word pieces the model reads
]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    embedder = get_embedder(backend="sentence-transformers")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


@pytest.fixture(scope="module")
def corpus_texts(pipeline) -> list[str]:
    """Every text the index embeds: passages with their headers, then sentences."""
    index = pipeline.index
    return [c.embed_text for c in index.chunks] + [s.text for s in index.sentences]


def test_default_backend_is_numpy(embedder) -> None:
    assert isinstance(embedder, NumpyEmbedder)
    assert get_embedder(backend="auto") is embedder
    assert embedder.dim == 384


def test_numpy_vectors_match_sentence_transformers(embedder, reference, corpus_texts) -> None:
    texts = corpus_texts + ODD_TEXTS
    ours, theirs = embedder.embed(texts), reference.embed(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5
    assert (ours * theirs).sum(axis=1).min() > 0.99999
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # one at a time (the question path) gives the batched vectors
    for i in (0, len(corpus_texts) - 1, len(texts) - 1):
        assert np.abs(embedder.embed_query(texts[i]) - ours[i]).max() < 1e-5


def test_word_piece_vectors_match_sentence_transformers(embedder, reference, corpus_texts) -> None:
    """Late interaction reads the last layer's word-piece states: both backends agree."""
    texts = corpus_texts[-60:] + ODD_TEXTS
    ours_vectors, ours = embedder.embed_with_tokens(texts)
    theirs_vectors, theirs = reference.embed_with_tokens(texts)
    assert np.abs(ours_vectors - embedder.embed(texts)).max() < 1e-6  # same pass, same vectors
    assert np.abs(ours_vectors - theirs_vectors).max() < 1e-5
    for text, a, b in zip(texts, ours, theirs, strict=True):
        assert np.array_equal(a.ids, b.ids), text
        assert a.vectors.shape == (len(a.ids), 384) and a.vectors.dtype == np.float32
        if len(a):
            assert np.abs(a.vectors - b.vectors).max() < 1e-4, text
            np.testing.assert_allclose(np.linalg.norm(a.vectors, axis=1), 1.0, atol=1e-5)
    # content pieces only: no [CLS], [SEP] or punctuation; "   " has none at all
    tokenizer = embedder.encoder.tokenizer
    pieces = [tokenizer.id_to_token(int(i)) for i in ours[texts.index(ODD_TEXTS[2])].ids]
    assert pieces == ["who", "shot", "the", "film"]
    assert len(ours[texts.index("   ")]) == 0
    # the question path gives what the batch gave
    vector, tokens = embedder.embed_query_with_tokens(ODD_TEXTS[2])
    assert np.abs(vector - ours_vectors[texts.index(ODD_TEXTS[2])]).max() < 1e-6
    assert np.array_equal(tokens.ids, ours[texts.index(ODD_TEXTS[2])].ids)


def test_word_pieces_and_truncation_match_the_reference(embedder, reference) -> None:
    for text in [*ODD_TEXTS, "The director of photography was Drew Daniels."]:
        assert embedder.count_wordpieces(text) == reference.count_wordpieces(text)
        assert embedder.truncate(text) == reference.truncate(text)
        assert embedder.word_pieces(text) == reference.word_pieces(text)
    assert embedder.word_pieces("brighten") == ["bright", "##en"]
    long = "word " * 2000
    assert embedder.count_wordpieces(embedder.truncate(long)) == embedder.max_wordpieces


def test_empty_input_gives_an_empty_matrix(embedder) -> None:
    assert embedder.embed([]).shape == (0, 384)


def _model_copy(tmp_path: Path, **pooling: bool) -> Path:
    """The packaged model folder, linked file by file, with another pooling config."""
    source, target = default_model_path(), tmp_path / "model-copy"
    shutil.copytree(source, target, copy_function=lambda s, d: Path(d).symlink_to(s))
    config = target / "1_Pooling" / "config.json"
    settings = json.loads(Path(source / "1_Pooling" / "config.json").read_text())
    config.unlink()
    config.write_text(json.dumps({**settings, **pooling}))
    return target


def test_unsupported_folder_falls_back_or_says_why(tmp_path: Path) -> None:
    folder = _model_copy(tmp_path, pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    assert "mean pooling" in (rag.bert.supported(folder) or "")
    assert isinstance(get_embedder(str(folder)), SentenceTransformerEmbedder)
    with pytest.raises(ConfigError, match=r"numpy embedding backend cannot run .*mean pooling"):
        get_embedder(str(folder), backend="numpy")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown embedding backend 'gpu'"):
        get_embedder(backend="gpu")


def test_docstring_examples() -> None:
    assert doctest.testmod(rag.bert, optionflags=doctest.ELLIPSIS).failed == 0
