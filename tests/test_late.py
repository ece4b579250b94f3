"""Late interaction (``rag.late``): the arithmetic, the stored pieces, and what it buys.

The arithmetic is checked against a brute-force loop on the real index's word-piece
vectors; the gain is checked on the gold set's paraphrase questions, with the real
embedder, against the sentence cosine it complements.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import rag.late
from rag.evaluation import load_gold
from rag.late import TokenIndex
from rag.schema import TokenVectors

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"


def _brute_force(index: TokenIndex, query: TokenVectors, sid: int) -> np.ndarray:
    start, end = index.offsets[sid], index.offsets[sid + 1]
    if end == start:
        return np.zeros(len(query))
    return (query.vectors @ index.vectors[start:end].T).max(axis=1)


def test_scores_match_a_brute_force_loop(pipeline) -> None:
    index = pipeline.index.tokens
    _, query = pipeline.embedder.embed_query_with_tokens(
        "Who was the director of photography on Anora, and what film did he shoot it on?"
    )
    sids = [0, 5, 17, len(index) - 1, 3]
    matches = index.best_matches(query, sids)
    weights = index.weights(query)
    for row, sid in enumerate(sids):
        np.testing.assert_allclose(matches[row], _brute_force(index, query, sid), atol=1e-5)
    np.testing.assert_allclose(
        index.sentence_scores(query, sids), matches @ weights, rtol=1e-5, atol=1e-6
    )
    passages = [pipeline.index.chunks[i].sentence_ids for i in (0, 7, 20)]
    whole, best = index.passage_scores(query, passages)
    for i, sentence_ids in enumerate(passages):
        each = np.stack([_brute_force(index, query, s) for s in sentence_ids])
        assert whole[i] == pytest.approx(float(each.max(axis=0) @ weights), abs=1e-5)
        assert best[i] == pytest.approx(float((each @ weights).max()), abs=1e-5)
        assert whole[i] >= best[i] - 1e-6  # the whole passage matches at least its best sentence


def test_rare_pieces_weigh_more_and_unknown_ones_most(pipeline) -> None:
    index = pipeline.index.tokens
    tokenizer = pipeline.embedder.encoder.tokenizer
    _, query = pipeline.embedder.embed_query_with_tokens("the cinematography of xylophones")
    weights = dict(
        zip((tokenizer.id_to_token(int(i)) for i in query.ids), index.weights(query), strict=True)
    )
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["the"] < weights["cinematography"] / 3  # nearly every sentence has "the"
    assert weights["##ophone"] == pytest.approx(max(weights.values()))  # in no sentence


def test_the_inner_sentence_that_answers_scores_best_and_parts_must_add_up(pipeline) -> None:
    from rag.answerer.excerpt import _PIECES

    index, embedder = pipeline.index.tokens, pipeline.embedder
    # every paragraph of several inner sentences splits into parts matching its stored pieces
    paragraphs = [s for s in pipeline.index.sentences if len(_PIECES.split(s.text)) > 1]
    _, query = embedder.embed_query_with_tokens("Which comedian did she say he reminded her of?")
    for sentence in paragraphs:
        parts = [embedder.content_ids(p) for p in _PIECES.split(sentence.text)]
        scores = index.part_scores(query, sentence.id, parts)
        assert scores is not None and len(scores) == len(parts)
        # the whole sentence's score is the weighted best match over all its parts
        whole = index.sentence_scores(query, [sentence.id])[0]
        assert max(scores) <= whole + 1e-5
    chaplin = next(s for s in paragraphs if "Charlie Chaplin" in s.text)
    pieces = _PIECES.split(chaplin.text)
    scores = index.part_scores(query, chaplin.id, [embedder.content_ids(p) for p in pieces])
    assert "Chaplin" in pieces[int(np.argmax(scores))]
    assert index.part_scores(query, chaplin.id, [embedder.content_ids(pieces[0])]) is None


def test_empty_inputs_score_zero(pipeline) -> None:
    index = pipeline.index.tokens
    nothing = TokenVectors(np.zeros(0, dtype=np.int32), np.zeros((0, 384), dtype=np.float32))
    assert index.sentence_scores(nothing, [0, 1]).tolist() == [0.0, 0.0]
    whole, best = index.passage_scores(nothing, [[0, 1], [2]])
    assert whole.tolist() == best.tolist() == [0.0, 0.0]
    _, query = pipeline.embedder.embed_query_with_tokens("Who shot it?")
    assert index.best_matches(query, []).shape == (0, len(query))
    whole, best = index.passage_scores(query, [[], [0, 1]])
    assert whole[0] == best[0] == 0.0 and whole[1] >= best[1] - 1e-6 and best[1] > 0.0
    empty = TokenIndex.from_sentences([nothing, nothing], 384)  # sentences without pieces
    assert empty.sentence_scores(query, [0, 1]).tolist() == [0.0, 0.0]


def test_rare_scores_match_only_the_rarest_pieces(pipeline) -> None:
    """``rare_scores`` is the mean best match of the question's three highest-IDF pieces:
    the son-of sentence holds "dad"'s nearest piece, the Karagulian quote does not."""
    index = pipeline.index.tokens
    _, query = pipeline.embedder.embed_query_with_tokens(
        "What did the director's dad do for a living?"
    )
    sentences = pipeline.index.sentences
    son = next(s.id for s in sentences if "the son of a patent attorney" in s.text)
    quote = next(s.id for s in sentences if "filmmaker from head to toe" in s.text)
    rarest = np.argsort(-index.weights(query), kind="stable")[:3]
    matches = index.best_matches(query, [son, quote])
    np.testing.assert_allclose(
        index.rare_scores(query, [son, quote]), matches[:, rarest].mean(axis=1), rtol=1e-6
    )
    assert index.rare_scores(query, [son])[0] > index.rare_scores(query, [quote])[0]
    nothing = TokenVectors(np.zeros(0, dtype=np.int32), np.zeros((0, 384), dtype=np.float32))
    assert index.rare_scores(nothing, [son]).tolist() == [0.0]


def test_stored_pieces_are_the_embedders_within_float16(pipeline) -> None:
    index = pipeline.index
    sample = [0, 40, 120, len(index.sentences) - 1]
    _, fresh = pipeline.embedder.embed_with_tokens([index.sentences[i].text for i in sample])
    _, query = pipeline.embedder.embed_query_with_tokens("Where did Baker go to film school?")
    rebuilt = TokenIndex.from_sentences(fresh, 384)
    for row, sid in enumerate(sample):
        start, end = index.tokens.offsets[sid], index.tokens.offsets[sid + 1]
        assert np.array_equal(index.tokens.ids[start:end], fresh[row].ids)
        assert np.abs(index.tokens.vectors[start:end] - fresh[row].vectors).max() < 2e-3
    stored = index.tokens.best_matches(query, sample)
    assert np.abs(stored - rebuilt.best_matches(query, range(len(sample)))).max() < 1e-3


def test_late_interaction_finds_paraphrased_evidence_better_than_the_sentence_cosine(
    pipeline,
) -> None:
    """On the gold paraphrase questions (answer in other words than the question's), the
    evidence sentence ranks higher among all sentences by late interaction than by cosine."""
    index = pipeline.index
    texts = [s.text for s in index.sentences]
    late_rr, dense_rr = [], []
    for item in load_gold(GOLD):
        if item.kind != "paraphrase":
            continue
        targets = [i for i, t in enumerate(texts) if any(e in t for e in item.evidence)]
        if not targets:
            continue
        vector, tokens = pipeline.embedder.embed_query_with_tokens(item.question)
        late = index.tokens.sentence_scores(tokens, range(len(texts)))
        dense = index.sentence_vectors @ vector
        late_rr.append(1 / (1 + min(int((late > late[t]).sum()) for t in targets)))
        dense_rr.append(1 / (1 + min(int((dense > dense[t]).sum()) for t in targets)))
    assert len(late_rr) >= 20
    # measured 0.74 against 0.38
    assert np.mean(late_rr) > np.mean(dense_rr) + 0.2, (np.mean(late_rr), np.mean(dense_rr))


def test_doctests() -> None:
    assert doctest.testmod(rag.late).failed == 0
