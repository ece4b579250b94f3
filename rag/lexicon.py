"""The project's word lists and text patterns, each defined once.

Knowledge the code reads but does not compute lives here as data: English
function words, pronouns, the nouns that name a person by their job, film-making
synonyms, the citation-marker pattern and the sentence shown when the articles do
not answer.  Modules import these names; none keeps a private copy.

What this module does not do: tokenise, stem or match (``rag.text``,
``rag.thesaurus``); every entry is plain data.
"""

from __future__ import annotations

import re

# English function words plus question words; content words (and negations) survive
# ``rag.text.terms``.  "according", "besides", "despite", "will", "must" ... are here
# because the corpus-rarity feature counted them as rare words (docs/experiments.md).
# fmt: off
STOPWORDS = frozenset((
    "a", "about", "above", "according", "after", "again", "against", "all", "also",
    "although", "am", "among", "amongst", "an", "and", "another", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "besides", "between", "both", "but",
    "by", "can", "could", "d", "despite", "did", "do", "does", "doing", "down", "during",
    "each", "either", "every", "few", "for", "from", "further", "had", "has", "have",
    "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself",
    "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in",
    "into", "is", "it", "it's", "its", "itself", "just", "let's", "ll", "m", "many", "me",
    "might", "more", "most", "much", "must", "my", "myself", "neither", "of", "off", "on",
    "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own",
    "re", "s", "same", "shall", "she", "she'd", "she'll", "she's", "should", "so", "some",
    "such", "t", "tell", "than", "that", "that's", "the", "their", "theirs", "them",
    "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're",
    "they've", "this", "those", "though", "through", "to", "too", "toward", "towards",
    "under", "until", "up", "upon", "us", "ve", "very", "via", "was", "we", "we'd", "we'll",
    "we're", "we've", "were", "what", "what's", "when", "when's", "where", "where's",
    "whether", "which", "while", "who", "who's", "whom", "whose", "why", "why's", "will",
    "with", "within", "would", "yet", "you", "you'd", "you'll", "you're", "you've", "your",
    "yours", "yourself", "yourselves"
))
# fmt: on

# Question words as chat types them, misspelt into no other English word ("wat did it win",
# "wher was it filmed"): read as the word meant (``answerer.question.analyse``).
CHAT_WH = {
    "wat": "what", "wht": "what", "wut": "what", "wher": "where", "whr": "where",
    "whre": "where", "whn": "when", "hw": "how", "wich": "which", "whch": "which",
}  # fmt: skip

# Words that stand for something named earlier in a conversation ...
# fmt: off
ANAPHORA = frozenset((
    "he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs", "it", "its",
    "this", "that", "these", "those", "there", "then", "such", "same", "former", "latter",
    "one"
))
# fmt: on

# ... of which these stand for a person.
# fmt: off
PERSONAL = frozenset((
    "he", "him", "his", "himself", "she", "her", "hers", "herself"
))
# fmt: on

# Nouns that name a person by what they do: "which actor ...", "what designer ...";
# read by follow-up detection and by the answerer's question typing alike.
# fmt: off
PERSON_NOUNS = tuple((
    "actor", "actress", "performer", "person", "man", "woman", "director", "filmmaker",
    "producer", "writer", "composer", "designer", "editor", "star", "consultant"
))
# fmt: on

# Nouns for anyone at all, or for whoever acts a part: "who's the guy in charge of the home
# invasion" and "who's the actress playing ani" describe a person (the cast rules answer the
# second), where "who's the casting director" names a job (``question.asked_role``).
# fmt: off
GENERIC_PEOPLE = (
    "guy", "man", "woman", "person", "people", "girl", "boy", "lady", "one",
    "actor", "actress", "performer",
)
# fmt: on

# What an actor plays: "who is Mikey Madison's character" asks whom she plays (the cast rules
# answer it), not for someone holding a relation to her ("Baker's wife").
PLAYED_PARTS = frozenset(["character", "role", "part"])

# Words that describe a person a later pronoun can stand for ("the oligarch's son ... his"),
# besides PERSON_NOUNS; read by follow-up detection only.
# fmt: off
REFERENT_NOUNS = frozenset((
    "son", "daughter", "mother", "father", "wife", "husband", "sister", "brother", "guy",
    "girl", "boy", "lead", "character", "protagonist", "heroine", "hero", "group", "couple",
    "family", "parents", "crew", "cast", "friend", "friends", "boss", "actors", "dancers",
    "girlfriend", "boyfriend", "partner", "people", "fans", "critics", "viewers", "audience",
))
# fmt: on

# Nouns for a work with a title: "which horror film ...", "what was his debut feature?"
# is answered by the title standing right after such a noun in a sentence (apposition:
# "his debut feature, Four Letter Words", "the horror reboot Scream V").
# fmt: off
WORK_NOUNS = frozenset((
    "film", "movie", "feature", "picture", "reboot", "remake", "sequel", "documentary", "short",
    "book", "memoir", "novel", "show", "series", "song", "album", "title", "project",
))
# the genres a "what kind of film is it?" question is asked with: a film's category is
# told in these words ("both humor and drama", "a modern fairy tale"), which the question
# does not use (``rag.canonical.genre_question``).  "romance" and "thriller" were tried
# and dropped: "romance" pulls plot sentences in by "romantically" (docs/experiments.md)
GENRES = ("comedy", "drama", "fairy tale")
# ... of them, those that are not for the screen: "what movies has Baker made" is not
# answered by "author of the memoir “Modern Whore”" (``answerer.titles.introduced_as``)
PRINT_WORKS = frozenset(("book", "memoir", "novel", "song", "album"))
# ... and the verbs of making one, for "what did Baker make right before Anora?"
# (``answerer.sequence``): "do" too, as "what did he do before it" asks the same
MAKING_VERBS = frozenset((
    "make", "made", "making", "do", "did", "direct", "directed", "write", "wrote", "written",
    "produce", "produced", "shoot", "shot", "release", "released",
))
# fmt: on

# Film-making expressions that, in an article about a film, mean the same thing
# (``rag.thesaurus``): written from film-making usage, not from any question.
FILM_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("cinematographer", "cinematography", "director of photography", "DP", "DoP", "lenser"),
    ("screenwriter", "screenplay", "script"),
    ("editor", "edited", "film editing"),
    ("composer", "soundtrack", "film score"),
    ("production designer", "production design", "set designer", "art director"),
    ("costume designer", "costumes", "wardrobe"),
    ("casting director", "casting"),
    ("premiere", "premiered", "debut", "debuted"),
    ("Oscar", "Academy Award"),
    ("box office", "gross", "ticket sales"),
)

# The events of a film's life, each as the expressions that state it: a claim that puts a
# date or a place on one of them ("premiered in January 2023") where its passage states
# another ("began production in January 2023") states a predicate the passage does not.
# Read by the LLM answer verifier (``rag.verify_events``), folded and matched as words.
# fmt: off
FILM_EVENTS: tuple[tuple[str, ...], ...] = (
    ("production", "produced", "shot", "shoot", "shoots", "shooting", "filmed", "filming",
     "principal photography", "wrapped", "wrap"),
    ("premiere", "premiered", "premieres", "debut", "debuted", "debuts", "screened", "screening"),
    ("released", "release", "came out", "come out", "comes out", "opened in theaters",
     "hit theaters", "in theaters"),
    ("nominated", "nomination", "nominations", "nominee", "shortlisted"),
    ("won", "win", "wins", "winner", "winning", "took home", "awarded", "honored"),
    ("distributed", "distribution", "distributor", "acquired"),
)
# fmt: on

# Irregular verbs' past forms, folded to their base form so the stemmer's "give" meets
# "gave" ("did baker give madison anything" / "Baker also gave Madison ..."), "won" meets
# "win" and "met" meets "meet".  Only forms that are not also a common noun or another
# word ("left", "found", "saw", "fell", "lay", "rose", "bore" stay themselves).
# fmt: off
IRREGULAR_PAST = {
    "became": "become", "began": "begin", "begun": "begin", "bought": "buy", "brought": "bring",
    "built": "build", "caught": "catch", "chose": "choose", "chosen": "choose", "came": "come",
    "drew": "draw", "drawn": "draw", "drove": "drive", "driven": "drive", "ate": "eat",
    "eaten": "eat", "fought": "fight", "flew": "fly", "flown": "fly", "forgot": "forget",
    "forgotten": "forget", "gave": "give", "given": "give", "got": "get", "gotten": "get",
    "went": "go", "gone": "go", "grew": "grow", "grown": "grow", "heard": "hear", "held": "hold",
    "kept": "keep", "knew": "know", "known": "know", "led": "lead", "lost": "lose", "made": "make",
    "meant": "mean", "met": "meet", "paid": "pay", "ran": "run", "rode": "ride", "ridden": "ride",
    "said": "say", "sang": "sing", "sung": "sing", "sent": "send", "shot": "shoot",
    "sought": "seek", "sold": "sell", "spoke": "speak", "spoken": "speak", "spent": "spend",
    "stood": "stand", "stole": "steal", "stolen": "steal", "swore": "swear", "sworn": "swear",
    "taught": "teach", "took": "take", "taken": "take", "thought": "think",
    "threw": "throw", "thrown": "throw", "understood": "understand", "woke": "wake",
    "wore": "wear", "worn": "wear", "won": "win", "wrote": "write", "written": "write",
}
# fmt: on

# Prepositions, with the words that introduce an example or a comparison as one does
# ("films like Starlet"): what follows one is its object, not a sentence's subject.
PREPOSITIONS = frozenset((
    "about", "after", "against", "as", "at", "before", "between", "by", "during", "for",
    "from", "in", "including", "into", "like", "of", "on", "over", "since", "than",
    "through", "to", "under", "unlike", "with", "without",
))  # fmt: skip

# The adverbs that make a phrasal verb ("come out", "set up"): the verb means something
# else with another one ("came in").
PARTICLES = frozenset(("out", "in", "up", "off", "on", "down", "over", "back", "away", "through"))

# English inflectional and derivational endings as the embedder's word pieces spell them:
# a word that is a whole word piece and one of these ("bright" + "##en", "spoil" + "##ers")
# is a word of English, not a typo to correct (``rag.spelling``).
SUFFIX_PIECES = frozenset((
    "##s", "##es", "##ed", "##d", "##er", "##ers", "##en", "##ing", "##ings", "##ly", "##y",
    "##ness", "##ful", "##less", "##ment", "##ments", "##ship", "##ism", "##ist", "##ists",
    "##able", "##al", "##ic", "##ies", "##ion", "##ions", "##ous", "##est", "##ish", "##ty",
))  # fmt: skip

# Word forms film-making writing uses for one another, folded before stemming (on both the
# question's and the articles' side): "filmed" is "shoot" -- the noun "film" stays itself,
# which a stem-level synonym could not keep apart.  With the irregular pasts above.
WORD_FORMS = {**IRREGULAR_PAST, "filmed": "shoot", "filming": "shooting"}

# A citation marker group as answers write it: "[1]", "[1, 3]", "[2; 4]".
CITATION_MARKER = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
MARKER_RE = re.compile(CITATION_MARKER)

# What the answerer says when the articles do not answer the question.
NOT_FOUND = "I couldn't find that in the articles."
# ... and when a follow-up asks for more than the earlier answers already quoted.
NOTHING_MORE = "The articles say nothing more about that than what I quoted above."

# Verbs that make a clause finite; a short line without one (and without a verb in
# -ed) reads as a photo caption or a headline ("Sean Baker and the cast during the
# filming of Anora."), which may help retrieval but is never quoted as an answer.
# fmt: off
AUXILIARIES = frozenset((
    "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does",
    "did", "will", "would", "can", "could", "may", "might", "must", "shall", "should", "says",
    "said", "say", "makes", "made", "gets", "got", "goes", "went", "takes", "took", "comes",
    "came", "gives", "gave", "knows", "knew", "thinks", "thought", "sees", "saw", "finds",
    "found", "tells", "told", "becomes", "became", "feels", "felt", "keeps", "kept", "seems",
    "wants", "needs", "means", "meant", "won", "wins", "shot", "shoots", "began", "begins",
    "run", "runs", "ran", "left", "leaves", "meets", "met", "plays", "stars", "directs", "writes",
    "wrote", "puts", "brings", "brought", "remains", "explains", "recalls", "adds", "continues",
    "notes", "comments", "exclaims",
))
# fmt: on

# Words opening a sentence that stand for something the sentence before named; such a
# sentence is not quoted alone in a summary unless the one before it is quoted too.
# fmt: off
OPENING_PRONOUNS = frozenset((
    "he", "she", "they", "it", "this", "these", "those", "that", "his", "her", "their", "its",
    "him", "them", "there", "such", "both",
))
# fmt: on

# Verbs that report what someone said or thinks, in the forms a sentence uses them
# ("Says Daniels, “…", "… ,” Madison recalls"): who speaks a sentence is read from them.
# fmt: off
SPEECH_VERBS = frozenset((
    "say", "says", "said", "add", "adds", "added", "recall", "recalls", "recalled", "explain",
    "explains", "explained", "comment", "comments", "commented", "note", "notes", "noted",
    "continue", "continues", "continued", "remember", "remembers", "remembered", "conclude",
    "concludes", "concluded", "exclaim", "exclaims", "exclaimed", "describe", "describes",
    "described", "admit", "admits", "admitted", "reflect", "reflects", "reflected", "agree",
    "agrees", "agreed", "tell", "tells", "told", "share", "shares", "shared", "observe",
    "observes", "observed", "insist", "insists", "insisted", "confess", "confesses",
    "confessed", "muse", "muses", "mused", "elaborate", "elaborates", "elaborated", "state",
    "states", "stated", "affirm", "affirms", "affirmed", "remark", "remarks", "remarked",
))
# fmt: on

# ... and the verbs a question uses to ask for someone's own words or view ("what did
# Madison say about ...", "how does Baker describe ...", "did he enjoy making it").
# fmt: off
OPINION_VERBS = frozenset((
    "say", "said", "think", "thought", "feel", "felt", "describe", "explain", "mean", "call",
    "see", "view", "recall", "remember", "enjoy", "like", "love", "hate", "believe", "tell",
    "told", "comment", "reflect", "admire",
))
# fmt: on

# Small talk and questions about the app itself: answered with what it can do, never
# searched.  Patterns over the whole, lower-cased question.
SMALL_TALK = re.compile(
    r"^\W*(?:hi+|hello|hey+(?:\s+there)?|yo|hiya|howdy|good\s+(?:morning|afternoon|evening)"
    r"|thanks?(?:\s+you)?|thank\s+you|thx|ty|cheers|ok(?:ay)?|cool|great|nice|bye|goodbye"
    r"|see\s+you|how\s+are\s+you(?:\s+doing)?|how's\s+it\s+going|what'?s\s+up|sup"
    r"|tell\s+me\s+a\s+joke|lol|haha)\b[\w\s,.!?']{0,30}$",
    re.IGNORECASE,
)
ABOUT_APP = re.compile(
    r"^\W*(?:what\s+(?:can|do)\s+you\s+do|who\s+are\s+you|what\s+are\s+you|help|how\s+do\s+you"
    r"\s+work|what\s+(?:can|should)\s+i\s+ask(?:\s+you)?|what\s+do\s+you\s+know)\b",
    re.IGNORECASE,
)
CAPABILITIES = (
    "I answer questions about the film *Anora* (Sean Baker, 2024) and how it was made, "
    "from the articles I have, and cite the passages I quote. Try: “Who plays Ani?”, "
    "“What is it about?”, “Where was it filmed?” or “Who was the director of photography?”"
)
# ... and to thanks or a goodbye, which want no list of what it can do
THANKS = re.compile(
    r"^\W*(?:thanks?|thank\s+you|thx|ty|cheers|bye|goodbye|see\s+you)\b", re.IGNORECASE
)
WELCOME = "You're welcome! Ask me anything else about *Anora* whenever you like."
OFF_TOPIC = (
    "That's outside what I can answer: I only know the articles about the film *Anora* "
    "(its story, cast and production). Ask me, for example, who plays Ani or where it was filmed."
)

# What the articles are about, and what people ask a chat box instead, in a few plain
# phrases: the embedder places a question nearer one set or the other (``rag.answerer.topic``).
# Written as general descriptions of the two kinds, not from any gold question.
ON_TOPIC_PROTOTYPES = (
    "a question about the film Anora",
    "who made the movie and who acted in it",
    "what happens in the story of the film",
    "how the movie was shot, filmed and produced",
    "the director Sean Baker and his films",
    "the characters, the plot and the ending",
    "awards, festivals and the film's release",
    "the actors, the cast and their roles",
    "the locations and sets where the film was made",
)
OFF_TOPIC_PROTOTYPES = (
    "the weather forecast",
    "a recipe for cooking food",
    "restaurants, bars and places to eat nearby",
    "sports results and games",
    "writing computer code",
    "arithmetic and math problems",
    "greetings and small talk",
    "general knowledge trivia about science and geography",
    "shopping, prices and travel bookings",
    "news and politics",
)

# Who did a film-making job, asked with its verb: "who shot it?" asks for the
# cinematographer, "who cut it?" for the editor.  Read only when the object is the film.
ROLE_VERBS = {
    "shot": "cinematographer",
    "filmed": "cinematographer",
    "photographed": "cinematographer",
    "lensed": "cinematographer",
    "edited": "editor",
    "cut": "editor",
    "wrote": "screenwriter",
    "scored": "composer",
    "directed": "director",
    "made": "director",  # "who made it?": a film is its director's
    "produced": "producer",
    "cast": "casting director",
    "designed": "production designer",
}
