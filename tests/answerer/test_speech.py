"""Whose words a sentence quotes and whose a question asks for; a question for someone's
words answered with theirs, through the real pipeline."""

from __future__ import annotations

import doctest
from types import SimpleNamespace
from typing import Any

import rag.answerer.speech
from rag.answerer.speech import (
    REFERRED_MARGIN,
    Speakers,
    asked_speaker,
    referred,
    same_person,
    speaker,
    unstated,
    wanted,
)
from rag.pipeline import as_turn
from rag.schema import Sentence
from rag.text import corpus_names


def test_the_speech_doctests_hold():
    assert doctest.testmod(rag.answerer.speech).failed == 0


def test_a_speaker_is_read_from_the_verb_of_speech_beside_a_name():
    assert speaker("Says Daniels, “We shot out in the streets.”") == "Daniels"
    assert speaker("Baker continues, “Seeing her playing different roles …”") == "Baker"
    assert speaker("Mark Eydelshteyn, who played Vanya, said he felt the need.") == (
        "Mark Eydelshteyn"
    )
    assert speaker("“Those scenes were exhilarating,” says Madison.") == "Madison"
    assert speaker("“People think he’s spoiled,” Eydelshteyn said, “but …”") == "Eydelshteyn"
    assert speaker("“This felt right up my alley,” he comments.") == "he"
    # a name that is not speaking: the verb is not one of speech, or is a participle
    assert speaker("Baker noted for using non professional actors, blurred the line.") is None
    assert speaker("Daniels had shot Red Rocket on 16mm film.") is None


def test_a_pronoun_or_a_continued_quotation_takes_the_speaker_before_it():
    texts = [
        "Daniels had shot Red Rocket on 16mm film.",  # the one a later "he" is about
        "“This project felt right up my alley from the beginning,” he comments.",
        "“Mikey!,” Eydelshteyn exclaims when asked about working with Madison.",
        "“Mikey is a brilliant partner. She’s one of the best people I’ve worked with.”",
        "Madison’s scenes with Borisov had a different tenor.",
        "“I was nervous,” she said.",  # after a sentence naming no speaker: Madison's?
    ]
    sentences = [Sentence(i, "a.md", 0, 0, t) for i, t in enumerate(texts)]
    names = corpus_names(texts)
    names.update({"daniels": "Daniels", "madison": "Madison"})
    found = Speakers(sentences, names).by_id
    assert found.get(0) is None
    assert found[1] == "Daniels"
    assert found[2] == found[3] == "Eydelshteyn"
    assert found.get(4) is None
    assert found[5] == "Madison"  # the first name the sentence before uses


def test_a_quotation_no_one_is_named_for_is_said_by_whom_the_sentences_before_are_about():
    texts = [
        "In outfitting the Zakharov mansion, Phelps focused on a few rooms.",
        "While the club’s two levels were styled, other areas were spare.",
        "“There were a lot of dead spaces, so I brought in red tinsel.”",
        "Then he brought in key pieces.",
        "“I wanted a cold kind of feeling to the interiors,” he remarks.",
        "Sean Baker affirms it: “I’ve wanted to find a vehicle for Karren Karagulian.”",
        "“I’ve wanted to find a vehicle for Karren Karagulian,” Baker affirms.",
    ]
    sentences = [Sentence(i, "a.md", 0, 0, t) for i, t in enumerate(texts)]
    names = {
        "zakharov": "Zakharov",
        "phelps": "Phelps",
        "baker": "Baker",
        "sean baker": "Sean Baker",
    }
    found = Speakers(sentences, names).by_id
    # two sentences back, past one naming no one; "the Zakharov mansion" names a house
    assert found[2] == "Phelps"
    # "he remarks": the same one, past a sentence whose subject is a pronoun
    assert found[4] == "Phelps"
    # "affirms" is a verb of speech: the name beside it speaks, not the one quoted about
    assert found[6] == "Baker"


def test_a_question_asks_for_someone_s_words_when_they_are_the_subject_of_a_verb_of_view():
    assert asked_speaker("what did mikey say about working with him") == "mikey"
    assert asked_speaker("How does the director describe the ending?") == "the director"
    assert asked_speaker("did he enjoy making it") == "he"
    assert asked_speaker("According to Madison, what is Ani like?") == "Madison"
    assert asked_speaker("did he speak russian in his audition") is None  # a language
    assert asked_speaker("what did they do to the film when shooting") is None
    assert same_person("Madison", ["Mikey Madison"])
    assert not same_person("Eydelshteyn", ["Mikey Madison"])
    assert not same_person("", ["Mikey Madison"])


def test_whom_the_question_means_comes_from_the_corpus_and_the_conversation(pipeline):
    sentences = pipeline.index.sentences
    names = pipeline.names
    speakers = Speakers(sentences, names)
    assert "Mikey Madison" in wanted("mikey", "", names, speakers)
    assert wanted("he", "Drew Daniels", names, speakers) == ["Drew Daniels"]
    assert wanted("he", "", names, speakers) == []  # no referent: nobody in particular
    # the job's holder the articles name most often
    assert same_person("Baker", wanted("the director", "", names, speakers))
    # the lead: the actor the articles credit most, when the generator knows the cast
    assert wanted("the lead actress", "", names, speakers) == []
    cast = Speakers(sentences, names, lead="Mikey Madison")
    assert wanted("the lead actress", "", names, cast) == ["Mikey Madison"]


def test_the_lead_actress_s_words_answer_what_the_lead_actress_said(pipeline):
    answer = pipeline.ask("what did the lead actress say about the ending")
    speakers = Speakers(pipeline.index.sentences, pipeline.names)
    opening = answer.citations[0].sentence
    sid = next(s.id for s in pipeline.index.sentences if s.text == opening)
    assert same_person(speakers.by_id.get(sid, ""), ["Mikey Madison"]), answer.text


def test_what_someone_said_is_answered_with_their_own_words(pipeline):
    """Asked what Madison said about working with Mark, the answer opens with Madison
    speaking, not with Eydelshteyn talking about her."""
    first = pipeline.ask("who is mark eydelshteyn")
    answer = pipeline.ask("what did mikey say about working with him", history=[as_turn(first)])
    assert not answer.abstained
    speakers = Speakers(pipeline.index.sentences, pipeline.names)
    opening = answer.citations[0].sentence
    sid = next(s.id for s in pipeline.index.sentences if s.text == opening)
    assert same_person(speakers.by_id.get(sid, ""), ["Mikey Madison"]), answer.text


def test_a_full_name_the_articles_never_write_whole_stands_for_its_parts(pipeline):
    names = pipeline.names
    speakers = Speakers(pipeline.index.sentences, names)
    assert "yura borisov" not in names  # the articles say "Yura" and "Borisov", apart
    assert wanted("yura borisov", "", names, speakers) == ["Yura", "Borisov"]
    assert wanted("yura nobody", "", names, speakers) == []  # every part must be a name


def test_someone_else_s_words_are_not_passed_off_as_the_asked_speaker_s(pipeline):
    """The articles quote Madison on Borisov's Igor, never Borisov on Igor: the answer may
    quote her, and a notice says whose words they are not."""
    answer = pipeline.ask("what did yura borisov say about igor")
    assert not answer.abstained
    assert "The articles quote nothing Borisov said about this" in " ".join(answer.notices)
    assert "Madison" in answer.text  # what the articles do say, cited as usual
    # his own words exist about Madison: quoted, and no notice
    own = pipeline.ask("what did borisov say about mikey")
    assert "Mikey is very powerful" in own.text
    assert not any("quote nothing" in n for n in own.notices)


def _said(sid: int, text: str, score: float) -> Any:
    return SimpleNamespace(sentence=SimpleNamespace(id=sid, text=text), score=score)


def test_a_sentence_about_whom_the_pronoun_stands_for_leads_when_it_is_close():
    speakers: Any = SimpleNamespace(by_id={2: "Eydelshteyn"})
    ivan = _said(1, "She isn't expecting him to arrive as a coltish Russian.", 1.4)
    own = _said(2, "“I tried to mix English and Russian, mostly I talked in Russian.”", 1.0)
    role = _said(3, "Ivan speaks Russian with his parents.", 1.2)
    far = _said(4, "Mark Eydelshteyn learned lines in Russian.", 1.4 - REFERRED_MARGIN - 0.1)
    asked = "did he speak russian in his audition"
    # spoken by him (the quotation's speaker), ahead of a closer sentence about no one he is
    got = referred([ivan, own, far], asked, "Mark Eydelshteyn", ["Ivan"], speakers)
    assert got == [own, ivan, far]
    # his role's name counts as him, and the closest such sentence leads
    assert referred([ivan, role, own], asked, "Mark Eydelshteyn", ["Ivan"], speakers)[0] is role
    # beyond the margin, or with no pronoun or no referent, the order stands
    assert referred([ivan, far], asked, "Mark Eydelshteyn", [], speakers) == [ivan, far]
    assert referred([ivan, own], "did mark speak russian", "Mark", [], speakers) == [ivan, own]
    assert referred([ivan, own], asked, "", [], speakers) == [ivan, own]


def test_a_follow_up_about_the_actor_just_named_is_answered_by_his_own_words(pipeline):
    history = ["who is vanya", "who plays him"]
    answer = pipeline.ask("did he speak russian when he auditioned", history)
    assert "mostly I talked in Russian" in " ".join(answer.text.split()[:25]), answer.text


def test_is_he_y_is_unstated_unless_a_close_sentence_about_him_says_y():
    speakers: Any = SimpleNamespace(by_id={2: "Eydelshteyn"})
    own = _said(1, "Borisov was equally impressed by his co-star.", 1.4)
    other = _said(2, "“I tried to mix English and Russian, mostly I talked in Russian.”", 1.0)
    role = _said(3, "Toros dispatched a Russian named Igor to stand guard.", 0.5)
    asked = "is he russian"
    # about him without "Russian", and "Russian" said by someone else: the articles do not say
    assert unstated([own, other], asked, "Borisov", ["Igor"], speakers)
    # a sentence stating it of his role does
    assert not unstated([own, other, role], asked, "Borisov", ["Igor"], speakers)
    # only "is he/she Y?" with a referent is read so
    assert not unstated([own, other], "did he speak russian", "Borisov", ["Igor"], speakers)
    assert not unstated([own, other], asked, "", [], speakers)


def test_is_he_y_about_an_actor_the_articles_never_call_y_declines(pipeline):
    answer = pipeline.ask("is he russian", ["who plays igor"])
    assert answer.abstained, answer.text
