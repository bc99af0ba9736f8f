"""Validate loaded-language discovery against the gold propaganda spans of PTC (SemEval-2020 Task 11).

    python bench/validate_discovery.py /work/gold/ptc [--top 100] [--model en_core_web_sm] [--articles N]

PTC_DIR holds ``train-articles/article<ID>.txt`` and ``train-labels-task-flc-tc/article<ID>.task-flc-tc.labels``
(one gold span per line: id, technique, start, end, character offsets in the article file). Use the train split
for development; keep the dev split for independent checks. Gold data is never copied into the repository.

The articles go through the workbook's tagging stage (``tagging.stream``: sentences with their voice, quotes,
mentions), then ``discovery.candidates`` ranks loaded-term candidates with an empty story lexicon. PTC articles
have no alias table of their own, so the named entities (people, organisations, places, groups) stand in for the
story's actors. A candidate counts as found when at least one of its uses overlaps a gold ``Loaded_Language`` or
``Name_Calling,Labeling`` span. Printed for the top N candidates: that share, the share of all their uses that
overlap a gold span, and the same two figures, in the same run, for two baselines: the N most frequent words
(stop words left out: a topical list) and the same candidates ranked by lexicon strength and count alone.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import discovery, models, tables, tagging  # noqa: E402

TECHNIQUES = ("Loaded_Language", "Name_Calling,Labeling")
ACTOR_LABELS = ("PERSON", "ORG", "GPE", "NORP")


def read(ptc: Path, limit: int | None) -> tuple[pd.DataFrame, dict[str, list[tuple[int, int]]]]:
    """The articles as an ``articles`` table and the gold spans of the two techniques per article id."""
    paths = sorted((ptc / "train-articles").glob("article*.txt"))[:limit]
    if not paths:
        raise SystemExit(f"{ptc / 'train-articles'} holds no article*.txt files")
    ids = [p.stem.removeprefix("article") for p in paths]
    texts = [p.read_text(encoding="utf-8") for p in paths]
    articles = tables.conform(pd.DataFrame({"article_id": ids, "text": texts, "is_english": True,
                                            "outlet": "PTC"}), "articles", fill=True)
    gold: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for aid in ids:
        labels = ptc / "train-labels-task-flc-tc" / f"article{aid}.task-flc-tc.labels"
        for line in labels.read_text(encoding="utf-8").splitlines() if labels.exists() else []:
            parts = line.split("\t")
            if len(parts) == 4 and parts[1] in TECHNIQUES:
                gold[aid].append((int(parts[2]), int(parts[3])))
    return articles, gold


def score(terms: list[str], sentences: pd.DataFrame, gold: dict) -> tuple[float, float]:
    """(share of terms with a use overlapping a gold span, share of all their uses that overlap one)."""
    found, uses, inside = set(), 0, 0
    for term, aid, start, end in discovery.occurrences(sentences, terms):
        uses += 1
        if any(s < end and start < e for s, e in gold.get(aid, ())):
            found.add(term)
            inside += 1
    return len(found) / max(len(terms), 1), inside / max(uses, 1)


def frequent_words(sentences: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` most frequent words (stop words and words under 3 letters left out), as discovery counts them."""
    counts = pd.Series([w for text in sentences["text"] for w, _, _ in discovery._words(text)]).value_counts()
    stop = discovery._stop_words()
    return [w for w in counts.index if w.lower() not in stop and len(w) >= 3][:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ptc", type=Path, help="the PTC folder (train-articles, train-labels-task-flc-tc)")
    parser.add_argument("--top", type=int, default=100, help="candidates scored (default 100)")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy pipeline for the tagging stage")
    parser.add_argument("--articles", type=int, help="only the first N articles (default: all)")
    parser.add_argument("--tables", type=Path, help="keep the tagged tables in this folder and reuse them on the "
                        "next run (to compare rankings without tagging again)")
    args = parser.parse_args()

    articles, gold = read(args.ptc, args.articles)
    started = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.tables or Path(tmp)
        if not (where / "sentences.parquet").exists():
            tagging.stream(articles, where, nlp=models.load(args.model))
        tagged = tagging.read(where)
    tag_seconds = time.process_time() - started
    mentions = tagged.mentions[tagged.mentions["ner_label"].isin(ACTOR_LABELS)]
    mentions = mentions.assign(actor=mentions["actor"].where(mentions["actor"] != "", mentions["text"]))
    started = time.process_time()
    ranked = discovery.candidates(tagged.sentences, lexicon={}, mentions=mentions, limit=None)
    discover_seconds = time.process_time() - started
    top = ranked["term"].head(args.top).tolist()
    by_strength = ranked.assign(plain=ranked["strength"] * np.log2(1 + ranked["count"]))
    plain = by_strength.sort_values(["plain", "term"], ascending=[False, True])["term"].head(args.top).tolist()
    frequent = frequent_words(tagged.sentences, args.top)

    n_gold = sum(len(v) for v in gold.values())
    print(f"PTC train: {len(articles)} articles, {n_gold} gold {' / '.join(TECHNIQUES)} spans; "
          f"{len(ranked)} candidates (tagging {tag_seconds:.0f} s, discovery {discover_seconds:.1f} s CPU)")
    print(f"{'ranking':<40} {'top':>4} {'terms overlapping gold':>23} {'uses inside gold':>17}")
    for name, terms in (("discovery.candidates (all evidence)", top),
                        ("baseline: lexicon strength x log count", plain),
                        ("baseline: most frequent words", frequent)):
        share, use_share = score(terms, tagged.sentences, gold)
        print(f"{name:<40} {len(terms):>4} {share:>23.2f} {use_share:>17.3f}")
    print("\ntop 30:", ", ".join(top[:30]))


if __name__ == "__main__":
    main()
