"""Score the tagging stage's quotes, speakers and sentence voices against PolNeAR's gold attributions.

    python bench/validate_attribution.py PATH [--limit N] [--every K] [--model NAME] [--misses N]

PATH is a PolNeAR split folder holding ``text/*.txt`` and ``attributions/*.ann`` (brat standoff, one file per
article and annotator; the first annotator in sorted order is used), for example ``PolNeAR/data/dev``. PolNeAR
(Newell, Margolin and Ruths 2018, public repository networkdynamics/PolNeAR) annotates every attribution in 1,008
US political news articles of 2016 as source, cue and content spans. Use its ``train`` and ``dev`` splits only:
``test`` is kept for independent checks. The gold data is never copied into the repository.

Each article's raw text goes through ``analysis.tagging.run`` (so offsets index the gold files' text), and the
script prints:

* **direct quotes** (precision, recall, F1). A predicted direct quote is correct when at least half of its words
  lie inside one gold content span (all its pieces: a quote the gold stores as one discontinuous span may be found
  as several quotes, and each piece is correct). A gold direct quote is a content span of which at least half the
  words lie in pieces opening with a quote mark; it is found when at least half of its words are inside predicted
  direct quotes.
* **speaker accuracy** over the correct direct quotes whose gold attribution has a source: the predicted speaker
  is right when it shares its last word (the head of a name; for "X of Y" also the last word of X) with the gold
  source or with the named source a gold pronoun refers to, or when it is that same pronoun. PolNeAR marks no
  coreference, so the named source of a gold pronoun is the nearest earlier gold source it can refer to: for "he"
  and "she" a single person (not a plural, not a document or rule such as "a tweet", not a name with the other
  sex's title); for others any source. When that source is only a description ("the retired neurosurgeon"), which
  refers back as a pronoun does, the nearest earlier fitting name counts too. Where an annotator swapped the
  Source and Cue labels (source "said", cue "David Plouffe, the architect of ..."), the cue is read as the source.
* **quotes without speaker**: the share of predicted direct quotes with no speaker.
* **sentence voice accuracy**: a sentence is gold ``quoted`` when at least half of its characters lie inside gold
  content spans (any attribution, direct or reported), else ``narrator``; compared with the sentences table's
  ``voice``. The narrator share of both is printed too.

``--kinds`` adds an error report by kind: wrong speakers split by the gold source's form (a pronoun or a name)
and by the predicted speaker's form, quotes without speaker by what stands around the quote marks, and voice
errors (false narrator, false quoted) by what the sentence is (a reporting verb, a poll or survey, a plan or
expectation, a question, other).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_WORD = re.compile(r"\w+")
_OPENERS = "\"“‘'«„`"
_PRONOUNS = frozenset("he she they it we i you his her their its who which that".split())
_DROP = frozenset("the a an mr mrs ms dr sen rep gov pres".split())


@dataclass
class Attribution:
    content: list[tuple[int, int]]
    source: tuple[int, int] | None
    source_text: str = ""
    named: str = ""                          # for a pronoun source: the named source it refers to
    words: set[int] = field(default_factory=set)
    direct_words: set[int] = field(default_factory=set)


def spans(field_: str) -> list[tuple[int, int]]:
    """``"12 30;40 55"`` -> [(12, 30), (40, 55)]."""
    return [tuple(map(int, piece.split())) for piece in field_.split(";")]


def read_ann(path: Path) -> list[Attribution]:
    """The attributions of one brat file: content pieces and source span of each ``E`` relation."""
    boxes, events = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            kind, _, where = parts[1].partition(" ")
            boxes[parts[0]] = (kind, spans(where))
        elif line.startswith("E") and len(parts) >= 2:
            events.append(dict(arg.split(":", 1) for arg in parts[1].split()[1:]))
    found = []
    text = path.parent.parent.joinpath("text", path.name.rsplit("_", 1)[0] + ".txt")
    text = text.read_text(encoding="utf-8") if text.exists() else ""
    for event in events:
        content = boxes.get(event.get("Content", ""), ("", []))[1]
        if not content:
            continue
        source = boxes.get(event.get("Source", ""), ("", []))[1]
        cue = boxes.get(event.get("Cue", ""), ("", []))[1]
        if source and cue and _swapped(text[source[0][0]:source[-1][1]], text[cue[0][0]:cue[-1][1]]):
            source = cue
        found.append(Attribution(content, (source[0][0], source[-1][1]) if source else None))
    return found


# Some annotations swap the Source and Cue labels: source "said", cue "David Plouffe, the architect of ...".
_SPEECH = frozenset("said says say told tells added wrote writes asked explained noted argued".split())


def _swapped(source: str, cue: str) -> bool:
    """The source box holds only a speech verb and the cue box a name: the annotator swapped the two labels."""
    words = _WORD.findall(source.lower())
    return bool(words) and words[0] in _SPEECH and len(words) <= 4 and any(w[:1].isupper() for w in _WORD.findall(cue))


def word_index(text: str) -> tuple[list[int], list[int]]:
    starts, ends = [], []
    for m in _WORD.finditer(text):
        starts.append(m.start())
        ends.append(m.end())
    return starts, ends


def words_in(index: tuple[list[int], list[int]], start: int, end: int) -> range:
    """Indices of the words lying (mostly) inside [start, end)."""
    starts, ends = index
    return range(bisect_left(starts, start), bisect_right(ends, end))


def gold(text: str, attributions: list[Attribution], index) -> None:
    """Fill in each attribution's words, direct words and, for a pronoun source, the named source it refers to."""
    named: list[str] = []
    for a in sorted(attributions, key=lambda a: a.source[0] if a.source else 10**9):
        if a.source:
            a.source_text = text[a.source[0]:a.source[1]]
            pronoun = _last_word(a.source_text)
            if pronoun in _PRONOUNS:
                fitting = [n for n in reversed(named) if _can_be(pronoun, n)]
                # A description ("the retired neurosurgeon") refers back too: the nearest earlier name also counts.
                a.named = " ".join(fitting[:1] + [n for n in fitting[1:2] if not _is_name(fitting[0])])
            else:
                named.append(a.source_text)
    for a in attributions:
        for s, e in a.content:
            piece = set(words_in(index, s, e))
            a.words |= piece
            if text[s:e].lstrip()[:1] in _OPENERS:
                a.direct_words |= piece


# PolNeAR has no coreference: a gold pronoun source refers to the nearest earlier gold source it can refer to.
# "he" and "she" refer to one person: not to a plural ("environmentalists", "few people"), not to a document or a
# rule ("a Donald Trump tweet", "The party's existing rules"), and not to a name whose title says the other sex.
_THINGS = frozenset("""statement report article tweet tweets ad ads rules rule poll polls survey study letter
    memo email book video campaign committee group party paper data analysis record records website page""".split())
_PLURAL = frozenset("few many several some both critics people members officials voters".split())
_TITLE_OF = {"he": frozenset(("mrs", "ms", "miss")), "she": frozenset(("mr",))}


def _can_be(pronoun: str, name: str) -> bool:
    if pronoun not in ("he", "she"):
        return True
    words = _WORD.findall(name)
    lower = [w.lower() for w in words]
    head = next((w for w in reversed(words) if w.lower() not in _DROP), "")
    plural = head.islower() and head.endswith("s") and not head.endswith("ss")
    return bool(head) and not plural and not (set(lower) & (_THINGS | _PLURAL | _TITLE_OF[pronoun]))


def _is_name(source: str) -> bool:
    """A part of the source between commas ends in a capitalised word ("Ben Carson", "the assailant, John McGraw"):
    a name, not only a description ("the retired neurosurgeon", "The Republican incumbent")."""
    for part in source.split(","):
        words = [w for w in _WORD.findall(part) if w.lower() not in _DROP]
        if words and words[-1][:1].isupper():
            return True
    return False


def _last_word(name: str) -> str:
    words = [w.lower() for w in _WORD.findall(name) if w.lower() not in _DROP and w.lower() != "s"]
    return words[-1] if words else ""


def speaker_right(speaker: str, a: Attribution) -> bool:
    # The head of "Del. Stacey Plaskett of the Virgin Islands" is the last word before "of"; of "Secretary of State
    # John Kerry" the last word: either may be the head.
    heads = {_last_word(speaker), _last_word(speaker.split(" of ")[0])} - {""}
    for name in (a.source_text, a.named):
        if name and heads & {w.lower() for w in _WORD.findall(name)}:
            return True
    return False


@dataclass
class Score:
    predicted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0
    scored_speakers: int = 0
    right_speakers: int = 0
    no_speaker: int = 0
    sentences: int = 0
    right_voice: int = 0
    gold_narrator: int = 0
    our_narrator: int = 0
    misses: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def lines(self) -> list[str]:
        p = self.correct / max(self.predicted, 1)
        r = self.found / max(self.gold, 1)
        f = 2 * p * r / max(p + r, 1e-9)
        return [f"direct quotes: precision {p:.3f} ({self.correct}/{self.predicted}), recall {r:.3f} "
                f"({self.found}/{self.gold}), F1 {f:.3f}",
                f"speaker accuracy: {self.right_speakers / max(self.scored_speakers, 1):.3f} "
                f"({self.right_speakers}/{self.scored_speakers})",
                f"direct quotes without speaker: {self.no_speaker / max(self.predicted, 1):.3f} "
                f"({self.no_speaker}/{self.predicted})",
                f"sentence voice accuracy: {self.right_voice / max(self.sentences, 1):.3f} "
                f"({self.right_voice}/{self.sentences}); narrator share: gold "
                f"{self.gold_narrator / max(self.sentences, 1):.3f}, tagged {self.our_narrator / max(self.sentences, 1):.3f}"]


def score_article(text: str, attributions: list[Attribution], quotes, sentences, score: Score, name: str) -> None:
    index = word_index(text)
    gold(text, attributions, index)
    owner = {}
    for k, a in enumerate(attributions):
        for w in a.words:
            owner.setdefault(w, k)
    predicted_words: set[int] = set()
    for q in quotes.itertuples():
        if q.kind != "direct":
            continue
        words = list(words_in(index, q.start, q.end))
        if not words:
            continue
        score.predicted += 1
        score.no_speaker += not q.speaker
        if not q.speaker:
            score.count(f"no speaker: {_form(text, q.start, q.end)}")
        predicted_words.update(words)
        votes: dict[int, int] = {}
        for w in words:
            if w in owner:
                votes[owner[w]] = votes.get(owner[w], 0) + 1
        best = max(votes, key=votes.get, default=None)
        if best is None or votes[best] * 2 < len(words):
            score.misses.append(f"{name}: FALSE DIRECT {text[q.start:q.end][:100]!r}")
            continue
        score.correct += 1
        a = attributions[best]
        if a.source is None:
            continue
        score.scored_speakers += 1
        if speaker_right(q.speaker, a):
            score.right_speakers += 1
        else:
            gold_form = "pronoun" if _last_word(a.source_text) in _PRONOUNS else "name"
            ours = "none" if not q.speaker else "pronoun" if _last_word(q.speaker) in _PRONOUNS else "name"
            score.count(f"wrong speaker: gold {gold_form}, tagged {ours}")
            score.misses.append(f"{name}: SPEAKER {q.speaker!r} gold {a.source_text!r}"
                                f"{' -> ' + repr(a.named) if a.named else ''} for {text[q.start:q.end][:60]!r}")
    for a in attributions:
        if a.direct_words and len(a.direct_words) * 2 >= len(a.words):
            score.gold += 1
            if len(a.direct_words & predicted_words) * 2 >= len(a.direct_words):
                score.found += 1
            else:
                first = a.content[0]
                score.misses.append(f"{name}: MISSED DIRECT {text[first[0]:first[1]][:100]!r}")
    inside = bytearray(len(text))
    for a in attributions:
        for s, e in a.content:
            inside[s:e] = b"\x01" * (e - s)
    for s in sentences.itertuples():
        quoted = sum(inside[s.start:s.end]) * 2 >= (s.end - s.start)
        score.sentences += 1
        score.gold_narrator += not quoted
        score.our_narrator += s.voice == "narrator"
        score.right_voice += quoted == (s.voice == "quoted")
        if quoted != (s.voice == "quoted"):
            score.count(f"voice: false {s.voice}, {_sentence_kind(text[s.start:s.end])}")
            score.misses.append(f"{name}: VOICE tagged {s.voice}, gold {'quoted' if quoted else 'narrator'}: "
                                f"{text[s.start:s.end][:100]!r}")


def _form(text: str, start: int, end: int) -> str:
    """What stands around a quote: the few characters before its opening and after its closing mark."""
    before = text[max(start - 12, 0):start].rsplit("\n", 1)[-1].strip()
    after = text[end:end + 14].split("\n", 1)[0].strip()
    where = "paragraph start" if not before or before in _OPENERS else \
        "colon" if before.rstrip(_OPENERS).endswith(":") else "mid-sentence"
    tail = "paragraph end" if len(after) <= 2 else "dash" if after.lstrip(_OPENERS + ".,!? ")[:1] in "—–-" \
        else "comma" if after.lstrip(_OPENERS)[:1] == "," else "new sentence"
    return f"{where} -> {tail}"


_KINDS = (("poll or survey", re.compile(r"\b(polls?|surveys?|percent|%)", re.I)),
          ("plan or expectation", re.compile(r"\b(expect\w*|plans?|planned|planning|intends?|intend\w*|"
                                             r"wants?|hopes?|likely|aims?)\b", re.I)),
          ("reporting verb", re.compile(r"\b(said|says|told|tells|according|argued|claimed|added|noted|wrote|"
                                        r"believes?|thinks?|think|stated|insisted|called|asked|warned)\b", re.I)),
          ("question", re.compile(r"\?\W*$")))


def _sentence_kind(sentence: str) -> str:
    return next((name for name, pattern in _KINDS if pattern.search(sentence)), "other")


def articles(path: Path, limit: int | None, every: int = 1):
    texts = sorted((path / "text").glob("*.txt"))[::every][:limit]
    anns = sorted((path / "attributions").glob("*.ann"))
    for t in texts:
        chosen = next((a for a in anns if a.name.startswith(t.stem + "_")), None)
        if chosen is not None:
            yield t.stem, t.read_text(encoding="utf-8"), read_ann(chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a PolNeAR split folder (data/train or data/dev)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles (sorted by name)")
    parser.add_argument("--every", type=int, default=1, help="only every K-th article (a sample across outlets)")
    parser.add_argument("--model", default="en_core_web_sm")
    parser.add_argument("--misses", type=int, default=0, help="print up to N errors of each kind")
    parser.add_argument("--kinds", action="store_true", help="count the errors by kind (see the module docstring)")
    args = parser.parse_args(argv)
    if not (args.path / "text").is_dir() or not (args.path / "attributions").is_dir():
        parser.error(f"{args.path} has no text/ and attributions/ folders: pass a PolNeAR split such as data/dev")
    if args.path.name == "test":
        parser.error("the PolNeAR test split is kept for independent checks: use data/train or data/dev")
    import pandas as pd

    from analysis import models, tagging

    nlp = models.load(args.model)
    docs = list(articles(args.path, args.limit, args.every))
    frame = pd.DataFrame({"article_id": [d[0] for d in docs], "text": [d[1] for d in docs]})
    started = time.process_time()
    tagged = tagging.run(frame, nlp=nlp)
    seconds = time.process_time() - started
    quotes = dict(tuple(tagged.quotes.groupby("article_id")))
    sentences = dict(tuple(tagged.sentences.groupby("article_id")))
    empty_q, empty_s = tagged.quotes.iloc[:0], tagged.sentences.iloc[:0]
    score = Score()
    for name, text, attributions in docs:
        score_article(text, attributions, quotes.get(name, empty_q), sentences.get(name, empty_s), score, name)
    print(f"{args.path}: {len(docs)} articles, tagged in {seconds:.1f} CPU s")
    print("\n".join(score.lines()))
    if args.kinds:
        print("\nerrors by kind:")
        print("\n".join(f"{n:6d}  {kind}" for kind, n in sorted(score.kinds.items(), key=lambda kv: (-kv[1], kv[0]))))
    if args.misses:
        for kind in ("FALSE DIRECT", "MISSED DIRECT", "SPEAKER", "VOICE"):
            chosen = [m for m in score.misses if f": {kind}" in m][:args.misses]
            print(f"\n{kind} ({sum(f': {kind}' in m for m in score.misses)}):")
            print("\n".join(chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
