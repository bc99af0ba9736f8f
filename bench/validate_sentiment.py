"""Validate the per-mention polarity (``sentiment.toward``) on NewsMTSC, beside sentence-level baselines.

    .venv/bin/python bench/validate_sentiment.py /work/gold/newsmtsc/devtest_mt.jsonl
    .venv/bin/python bench/validate_sentiment.py GOLD.jsonl [--model NAME] [--cost CORPUS --n 200]

GOLD is a NewsMTSC file (Hamborg and Donnay 2021; a sentence, a marked target, its polarity 2/4/6 for
negative/neutral/positive). Every target is scored three ways in the same run and compared with the gold label:

- ``toward``: the workbook's target-dependent polarity (``analysis.sentiment.toward``, the shipped model);
- ``textblob``: the sentence's TextBlob polarity as the workbook scores sentences (``sentiment.score``, negative
  contractions written out), the same for every target of the sentence (< 0 negative, > 0 positive, 0
  neutral), which is what the workbook gave every actor before per-mention polarity;
- ``vader``: the sentence's VADER compound with VADER's own thresholds (<= -0.05 negative, >= 0.05 positive).

It prints accuracy and macro-F1 over the three classes, and F1 per class. ``--cost CORPUS`` also runs the
tagging stage twice on the first ``--n`` articles of a ``.jsonl``/``.jsonl.gz`` corpus with a ``text`` field,
with and without the per-mention polarity, and prints both CPU times, the added share and the time inside
``sentiment.toward`` (goal: the polarity adds at most a quarter to the stage).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analysis import models, sentiment, tagging  # noqa: E402

LABELS = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}


def gold(path: Path) -> list[tuple[str, int, int, str]]:
    """(sentence, from, to, label) for every target of a NewsMTSC JSONL file."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            rows += [(item["sentence_normalized"], int(t["from"]), int(t["to"]), LABELS[float(t["polarity"])])
                     for t in item["targets"]]
    return rows


def predictions(rows: list[tuple[str, int, int, str]], *, nlp) -> dict[str, list[str]]:
    """The three methods' labels for every target."""
    sentences = list(dict.fromkeys(r[0] for r in rows))
    docs = dict(zip(sentences, nlp.pipe(sentences, batch_size=64)))
    out: dict[str, list[str]] = {"toward": [], "textblob": [], "vader": []}
    for text, start, end, _ in rows:
        out["toward"].append(sentiment.toward(docs[text], start, end).label)
        s = sentiment.score(text)
        out["textblob"].append(_sign(s.tb_polarity, 0.0))
        out["vader"].append(_sign(s.vader_compound, 0.05))
    return out


def _sign(value: float, threshold: float) -> str:
    if value >= threshold and value > 0:
        return "positive"
    if value <= -threshold and value < 0:
        return "negative"
    return "neutral"


def report(rows, predicted: dict[str, list[str]]) -> pd.DataFrame:
    truth = [r[3] for r in rows]
    table = []
    for method, labels in predicted.items():
        per_class = f1_score(truth, labels, labels=list(sentiment.POLARITIES), average=None)
        table.append({"method": method, "targets": len(labels), "accuracy": accuracy_score(truth, labels),
                      "macro_f1": f1_score(truth, labels, average="macro"),
                      **{f"f1_{c}": v for c, v in zip(sentiment.POLARITIES, per_class)}})
    return pd.DataFrame(table).set_index("method")


def cost(corpus: Path, n: int, *, nlp) -> dict[str, float]:
    """CPU seconds of the tagging stage on the first ``n`` articles of ``corpus``: ``with`` the per-mention
    polarity, ``without`` it (``sentiment.mention_polarity`` replaced by a constant), and ``toward``, the time
    spent inside ``sentiment.toward`` in the first run (it includes the first, cached, scoring of each sentence
    that the stage needs anyway). Caches are cleared before each run."""
    opener = gzip.open if corpus.suffix == ".gz" else open
    texts = []
    with opener(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("text") or ""
            if text.strip():
                texts.append(text)
            if len(texts) == n:
                break
    articles = pd.DataFrame({"article_id": [f"a{i}" for i in range(len(texts))], "text": texts})
    spent = [0.0, 0]
    toward, columns = sentiment.toward, sentiment.mention_polarity

    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return toward(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - started
            spent[1] += 1

    def stage() -> tuple[float, int]:
        sentiment.score.cache_clear()
        started = time.process_time()
        mentions = len(tagging.run(articles, nlp=nlp).mentions)
        return time.process_time() - started, mentions

    try:
        sentiment.toward = timed
        with_it, mentions = stage()
        sentiment.mention_polarity = lambda *a, **k: {"polarity": "", "polarity_score": 0.0, "polarity_cues": ""}
        without, _ = stage()
    finally:
        sentiment.toward, sentiment.mention_polarity = toward, columns
    assert spent[1] == mentions, "every mention is scored once"
    return {"with": with_it, "without": without, "toward": spent[0], "mentions": mentions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a NewsMTSC JSONL file (for example devtest_mt.jsonl)")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy pipeline (the workbook's default)")
    parser.add_argument("--cost", type=Path, help="also measure the cost in the tagging stage on this corpus")
    parser.add_argument("--n", type=int, default=200, help="articles of --cost CORPUS to tag")
    args = parser.parse_args(argv)
    nlp = models.load(args.model)
    rows = gold(args.path)
    table = report(rows, predictions(rows, nlp=nlp))
    print(f"{args.path.name}: {len(rows)} targets in {len({r[0] for r in rows})} sentences "
          f"({pd.Series([r[3] for r in rows]).value_counts().to_dict()})")
    print(table.round(3).to_string())
    if args.cost:
        c = cost(args.cost, args.n, nlp=nlp)
        print(f"\ncost on {args.n} articles of {args.cost.name} ({c['mentions']} mentions), CPU seconds: tagging "
              f"stage {c['with']:.1f} with the per-mention polarity, {c['without']:.1f} without: "
              f"+{c['with'] / c['without'] - 1:.3f}; inside sentiment.toward {c['toward']:.1f} "
              f"({c['toward'] / c['without']:.3f} of the stage without it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
