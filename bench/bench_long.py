"""Benchmark the tagging stage on one long paragraph against bare spaCy, at several lengths, in the same run.

    python bench/bench_long.py CORPUS [--words 5000 20000 80000] [--keep-punctuation] [--model NAME]

CORPUS is a JSON Lines file (.jsonl or .jsonl.gz with a ``text`` field), a folder of .txt files, or one .txt
file. Its words, in order and repeated as needed, make one article of N words on a single line (no line
break); by default full stops and other sentence punctuation are removed, the hardest case (the parser is left
to find sentences in a run of ordinary news words). For each N, in a fresh process:

* ``bare``: ``for doc in nlp.pipe([text]): pass``, the baseline, measured before and after the stage (their
  mean is used, so neither gains from the vocabulary the other filled);
* ``stage``: ``analysis.tagging.run`` on that one article (parsing in pieces through ``analysis.segments``,
  quotes, actors, sentiment per sentence, building the tables).

It prints CPU seconds (of the one measuring process) for both, the stage's microseconds per word, and the ratio
stage / bare. The goal: the ratio stays under 1.5 at every size, so the stage's time grows linearly with length.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PUNCT = re.compile(r"[.!?;:…\"“”‘’«»()\[\]]+")


def words(corpus: str, *, limit: int, keep_punctuation: bool) -> list[str]:
    """Up to ``limit`` words of ``corpus``, in order (a .jsonl/.jsonl.gz file, a .txt file or a folder of them)."""
    path, out = Path(corpus), []
    if path.is_dir():
        texts = (p.read_text(encoding="utf-8", errors="replace") for p in sorted(path.rglob("*.txt")))
    elif path.suffix == ".txt":
        texts = iter([path.read_text(encoding="utf-8", errors="replace")])
    else:
        opener = gzip.open if path.suffix == ".gz" else open
        texts = (str(json.loads(line).get("text") or "") for line in opener(path, "rt", encoding="utf-8"))
    for text in texts:
        if not keep_punctuation:
            text = _PUNCT.sub(" ", text)
        out += text.split()
        if len(out) >= limit:
            break
    if not out:
        raise SystemExit(f"{corpus} holds no words")
    return out


def measure(n: int, corpus: str, keep_punctuation: bool, model: str) -> dict:
    """Time bare spaCy and the tagging stage on one paragraph of ``n`` words (in this process)."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from analysis import failures, models, sentiment, tagging

    pool = words(corpus, limit=n, keep_punctuation=keep_punctuation)
    text = " ".join((pool * (n // len(pool) + 1))[:n])
    nlp = models.load(model)
    sentiment.score("Warm up the lexicons.")
    tagging.run(pd.DataFrame({"article_id": ["w"], "text": ["A warm-up text. It is short."]}), nlp=nlp)
    article = pd.DataFrame({"article_id": ["long"], "text": [text], "is_english": [True], "title": [""]})

    def bare() -> float:
        started = time.process_time()
        for _ in nlp.pipe([text]):
            pass
        return time.process_time() - started

    before = bare()
    failed = failures.Recorder("tag")
    started = time.process_time()
    out = tagging.run(article, nlp=nlp, failed=failed)
    stage = time.process_time() - started
    after = bare()
    spans = list(zip(out.sentences["start"], out.sentences["end"]))
    return {"words": n, "chars": len(text), "bare_s": (before + after) / 2, "stage_s": stage,
            "sentences": len(spans), "longest_sentence_words": int(out.sentences["text"].str.split().str.len().max()),
            "failed": len(failed.rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--words", type=int, nargs="+", default=[5000, 20000, 80000])
    parser.add_argument("--keep-punctuation", action="store_true", help="keep full stops (ordinary sentences)")
    parser.add_argument("--model", default="en_core_web_sm")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.corpus, args.keep_punctuation, args.model)))
        return
    print(f"{'words':>7} {'chars':>9} {'bare s':>7} {'stage s':>8} {'stage us/word':>13} {'ratio':>6} "
          f"{'sentences':>9} {'longest':>7}")
    for n in args.words:
        cmd = [sys.executable, __file__, args.corpus, "--one", str(n), "--model", args.model]
        cmd += ["--keep-punctuation"] if args.keep_punctuation else []
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "FRAMING_PROGRESS": "0"})
        if proc.returncode:
            raise SystemExit(proc.stderr[-3000:])
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['words']:>7,} {r['chars']:>9,} {r['bare_s']:>7.1f} {r['stage_s']:>8.1f} "
              f"{1e6 * r['stage_s'] / r['words']:>13.0f} {r['stage_s'] / r['bare_s']:>6.2f} {r['sentences']:>9,} "
              f"{r['longest_sentence_words']:>7,}", flush=True)


if __name__ == "__main__":
    main()
