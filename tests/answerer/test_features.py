"""Sentence and answer features on the real index."""

from __future__ import annotations

import pytest


def test_sentence_features_see_the_next_sentence_and_new_names(pipeline):
    from rag.answerer import ExtractiveGenerator

    generator = ExtractiveGenerator(pipeline.resources)
    request, _, _ = pipeline.prepare("What is Ani's surname?")
    candidates = generator.candidates(request)

    # next_lex is the question coverage of the sentence that follows in the article
    by_id = {c.sentence.id: c for c in candidates}
    pairs = [
        (c, by_id[c.sentence.id + 1])
        for c in candidates
        if c.sentence.id + 1 in by_id
        and by_id[c.sentence.id + 1].sentence.source == c.sentence.source
    ]
    assert pairs
    assert all(c.features.next_lex == nxt.features.lex for c, nxt in pairs)

    # the rarest proper noun the question does not use: the surname, once in the corpus
    surname = next(c for c in candidates if "Mikheeva" in c.sentence.text)
    assert surname.features.name == max(c.features.name for c in candidates) == 1.0
    bare = [
        c
        for c in candidates
        if "Ani" not in c.sentence.text
        and not any(w[:1].isupper() for w in c.sentence.text.split()[1:])
    ]
    assert bare and all(c.features.name == 0.0 for c in bare)


def test_a_title_s_words_cover_only_a_question_that_names_the_title(pipeline):
    from rag.answerer import ExtractiveGenerator

    features = ExtractiveGenerator(pipeline.resources).features
    sid = next(s.id for s in pipeline.index.sentences if "“Die Hard.”" in s.text)
    said = features.sentence_terms(sid)
    assert {"die", "hard", "make"} <= said  # "he envisioned himself making “Die Hard.”"
    # "what was hard about making it": the sentence says making, not hard
    assert "hard" not in features.said_terms(sid, {"hard", "make"})
    assert "make" in features.said_terms(sid, {"hard", "make"})
    # a question naming the title is covered by it
    assert {"die", "hard"} <= features.said_terms(sid, {"die", "hard"})
    answer = pipeline.ask("what was hard about making it")
    assert "Die Hard" not in answer.text.split("[1]")[0]


@pytest.mark.parametrize(
    "question",
    ["According to Baker, what is the ending about?", "Who was the cinematographer of Anora?"],
)
def test_function_words_and_synonyms_the_corpus_uses_are_not_unknown(pipeline, question):
    # the share of question terms the corpus never uses counts against answering at all:
    # "according" is not such a term, and "cinematographer" is said as "DP" in the articles
    from rag.answerer import ExtractiveGenerator

    generator = ExtractiveGenerator(pipeline.resources)
    request, _, _ = pipeline.prepare(question)
    assert generator.answer_features(request, generator.candidates(request)).oov == 0.0


def test_answer_features_cover_the_question_near_the_best_sentence(pipeline):
    from rag.answerer import ExtractiveGenerator

    generator = ExtractiveGenerator(pipeline.resources)

    def coverage(question: str) -> float:
        request, _, _ = pipeline.prepare(question)
        return generator.answer_features(request, generator.candidates(request)).best_ctx_lex

    answered = coverage("Who was the director of photography on Anora?")
    off_topic = coverage("What is the boiling point of water at sea level?")
    assert 0.5 < answered <= 1.0
    assert 0.0 <= off_topic < answered


@pytest.mark.parametrize("question", ["Who was the cinematographer?", "who produced it", "Ani"])
def test_the_postings_find_the_sentences_a_scan_would(pipeline, question):
    from rag.text import terms
    from rag.thesaurus import alternatives, covered

    features = pipeline.generator("extractive").features
    wanted = terms(question)
    alts = alternatives(wanted)
    scanned = {
        s.id
        for s in pipeline.index.sentences
        if all(covered(t, features.sentence_terms(s.id), alts) for t in wanted)
    }
    assert features.containing(wanted, alts) == scanned and scanned


def test_a_sentence_that_only_echoes_the_end_of_the_one_before_is_no_candidate(pipeline):
    """The source repeats "Vanya's relatives." after a sentence ending in those words; the
    echo is never a candidate, and the sentence it echoes still is."""
    from rag.answerer import ExtractiveGenerator

    generator = ExtractiveGenerator(pipeline.resources)
    sentences = pipeline.index.sentences
    echoes = generator.features.echoes
    assert [sentences[i].text for i in echoes] == ["Vanya’s relatives."]
    request, _, _ = pipeline.prepare("what kind of guy is vanya")
    texts = [c.sentence.text for c in generator.candidates(request)]
    assert "Vanya’s relatives." not in texts
    (echo,) = echoes
    assert sentences[echo - 1].text.endswith("hatched by Vanya’s relatives.")
    hits = generator.hits_for([echo - 1])
    assert [
        c.sentence.id for c in generator.candidates(request, hits=hits) if c.sentence.id == echo - 1
    ]
