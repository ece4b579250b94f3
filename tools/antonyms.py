"""Build ``rag/antonyms.tsv``, the English antonym pairs the LLM answer verifier reads,
from Princeton WordNet 3.0 (Debian's ``wordnet-base``: ``apt-get install wordnet-base``).

Each line is ``word<TAB>antonym`` (single words, lower case, both directions): WordNet's
direct antonyms ("first" / "last", "win" / "lose", "professional" / "unprofessional").  Its
indirect ones (a word similar to "difficult" against "easy") were left out: through
polysemous clusters they pair "big" with "humble" and "light".  Lines starting ``=`` list irregular forms of those words
(``=won<TAB>win``, ``=easiest<TAB>easy``), from WordNet's exception lists.

Run ``python tools/antonyms.py`` to regenerate; the file is committed, so neither the app
nor CI needs WordNet installed.  What this script does not do: choose which antonyms a
check trusts (``rag.verify_slots.antonym_flipped``).
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
OUT = Path(__file__).resolve().parent.parent / "rag" / "antonyms.tsv"
NOTICE = """\
# English antonym pairs from WordNet 3.0, built by tools/antonyms.py; do not edit by hand.
# WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED.  BY WAY OF EXAMPLE, BUT NOT
# LIMITATION, PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
# ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE,
# DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS,
# TRADEMARKS OR OTHER RIGHTS.  (The WordNet 3.0 license: https://wordnet.princeton.edu/license-and-commercial-use)
"""


def _lemma(word: str) -> str:
    return re.sub(r"\(.*\)$", "", word).lower()


def read(pos: str) -> tuple[dict[str, list[str]], dict[str, list[str]], list[tuple[str, str]], str]:
    """Per synset offset: its words, its similar-to targets; the direct antonym pairs; the
    synset kinds seen."""
    words: dict[str, list[str]] = {}
    similar: dict[str, list[str]] = defaultdict(list)
    pairs: list[tuple[str, str]] = []
    kinds: dict[str, str] = {}
    pointers: list[tuple[str, str, int, int]] = []
    for line in (WORDNET / f"data.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split(" | ")[0].split()
        offset, kind, count = fields[0], fields[2], int(fields[3], 16)
        kinds[offset] = kind
        words[offset] = [_lemma(fields[4 + 2 * i]) for i in range(count)]
        at = 4 + 2 * count
        for i in range(int(fields[at])):
            symbol, target, _, ends = fields[at + 1 + 4 * i : at + 5 + 4 * i]
            if symbol == "!":
                pointers.append((offset, target, int(ends[:2], 16), int(ends[2:], 16)))
            elif symbol == "&":
                similar[offset].append(target)
    for offset, target, source_word, target_word in pointers:
        if target in words and source_word and target_word:
            pairs.append((words[offset][source_word - 1], words[target][target_word - 1]))
    return words, similar, pairs, "".join(sorted(set(kinds.values())))


def build() -> tuple[set[tuple[str, str]], dict[str, str]]:
    found: set[tuple[str, str]] = set()
    for pos in ("adj", "adv", "verb", "noun"):
        found.update(read(pos)[2])
    found = {(a, b) for a, b in found if a != b and a.isalpha() and b.isalpha()}
    found |= {(b, a) for a, b in found}
    known = {a for a, _ in found}
    forms: dict[str, str] = {}
    for exc in ("adj.exc", "verb.exc", "adv.exc"):
        for line in (WORDNET / exc).read_text(encoding="latin-1").splitlines():
            form, *bases = line.split()
            base = next((b for b in bases if b in known), None)
            if base and form.isalpha():
                forms.setdefault(form, base)
    return found, forms


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    pairs, forms = build()
    lines = [f"{a}\t{b}" for a, b in sorted(pairs)] + [
        f"={f}\t{b}" for f, b in sorted(forms.items())
    ]
    OUT.write_text(NOTICE + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(pairs)} pairs, {len(forms)} irregular forms")


if __name__ == "__main__":
    main()
