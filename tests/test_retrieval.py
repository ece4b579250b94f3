"""Dense, BM25 and hybrid retrieval over the real index; duplicates; follow-up context."""

from __future__ import annotations

import pytest

from rag.conversation import (
    answer_names,
    asks_for_person,
    contextualize,
    needs_context,
    resolve,
)
from rag.errors import ConfigError
from rag.retrieval import RETRIEVERS, Query, dedupe
from rag.schema import Chunk, Turn
from rag.text import terms
from rag.thesaurus import alternatives, covered, expand


@pytest.mark.parametrize("name", RETRIEVERS)
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who was the director of photography?", "director of photography, Drew Daniels"),
        ("How many days did the production shoot in Las Vegas?", "3 days in Las Vegas"),
        ("Which hotel was used for the Las Vegas scenes?", "The Palms Hotel and Casino"),
    ],
)
def test_each_retriever_finds_the_known_passage(pipeline, name, question, expected):
    hits = pipeline.retrieve(question, retriever=name, k=5)
    assert any(expected in h.chunk.text for h in hits), [h.chunk.id for h in hits]
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(h.score > 0 for h in hits)


def test_hybrid_keeps_every_raw_score(pipeline):
    hits = pipeline.retrieve("Drew Daniels 16mm Red Rocket", retriever="hybrid", k=5)
    assert all("dense" in h.scores for h in hits)
    assert any("bm25" in h.scores for h in hits)
    assert any("bm25_sentence" in h.scores for h in hits)
    # late interaction scores every passage of the pool, in both of its views
    assert all("late" in h.scores and "late_sentence" in h.scores for h in hits)
    assert all(h.scores["late"] >= h.scores["late_sentence"] - 1e-6 for h in hits)


def test_a_year_the_question_names_ranks_the_passages_that_say_it(pipeline):
    from rag.retrieval import year_ranking

    chunks = pipeline.index.chunks
    ranking = [(i, 1.0) for i in range(len(chunks))]
    ((name, dated),) = year_ranking("what movie did baker make in 2004", ranking, chunks)
    assert name == "year" and dated and all("2004" in chunks[p].text for p, _ in dated)
    assert year_ranking("what movie did baker make first", ranking, chunks) == []
    hits = pipeline.retrieve("what movie did baker make in 2004", retriever="hybrid", k=5)
    assert any("Take Out (2004)" in h.chunk.text and "year" in h.scores for h in hits)
    assert pipeline.ask("what movie did baker make in 2004").short_answer == "Take Out"


def test_hybrid_without_word_pieces_fuses_the_other_three(pipeline):
    """A bare vector query (another caller, the scale benchmark) still gets hybrid results."""
    question = "Who was the director of photography?"
    vector, tokens = pipeline.embedder.embed_query_with_tokens(question)
    hybrid = pipeline.retriever("hybrid")
    bare = hybrid.retrieve(Query(question, vector), 5)
    full = hybrid.retrieve(Query(question, vector, tokens), 5)
    assert bare and not any("late" in h.scores for h in bare)
    assert any("director of photography, Drew Daniels" in h.chunk.text for h in bare + full)


def test_late_interaction_ranks_a_paraphrase_first(pipeline):
    """ "raised" meets "grew up": both late rankings put the passage that says where Baker
    grew up above every other passage, though that sentence shares no content word with it."""
    question = "In which state was the filmmaker raised?"
    _, tokens = pipeline.embedder.embed_query_with_tokens(question)
    hybrid = pipeline.retriever("hybrid")
    pool = list(range(len(pipeline.index.chunks)))
    late = dict(hybrid.late(tokens, pool))
    chunks = pipeline.index.chunks
    holds = {p for p in pool if "grew up in New Jersey" in chunks[p].text}
    assert late["late_sentence"][0][0] in holds and late["late"][0][0] in holds


def test_passages_ranked_by_their_best_sentence(pipeline):
    """Each passage scores as its best sentence does, and sentences shared by two passages
    (the overlap) rank both."""
    bm25 = pipeline.retriever("bm25")
    index = pipeline.index
    query = Query("pool hall video arcade Tatiana", pipeline.embedder.embed_query("x"))
    ranked = bm25.by_best_sentence(query, 10)
    assert ranked, "the query's words are in the corpus"
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)
    top_position = ranked[0][0]
    assert "Tatiana" in index.chunks[top_position].text
    best = {sid: score for sid, score in bm25_sentence_scores(bm25, query)}
    for position, score in ranked:
        own = [best.get(sid, 0.0) for sid in index.chunks[position].sentence_ids]
        assert score == pytest.approx(max(own))
    assert bm25.by_best_sentence(Query("the of and", query.vector), 10) == []


def bm25_sentence_scores(bm25, query):
    """Every sentence's BM25 score for the query, straight from the sentence index."""
    from rag.text import terms

    scores = bm25.sentences.get_scores(terms(query.text))
    return [(sid, float(score)) for sid, score in enumerate(scores) if score > 0]


def test_no_passage_is_returned_twice(pipeline):
    for name in RETRIEVERS:
        hits = pipeline.retrieve("What did Madison say about Sean Baker?", retriever=name, k=10)
        ids = [h.chunk.id for h in hits]
        assert len(ids) == len(set(ids))
        seen: set[int] = set()
        for h in hits:
            shared = seen & set(h.chunk.sentence_ids)
            assert len(shared) <= len(h.chunk.sentence_ids) / 2
            seen |= set(h.chunk.sentence_ids)


def test_dedupe_drops_overlapping_and_identical_passages():
    def chunk(cid, ids, text):
        return Chunk(cid, "a.txt", "A", None, 0, 1, text, ids, 5)

    chunks = [
        chunk("a#0", (1, 2, 3), "one two three"),
        chunk("a#1", (2, 3), "two three"),
        chunk("b#0", (7, 8), "one  TWO three"),
        chunk("c#0", (9,), "nine"),
    ]
    hits = dedupe(chunks, [(0, 1.0, {}), (1, 0.9, {}), (2, 0.8, {}), (3, 0.7, {})], k=5)
    assert [h.chunk.id for h in hits] == ["a#0", "c#0"]


def test_bm25_with_no_content_words_returns_nothing(pipeline):
    vector = pipeline.embedder.embed_query("the of and")
    assert pipeline.retriever("bm25").retrieve(Query("the of and", vector), 5) == []


def test_unknown_retriever_lists_the_valid_ones(pipeline):
    with pytest.raises(ConfigError, match="choose one of: dense, bm25, hybrid"):
        pipeline.retrieve("x", retriever="magic")


@pytest.mark.parametrize(
    ("question", "dependent"),
    [
        ("How did he prepare for it?", True),
        ("And how many days there?", True),
        ("What about Las Vegas?", True),
        ("Why?", True),
        ("Who was the director of photography on Anora?", False),
        ("Where was the Las Vegas portion of Anora shot?", False),
    ],
)
def test_follow_up_detection(question, dependent):
    assert needs_context(question) is dependent


def test_follow_up_query_carries_the_history_and_finds_the_passage(pipeline):
    history = ["Where was the Las Vegas portion of Anora shot?"]
    question = "Why was the production designer nervous about the penthouse there?"
    assert contextualize(question, history) == f"{question} {history[0]}"
    hits = pipeline.retrieve(question, history, k=5)
    assert any("looked kind of like the inside of the mansion" in h.chunk.text for h in hits)
    # a question that names its own subject is searched as it is
    alone = pipeline.retrieve("Who was the director of photography on Anora?", history, k=3)
    assert any("Drew Daniels" in h.chunk.text for h in alone)


def test_the_conversation_doctests_hold():
    import doctest

    import rag.canonical
    import rag.conversation
    import rag.text
    import rag.thesaurus

    assert doctest.testmod(rag.conversation).failed == 0
    assert doctest.testmod(rag.canonical).failed == 0
    assert doctest.testmod(rag.text).failed == 0
    assert doctest.testmod(rag.thesaurus).failed == 0


def test_function_words_are_dropped_and_negations_kept():
    # "according to" and "besides" say nothing about the topic; "no" and "not" do
    assert terms("According to the dancers, besides tips") == ["dancer", "tip"]
    assert terms("young men are not big spenders") == terms("young men aren't big spenders")
    assert "no" in terms("He has no interest in television")


def test_an_irregular_past_meets_its_present():
    # "give" in the question, "gave" in the article; "left" and "found" are other words too
    assert terms("Baker gave her the script he wrote") == terms(
        "Baker give her the script he write"
    )
    assert terms("It won the Palme") == terms("did it win the Palme")
    assert terms("she left") == ["left"] and terms("he found it") == ["found"]


def test_an_irregular_verb_finds_the_passage_its_past_is_in(pipeline):
    # the article: "Baker ... also gave Madison a handful of movies"
    hits = pipeline.retrieve("did baker give madison anything to prepare", retriever="bm25", k=5)
    assert any("gave Madison a handful of movies" in h.chunk.text for h in hits)


def test_a_synonym_stands_for_a_question_term_as_a_whole_expression():
    alts = alternatives(terms("Who was the director of photography?"))
    # both words of "director of photography" stand for "cinematographer", "DP", ...
    assert frozenset({"dp"}) in alts["director"] and alts["director"] == alts["photographi"]
    assert not alternatives(terms("Who was the director?"))  # "director" alone is not a DP
    # a sentence covers a term through any of its expressions, multi-word ones whole
    cine = alternatives(["cinematograph"])
    assert covered("cinematograph", frozenset(terms("Baker and DP Drew Daniels")), cine)
    assert covered("cinematograph", frozenset(terms("his director of photography")), cine)
    assert not covered("cinematograph", frozenset(terms("the director of the film")), cine)
    assert expand(["anora"]) == ["anora"]


@pytest.mark.parametrize("name", ["bm25", "hybrid"])
@pytest.mark.parametrize(
    "question", ["Who handled the cinematography on Anora?", "Who was Anora's cinematographer?"]
)
def test_a_film_making_synonym_finds_what_the_articles_say_otherwise(pipeline, name, question):
    # no article says "cinematography" or "cinematographer": they say "director of
    # photography" and "DP"; BM25 alone found nothing for the first question before
    hits = pipeline.retrieve(question, retriever=name, k=5)
    assert any("Drew Daniels" in h.chunk.text for h in hits), [h.chunk.id for h in hits]
    answer = pipeline.ask(question, retriever=name)
    assert "Drew Daniels" in answer.text and not answer.abstained


def test_a_follow_up_after_a_synonym_is_searched_by_the_name_found(pipeline):
    history = ["Who handled the cinematography on Anora?"]
    answer = pipeline.ask("On what gauge of film had he shot Baker's previous film?", history)
    assert "Drew Daniels" in answer.retrieval_query
    assert "16mm" in answer.text and not answer.abstained


@pytest.mark.parametrize(
    ("question", "for_person"),
    [
        ("Who plays Ivan in Anora?", True),
        ("Which actor plays Igor?", True),
        ("Who handled the cinematography on Anora?", True),
        ("Which consultant helped Baker shape the character of Ani?", True),
        ("Who is Samantha Quan in relation to Sean Baker?", False),  # names its person
        ("Who's Mikey Madison?", False),
        ("Which horror film convinced Baker to cast Madison?", False),
        ("Where was Anora shot?", False),
    ],
)
def test_a_question_asking_for_a_person_is_told_from_one_naming_them(question, for_person):
    assert asks_for_person(question) is for_person


def test_a_pronoun_stands_for_the_previous_answer_only_after_a_question_for_a_person():
    names = {"ivan": "Ivan", "samantha quan": "Samantha Quan"}
    ivan = Turn(
        "Who plays Ivan?",
        answer="Mark Eydelshteyn — She meets Ivan, played by Mark Eydelshteyn. [1]",
        short_answer="Mark Eydelshteyn",
    )
    resolved = resolve("What did he say about her?", [ivan], names)
    assert resolved.referent == "Mark Eydelshteyn"
    assert resolved.question == "What did he say about her? Mark Eydelshteyn"
    quan = Turn("Who is Samantha Quan?", answer="Samantha Quan, a producer, says so. [1]")
    # the question named its person: searched with it, no answer read for a name
    assert resolve("What did she say about him?", [quan], names).referent == ""
    assert not resolve("When was it released?", [ivan], names).follow_up  # "it": the film
    assert not resolve("What did he say?", [], names).follow_up
    # the names the answer adds, not those the questions already hold, nor a sentence opener
    answer = (
        "Comments Madison, “I would turn to Yura in a scene.” [1] Mark Eydelshteyn laughed. [2]"
    )
    assert answer_names(answer, "Which actor plays Igor? How did he describe Madison?") == ["Yura"]
    assert answer_names("I couldn't find that in the articles.", "Who plays Ivan?") == []


def test_a_follow_up_about_the_person_just_named_is_searched_by_that_name(pipeline):
    # "him" is the actor who plays Ivan; the passage comparing him to Chaplin says "Mark",
    # never "Ivan", so the words of the earlier question alone do not find it
    history = ["Who plays Ivan in Anora?"]
    question = "Which silent-era comedian did Madison compare him to?"
    answer = pipeline.ask(question, history)
    assert "Mark Eydelshteyn" in answer.retrieval_query
    assert "Ivan" not in answer.retrieval_query
    hits = pipeline.retrieve(question, history, k=5)
    assert any("Charlie Chaplin" in h.chunk.text for h in hits)
    assert "Chaplin" in answer.text and not answer.abstained
    # after "Who is Samantha Quan ...?" the pronoun is the person named, and the history stays
    history = ["Who is Samantha Quan in relation to Sean Baker?"]
    question = "What does she say he has always been interested in?"
    assert pipeline.ask(question, history).retrieval_query == f"{question} {history[0]}"


def test_hybrid_ranks_the_passages_a_conversation_points_to(pipeline):
    question = "Who was the director of photography?"
    vector, tokens = pipeline.embedder.embed_query_with_tokens(question)
    hybrid = pipeline.retriever("hybrid")
    plain = hybrid.retrieve(Query(question, vector, tokens), 30)
    # a passage the question alone ranks low joins as one more list, with its own score
    low = next(h for h in reversed(plain) if "conversation" not in h.scores)
    position = pipeline.index.chunk_position[low.chunk.id]
    pointed = hybrid.retrieve(Query(question, vector, tokens, follows=(position,)), 30)
    moved = next(h for h in pointed if h.chunk.id == low.chunk.id)
    assert moved.rank < low.rank and moved.scores["conversation"] == 1.0
    assert not any("conversation" in h.scores for h in plain)
    # dense and BM25 rank by their own scores alone
    dense = pipeline.retriever("dense").retrieve(Query(question, vector, follows=(position,)), 5)
    assert [h.chunk.id for h in dense] == [
        h.chunk.id for h in pipeline.retrieve(question, retriever="dense")
    ]


def test_the_passage_following_a_cited_one_is_the_next_of_the_same_article(pipeline):
    chunks = pipeline.index.chunks
    first, second = chunks[0], chunks[1]
    assert first.source == second.source
    assert pipeline.following([first.id, first.id, "no-such-chunk"]) == (1,)
    last = max(i for i, c in enumerate(chunks) if c.source == first.source)
    assert pipeline.following([chunks[last].id]) == ()  # the next passage is another article's


def test_a_follow_up_about_the_person_just_named_looks_past_the_passage_naming_him(pipeline):
    # the answer to "Which actor plays Igor?" names him "Borisov" (the sentence crediting him);
    # what he said of her is in a passage that never says "Igor"
    history = ["Which actor plays Igor?"]
    question = "What did he say Mikey was to him while they made the film?"
    hits = pipeline.retrieve(question, history, k=5)
    assert any("like a sister" in h.chunk.text for h in hits), [h.chunk.id for h in hits]
    assert any("conversation" in h.scores for h in hits)
    assert "like a sister" in pipeline.ask(question, history).text
