"""Score a phrase lexicon's hits against the gold propaganda spans of the PTC corpus (SemEval-2020 Task 11).

    python bench/validate_lexicon.py PTC_DIR [--split train] [--lexicon PATH] [--model NAME] [--json OUT]
                                             [--examples N]

PTC_DIR is the Propaganda Techniques Corpus folder (Da San Martino et al. 2019, https://propaganda.qcri.org/ptc/):
``<split>-articles/article<ID>.txt`` and ``<split>-labels-task-flc-tc/article<ID>.task-flc-tc.labels``
(tab-separated: article id, technique, start, end; character offsets into the article). Use the train split to
develop a lexicon; the dev split is kept for independent checks. The gold data is never part of the repository.

Every article is processed once with the model's tagger and lemmatiser (parser and NER off, one sentence per
line, as PTC stores its articles), and the same docs are matched with three lexicons in the same run:

* **general**: the lexicon under test, ``analysis/data/general_lexicon.yaml`` unless ``--lexicon`` is given;
* **story**: the story lexicon the workbook ships, ``analysis/data/phrases.yaml`` (a baseline);
* **naive**: ``NAIVE_WORDS`` below, 70 words anyone would list as loaded, as one family (a baseline).

Hits are ``rhetoric.spans(doc, overlap="family")``, exactly what the rhetoric stage books. The figures:

* **precision**: the share of hits that overlap a gold span of any technique (a character in common);
* **recall**: the share of gold ``Loaded_Language`` and ``Name_Calling,Labeling`` spans that at least one hit
  overlaps (also given per technique);
* **own technique**, per family: the share of the family's hits that overlap a gold span of one of the family's
  own techniques, its SemEval-2023 names mapped to PTC's 2020 names by ``PTC_NAMES``. A family none of whose
  techniques PTC annotates gets no own-technique figure.

Goals on PTC train (issue #12): precision >= 0.55, recall >= 0.20, every family >= 0.50 on its own technique.
The general lexicon's figures are also given for each half of the split (articles with an even and an odd id):
families added or changed on one half are checked on the other, a guard against wording fitted to a few articles.
``--examples N`` prints, per family of the general lexicon, N hits that overlap no gold span and N that miss the
family's own technique, and the N most frequent gold Loaded_Language / Name_Calling spans no hit touches: what to
read when improving the lexicon.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERAL = ROOT / "analysis" / "data" / "general_lexicon.yaml"
RECALLED = ("Loaded_Language", "Name_Calling,Labeling")
GOALS = {"precision": 0.55, "recall": 0.20, "own": 0.50}

# SemEval-2023 Task 3 technique names (rhetoric.TECHNIQUES) -> the PTC 2020 names that annotate the same technique.
# PTC merges Whataboutism, Straw Men and Red Herring into one label; the 2023 Appeal_to_Hypocrisy is the 2019
# guidelines' whataboutism ("charging them with hypocrisy"); 2023's Guilt_by_Association and Appeal_to_Popularity
# are PTC's Reductio ad Hitlerum and Bandwagon, merged there into one label. Questioning_the_Reputation,
# Appeal_to_Values, Appeal_to_Time and Consequential_Oversimplification have no PTC counterpart, and PTC v2
# dropped Obfuscation.
PTC_NAMES = {
    "Loaded_Language": ("Loaded_Language",),
    "Name_Calling-Labeling": ("Name_Calling,Labeling",),
    "Repetition": ("Repetition",),
    "Exaggeration-Minimisation": ("Exaggeration,Minimisation",),
    "Doubt": ("Doubt",),
    "Appeal_to_Fear-Prejudice": ("Appeal_to_fear-prejudice",),
    "Flag_Waving": ("Flag-Waving",),
    "Causal_Oversimplification": ("Causal_Oversimplification",),
    "Slogans": ("Slogans",),
    "Appeal_to_Authority": ("Appeal_to_Authority",),
    "False_Dilemma-No_Choice": ("Black-and-White_Fallacy",),
    "Conversation_Killer": ("Thought-terminating_Cliches",),
    "Whataboutism": ("Whataboutism,Straw_Men,Red_Herring",),
    "Straw_Man": ("Whataboutism,Straw_Men,Red_Herring",),
    "Red_Herring": ("Whataboutism,Straw_Men,Red_Herring",),
    "Appeal_to_Hypocrisy": ("Whataboutism,Straw_Men,Red_Herring",),
    "Guilt_by_Association": ("Bandwagon,Reductio_ad_hitlerum",),
    "Appeal_to_Popularity": ("Bandwagon,Reductio_ad_hitlerum",),
}

# The naive baseline: 70 words a reader would list as "loaded" without looking at any corpus. Not tuned on PTC.
NAIVE_WORDS = """
evil terrible horrible disgusting outrageous shocking ridiculous absurd insane crazy stupid idiot disaster
catastrophe destroy attack hate radical extreme corrupt liar lie fake hoax scandal shameful disgrace threat
dangerous fear terror terrorist crisis chaos brutal vicious cruel violent massive huge incredible unbelievable
amazing tremendous worst best always never totally completely absolutely clearly obviously enemy traitor thug
criminal regime propaganda agenda elite slam blast awful pathetic nasty ugly sick wicked shame
""".split()


@dataclass(frozen=True)
class Hit:
    article: str
    family: str
    variant: str
    start: int
    end: int
    text: str


def read_ptc(root: Path, split: str) -> tuple[dict[str, str], dict[str, list[tuple[str, int, int]]]]:
    """Articles ``{id: text}`` and gold spans ``{id: [(technique, start, end)]}`` of one PTC split."""
    folder, labels = root / f"{split}-articles", root / f"{split}-labels-task-flc-tc"
    if not folder.is_dir() or not labels.is_dir():
        raise SystemExit(f"{root} has no {folder.name}/ and {labels.name}/: pass the PTC folder and an existing split")
    articles = {p.stem.removeprefix("article"): p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}
    gold: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for path in sorted(labels.glob("*.labels")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                article, technique, start, end = line.split("\t")
                gold[article].append((technique, int(start), int(end)))
    missing = set(gold) - set(articles)
    if missing:
        raise SystemExit(f"labels for {len(missing)} articles with no text, e.g. {sorted(missing)[:3]}")
    return articles, gold


def naive_lexicon(folder: Path) -> Path:
    """NAIVE_WORDS as a one-family lexicon file in the workbook's format."""
    variants = "\n".join(f'      - {{id: w{k}, pattern: "{w}"}}' for k, w in enumerate(dict.fromkeys(NAIVE_WORDS)))
    path = folder / "naive.yaml"
    path.write_text("families:\n  - id: naive\n    label: naive 70-word list\n    category: loaded_language\n"
                    f"    techniques: [Loaded_Language]\n    variants:\n{variants}\n", encoding="utf-8")
    return path


def find(docs: dict, lexicon: dict, nlp) -> list[Hit]:
    """Every hit of ``lexicon`` in ``docs``, as the rhetoric stage books them (overlaps resolved per family)."""
    from analysis import rhetoric

    m = rhetoric.matcher(nlp, lexicon)
    return [Hit(article, fid, vid, span.start_char, span.end_char, span.text)
            for article, doc in docs.items()
            for fid, vid, span in rhetoric.spans(doc, matcher=m, lexicon=lexicon, overlap="family")]


def overlapping(hit: Hit, gold: dict) -> set[str]:
    """Techniques of the gold spans sharing at least one character with ``hit``."""
    return {t for t, start, end in gold.get(hit.article, ()) if start < hit.end and hit.start < end}


def own(techniques: list[str]) -> set[str]:
    return {name for t in techniques for name in PTC_NAMES.get(t, ())}


def score(hits: list[Hit], gold: dict, lexicon: dict) -> dict:
    """Precision, recall of Loaded_Language / Name_Calling spans, and each family's own-technique share."""
    found = [(h, overlapping(h, gold)) for h in hits]
    touched: set[tuple[str, str, int, int]] = set()
    for h, _ in found:
        touched |= {(h.article, t, s, e) for t, s, e in gold.get(h.article, ()) if s < h.end and h.start < e}
    spans = [(a, t, s, e) for a, rows in gold.items() for t, s, e in rows if t in RECALLED]
    recall = {t: _share(sum(1 for x in spans if x[1] == t and x in touched), sum(1 for x in spans if x[1] == t))
              for t in RECALLED}
    families = {}
    for fid, family in lexicon.items():
        mine = [(h, techs) for h, techs in found if h.family == fid]
        targets = own(family["techniques"])
        families[fid] = {"hits": len(mine), "techniques": sorted(targets),
                         "precision": _share(sum(1 for _, techs in mine if techs), len(mine)),
                         "own": _share(sum(1 for _, techs in mine if techs & targets), len(mine)) if targets else None}
    return {"hits": len(hits), "precision": _share(sum(1 for _, techs in found if techs), len(found)),
            "recall": _share(sum(1 for x in spans if x in touched), len(spans)), "recall_by_technique": recall,
            "gold_spans": len(spans), "families": families}


def halves(hits: list[Hit], gold: dict, lexicon: dict) -> dict[str, dict]:
    """``score`` on the articles with an even and with an odd numeric id (a split by article, not by sentence)."""
    def half(article: str) -> str:
        return "even" if int(article) % 2 == 0 else "odd"
    return {name: score([h for h in hits if half(h.article) == name],
                        {a: rows for a, rows in gold.items() if half(a) == name}, lexicon) for name in ("even", "odd")}


def half_report(parts: dict[str, dict]) -> list[str]:
    """Per family, own-technique share (hits) on each half; then precision and recall per half."""
    lines = [f"{'by half of the articles':<24} " + "  ".join(f"{name + ' ids':>16}" for name in parts)]
    for fid in next(iter(parts.values()))["families"]:
        cells = [parts[name]["families"][fid] for name in parts]
        lines.append(f"{fid:<24} " + "  ".join(f"{_fmt(c['own']):>8} ({c['hits']:>4})" for c in cells))
    lines.append(f"{'precision / recall':<24} " + "  ".join(
        f"{_fmt(r['precision']):>7} / {_fmt(r['recall']):<6}" for r in parts.values()))
    return lines


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def report(name: str, result: dict, *, goals: bool) -> list[str]:
    """Printable lines for one lexicon's figures; with ``goals`` each figure says whether it meets its goal."""
    def mark(value, goal):
        return "" if not goals or value is None else ("  ok" if value >= goal else "  BELOW GOAL")
    rec = result["recall_by_technique"]
    lines = [f"== {name}: {result['hits']} hits",
             f"precision (hits overlapping any gold span): {_fmt(result['precision'])}{mark(result['precision'], GOALS['precision'])}",
             f"recall of {result['gold_spans']} Loaded_Language + Name_Calling spans: {_fmt(result['recall'])}"
             f"{mark(result['recall'], GOALS['recall'])}  (Loaded_Language {_fmt(rec['Loaded_Language'])}, "
             f"Name_Calling {_fmt(rec['Name_Calling,Labeling'])})",
             f"{'family':<24} {'hits':>5} {'precision':>9} {'own':>6}  own techniques (PTC names)"]
    for fid, f in result["families"].items():
        lines.append(f"{fid:<24} {f['hits']:>5} {_fmt(f['precision']):>9} {_fmt(f['own']):>6}  "
                     f"{', '.join(f['techniques']) or '(none in PTC)'}{mark(f['own'], GOALS['own']) if f['hits'] else ''}")
    return lines


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def examples(hits: list[Hit], gold: dict, lexicon: dict, articles: dict, n: int) -> list[str]:
    """Per family, hits overlapping no gold span and hits missing the family's techniques; then frequent misses."""
    lines = []
    for fid, family in lexicon.items():
        mine = [(h, overlapping(h, gold)) for h in hits if h.family == fid]
        none = Counter(h.text.lower() for h, techs in mine if not techs)
        other = Counter(h.text.lower() for h, techs in mine if techs and not techs & own(family["techniques"]))
        lines.append(f"-- {fid}: no gold span: {', '.join(f'{w} ({c})' for w, c in none.most_common(n))}")
        lines.append(f"   other technique only: {', '.join(f'{w} ({c})' for w, c in other.most_common(n))}")
    touched = {(h.article, s, e) for h in hits for t, s, e in gold.get(h.article, ()) if s < h.end and h.start < e}
    missed = Counter(articles[a][s:e].lower() for a, rows in gold.items() for t, s, e in rows
                     if t in RECALLED and (a, s, e) not in touched)
    lines.append(f"-- most frequent missed spans: {'; '.join(f'{w} ({c})' for w, c in missed.most_common(n * 3))}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ptc", type=Path, help="the PTC folder (holding <split>-articles/ and <split>-labels-task-flc-tc/)")
    parser.add_argument("--split", default="train", help="train (for development) or dev (for an independent check)")
    parser.add_argument("--lexicon", type=Path, default=GENERAL, help="the lexicon under test")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy model (the workbook's default)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--examples", type=int, default=0, help="print N false positives / misses per family")
    args = parser.parse_args(argv)

    from analysis import models, patterns, profiles, rhetoric

    articles, gold = read_ptc(args.ptc, args.split)
    nlp = models.load(args.model)
    began = time.process_time()
    # Tagger and lemmatiser only, as the rhetoric stage runs; paragraph_sentences starts a sentence at each line.
    off = [p for p in rhetoric.UNNEEDED if p in nlp.pipe_names]
    docs = dict(zip(articles, nlp.pipe(articles.values(), batch_size=32, disable=off)))
    print(f"{args.split}: {len(articles)} articles, {sum(len(v) for v in gold.values())} gold spans; "
          f"tagged in {time.process_time() - began:.0f} CPU s with {args.model}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        lexicons = {"general": args.lexicon, "story": profiles.folder("asian-nato") / "phrases.yaml", "naive": naive_lexicon(Path(tmp))}
        for name, path in lexicons.items():
            lexicon = patterns.lexicon(path)
            hits = find(docs, lexicon, nlp)
            results[name] = score(hits, gold, lexicon)
            print("\n".join(report(f"{name} ({path.name})", results[name], goals=name == "general")))
            if name == "general":
                results[name]["halves"] = halves(hits, gold, lexicon)
                print("\n".join(half_report(results[name]["halves"])))
            if name == "general" and args.examples:
                print("\n".join(examples(hits, gold, lexicon, articles, args.examples)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    general = results["general"]
    met = (general["precision"] or 0) >= GOALS["precision"] and (general["recall"] or 0) >= GOALS["recall"] and all(
        f["own"] is None or f["own"] >= GOALS["own"] for f in general["families"].values() if f["hits"])
    print(f"goals (precision >= {GOALS['precision']}, recall >= {GOALS['recall']}, every family >= {GOALS['own']} "
          f"on its own technique): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
