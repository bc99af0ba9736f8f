"""Train the target-sentiment model the tagging stage ships (analysis/data/target_sentiment.json) on NewsMTSC.

    .venv/bin/python bench/train_target_sentiment.py /work/gold/newsmtsc [--out analysis/data/target_sentiment.json]

PATH is the NewsMTSC folder (its ``train.jsonl`` is read, nothing else) or the train file itself. NewsMTSC
(Hamborg and Donnay, EACL 2021, https://github.com/fhamborg/NewsMTSC, MIT licence) marks targets in news
sentences with their polarity (2 negative, 4 neutral, 6 positive). Each sentence is parsed with the workbook's
spaCy pipeline (``models.load``), every target becomes the features of ``sentiment.features``, and a multinomial
logistic regression (scikit-learn, lbfgs, balanced class weights) is fitted. Its regularisation C is chosen by
5-fold cross-validation on train (macro-F1, fixed folds); features seen in fewer than ``--min-count`` training
targets are dropped. The result is written as JSON (classes, intercepts, weights rounded to 4 decimals, one
feature a line, metadata) so it loads without unpickling. Everything is deterministic: the same data, pipeline and lexicons give the same
file byte for byte.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analysis import models, sentiment  # noqa: E402

LABELS = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}
C_GRID = (0.03, 0.1, 0.3)
SEED = 13


def targets(path: Path) -> list[tuple[str, int, int, str]]:
    """(sentence, from, to, polarity label) for every target of a NewsMTSC JSONL file, in file order."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            for t in item["targets"]:
                rows.append((item["sentence_normalized"], int(t["from"]), int(t["to"]), LABELS[float(t["polarity"])]))
    return rows


def featurise(rows: list[tuple[str, int, int, str]], *, nlp) -> list[dict[str, float]]:
    """The feature dicts of ``sentiment.features`` for each target, each sentence parsed once."""
    sentences = list(dict.fromkeys(r[0] for r in rows))
    docs = dict(zip(sentences, nlp.pipe(sentences, batch_size=64)))
    out = []
    for text, start, end, _ in rows:
        feats: dict[str, float] = {}
        for name, value, _cue in sentiment.features(docs[text][:], start, end):
            feats[name] = feats.get(name, 0.0) + value
        out.append(feats)
    return out


def fit(x, y, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000, solver="lbfgs").fit(x, y)


def _dumps(model: dict) -> str:
    """The model as JSON with one feature a line, so a retrained model diffs readably."""
    weights = model["weights"]
    head = {k: v for k, v in model.items() if k != "weights"}
    lines = [json.dumps(name, ensure_ascii=False) + ": " + json.dumps(weights[name]) for name in sorted(weights)]
    return (json.dumps(head, sort_keys=True, ensure_ascii=False)[:-1] + ', "weights": {\n' + ",\n".join(lines)
            + "\n}}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="NewsMTSC folder or its train.jsonl")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "analysis" / "data"
                        / "target_sentiment.json")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy pipeline (the workbook's default)")
    parser.add_argument("--min-count", type=int, default=2, help="drop features seen in fewer training targets")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train = args.path / "train.jsonl" if args.path.is_dir() else args.path
    rows = targets(train)
    nlp = models.load(args.model)
    feats = featurise(rows, nlp=nlp)
    counts = Counter(name for f in feats for name in f)
    feats = [{k: v for k, v in f.items() if counts[k] >= args.min_count} for f in feats]
    vectorizer = DictVectorizer(sort=True)
    x = vectorizer.fit_transform(feats)
    y = np.array([r[3] for r in rows])
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(x, y))
    scores = {}
    for c in C_GRID:
        predicted = np.empty_like(y)
        for fit_idx, test_idx in folds:
            predicted[test_idx] = fit(x[fit_idx], y[fit_idx], c).predict(x[test_idx])
        scores[c] = f1_score(y, predicted, average="macro")
        print(f"C={c}: cross-validated macro-F1 {scores[c]:.4f}")
    best = max(C_GRID, key=lambda c: (round(scores[c], 4), -c))
    clf = fit(x, y, best)
    names = vectorizer.get_feature_names_out()
    order = [list(clf.classes_).index(label) for label in sentiment.POLARITIES]
    weights = {}
    for j, name in enumerate(names):
        w = [round(float(clf.coef_[k, j]), 4) for k in order]
        if any(w):
            weights[str(name)] = w
    model = {
        "classes": list(sentiment.POLARITIES),
        "intercept": [round(float(clf.intercept_[k]), 4) for k in order],
        "weights": weights,
        "meta": {"data": "NewsMTSC train.jsonl (Hamborg and Donnay 2021), MIT licence",
                 "targets": len(rows), "pipeline": f"{nlp.meta['name']} {nlp.meta['version']}",
                 "method": "multinomial logistic regression, balanced class weights", "C": best,
                 "cv_macro_f1": round(scores[best], 4), "min_count": args.min_count,
                 "trainer": "bench/train_target_sentiment.py"},
    }
    args.out.write_text(_dumps(model), encoding="utf-8")
    print(f"C={best}; {len(weights)} features; wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
