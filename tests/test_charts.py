"""Charts: every chart function on small schema-conforming tables built from the seed texts.

Each chart must give a spec that validates against the Vega-Lite schema (``to_dict`` validates), render to SVG
with marks in it (vl-convert), encode the intended fields, keep its inline data small on a large corpus, and say
"no data" instead of raising on empty tables.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert

from analysis import charts, sentiment, tables

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])

# Hand-made metadata for the five seed articles: outlets and dates where the text names them (Islam Times in a
# prefix, MNA and "Jun. 30" in a dateline with no year, `date` markers), invented labels otherwise.
ARTICLES = {  # key: outlet, date, date_text
    "000_7a0cd52b09a6d4f5": ("", "2022-06-29", ""),
    "001_6e8327de55d568cf": ("Outlet B", "2024-07-01", ""),
    "002_85103c6223975557": ("Islam Times", "2022-06-27", ""),
    "003_b66772f92caee721": ("Outlet C", "2022-06-28", ""),
    "004_a60133d9da8e9fef": ("MNA", "", "Jun. 30"),
}
A0, A1, A2, A3, A4 = ARTICLES

# Real sentences; scores are VADER compound, TextBlob polarity and subjectivity computed on each sentence.
SENTENCES = {  # article: [(sentence, quote no. or None, speaker, speaker_actor, vader, tb_pol, tb_subj)]
    A0: [('North Korea has accused the United States, South Korea and Japan of attempting to form an "Asian NATO" '
          'to contain the regime.', None, "", "", 0.1531, 0.0, 0.0),
         ('According to the North Korean state news agency KCNA, joint drills between the US and its allies have a '
          '"sinister aim" toward North Korea.', None, "", "", -0.5994, -0.5, 1.0),
         ("“The US is getting hell-bent on the military cooperation with its stooges in disregard of the primary "
          "security demand and concern by Asia-pacific countries.", 1, "KCNA", "KCNA", -0.0516, 0.15, 0.3),
         ("North Korea accuses US of hypocrisy", None, "", "", -0.34, 0.0, 0.0),
         ("North Korea's Foreign Ministry said in a similar statement over the weekend that joint military drills "
          "with South Korea and Japan demonstrated the hypocrisy of US offers of diplomatic engagement and dialogue "
          "without conditions.", 2, "North Korea's Foreign Ministry", "North Korea", 0.4588, -0.0312, 0.1562)],
    A1: [("North Korea Accuses US, Japan, and South Korea of Creating ‘Asian NATO’", None, "", "", -0.0516, 0.0, 0.0),
         ("The North Korean Foreign Ministry alleges that the US’s true objective is “world domination” and the "
          "encirclement of independent states.", None, "", "", 0.4215, 0.0562, 0.25),
         ("Pyongyang maintains that the Freedom Edge drill was an attempt to solidify a military bloc comprising the "
          "US, Japan, and South Korea, which has pledged to “cope with any threat faced by one of the three.”",
          2, "Pyongyang", "North Korea", 0.2023, -0.1, 0.1),
         ("”This means that the US-Japan-ROK [South Korea] relations have taken on the full-fledged appearance of "
          "Asian version [of] NATO,” the ministry emphasized.", 1, "the ministry", "North Korea", 0.0, 0.3, 0.45),
         ("NATO Secretary General Jens Stoltenberg has declared that the US-led military bloc has no plans to expand "
          "into Asia, but has stressed the need for the bloc to respond to the evolving security landscape in the "
          "region, as the situation could have serious consequences far beyond.", None, "", "", -0.1027, -0.0708,
          0.5667)],
    A2: [("North Korea accused the United States of setting up a military alliance like NATO in Asia, saying the "
          "unwavering US aim to oust North Korea's government compelled it to develop stronger defenses.",
          2, "North Korea", "North Korea", 0.765, -0.1, 0.1),
         ('"While blatantly holding joint military exercises with Japan and South Korea, the United States is making '
          'a full-fledged move to establish an Asia-style NATO," North Korea\'s foreign ministry said in a statement '
          'on its website on Sunday, Reuters reported.', 0, "North Korea's foreign ministry", "North Korea", 0.4215,
          -0.0312, 0.4062),
         ('"This proves the hypocrisy of the US rhetoric of \'diplomatic engagement\' and \'dialogue without '
          'preconditions\', while at the same time revealing again that there is no change in the US ambition to '
          'overthrow our system by force," the North Korean ministry said.', 1, "the North Korean ministry",
          "North Korea", 0.2023, 0.15, 0.0625),
         ("North Korea has rebuffed the offers.", None, "", "", 0.0, 0.1, 0.0)],
    A3: [("With the US looking to re-engage with its allies and partners in the continent, Pyongyang is accusing "
          "Washington of trying to set up a military alliance in Asia similar to NATO.", None, "", "", -0.1779, -0.05,
          0.25),
         ("“While blatantly holding joint military exercises with Japan and South Korea, the United States is making "
          "a full-fledged move to establish an Asia-style NATO,” said the ministry.", 0, "the ministry",
          "North Korea", 0.4215, 0.0, 0.5),
         ("“This proves the hypocrisy of the US rhetoric of ‘diplomatic engagement’ and ‘dialogue without "
          "preconditions’ while at the same time revealing again that there is no change in the US ambition to "
          "overthrow our system by force,” said the statement.", 1, "the statement", "North Korea", -0.296, 0.15,
          0.0625),
         ("North Korean state media KCNA reported Saturday that several workers’ organizations held meetings to take "
          "“revenge” on US “imperialists” while blaming Washington for the Korean War that took place between 1950 "
          "to 1953.", None, "", "", -0.7964, 0.0, 0.0)],
    A4: [('TEHRAN, Jun. 30 (MNA) – North Korea believes that by bolstering their trilateral defense cooperation, the '
          'United States, Japan, and South Korea seek to establish a "NATO of Asian version", the North Korean Foreign '
          'Ministry said in a statement.', None, "", "", 0.5106, -0.0625, 0.0625),
         ('"The US is now claiming that the US-Japan-ROK [Republic of Korea] relations are just cooperative ones for '
          'strengthening regional stability and security and do not mean NATO of Asian version, but it is nothing but '
          'rhetoric to evade international criticism of the formation of an aggressive bloc," the statement said, as '
          'quoted by the Korean Central News Agency (KCNA).', 1, "the statement", "North Korea", -0.4497, 0.0391,
          0.2344),
         ('This means that the US-Japan-ROK relations have taken on the full-fledged appearance of Asian-version '
          'NATO," it said.', 2, "it", "North Korea", 0.0, 0.6, 0.9)],
}

QUOTES = {  # article: [(quoted content, kind, speaker, speaker_actor, cue, cue_lemma)], numbered q0, q1 ...
    A0: [("sinister aim", "partial", "KCNA", "KCNA", "According to", "accord"),
         ("The US is getting hell-bent on the military cooperation with its stooges in disregard of the primary "
          "security demand and concern by Asia-pacific countries.", "direct", "KCNA", "KCNA", "reported", "report"),
         ("joint military drills with South Korea and Japan demonstrated the hypocrisy of US offers of diplomatic "
          "engagement and dialogue without conditions", "indirect", "North Korea's Foreign Ministry", "North Korea",
          "said", "say")],
    A1: [("world domination", "partial", "The North Korean Foreign Ministry", "North Korea", "alleges", "allege"),
         ("This means that the US-Japan-ROK [South Korea] relations have taken on the full-fledged appearance of "
          "Asian version [of] NATO,", "direct", "the ministry", "North Korea", "emphasized", "emphasize"),
         ("the Freedom Edge drill was an attempt to solidify a military bloc comprising the US, Japan, and South Korea",
          "indirect", "Pyongyang", "North Korea", "maintains", "maintain")],
    A2: [("While blatantly holding joint military exercises with Japan and South Korea, the United States is making a "
          "full-fledged move to establish an Asia-style NATO,", "direct", "North Korea's foreign ministry",
          "North Korea", "said", "say"),
         ("This proves the hypocrisy of the US rhetoric of 'diplomatic engagement' and 'dialogue without "
          "preconditions', while at the same time revealing again that there is no change in the US ambition to "
          "overthrow our system by force,", "direct", "the North Korean ministry", "North Korea", "said", "say"),
         ("the United States of setting up a military alliance like NATO in Asia", "indirect", "North Korea",
          "North Korea", "accused", "accuse")],
    A3: [("While blatantly holding joint military exercises with Japan and South Korea, the United States is making a "
          "full-fledged move to establish an Asia-style NATO,", "direct", "the ministry", "North Korea", "said", "say"),
         ("This proves the hypocrisy of the US rhetoric of ‘diplomatic engagement’ and ‘dialogue without "
          "preconditions’ while at the same time revealing again that there is no change in the US ambition to "
          "overthrow our system by force,", "direct", "the statement", "North Korea", "said", "say"),
         ("imperialists", "partial", "KCNA", "KCNA", "reported", "report")],
    A4: [("NATO of Asian version", "partial", "the North Korean Foreign Ministry", "North Korea", "said", "say"),
         ("The US is now claiming that the US-Japan-ROK [Republic of Korea] relations are just cooperative ones for "
          "strengthening regional stability and security and do not mean NATO of Asian version, but it is nothing but "
          "rhetoric to evade international criticism of the formation of an aggressive bloc,", "direct",
          "the statement", "North Korea", "said", "say"),
         ("This means that the US-Japan-ROK relations have taken on the full-fledged appearance of Asian-version NATO,",
          "direct", "it", "North Korea", "said", "say")],
}
STANCE = {"say": "neutral", "report": "neutral", "accord": "neutral", "allege": "distancing",
          "maintain": "distancing", "emphasize": "endorsing", "accuse": "emotive"}

TECHNIQUES = {"asian_nato": "Name_Calling-Labeling;Guilt_by_Association;Appeal_to_Fear-Prejudice",
              "military_bloc": "Name_Calling-Labeling;Guilt_by_Association", "stooges": "Name_Calling-Labeling",
              "hell_bent": "Loaded_Language", "sinister_aim": "Loaded_Language", "hypocrisy": "Appeal_to_Hypocrisy",
              "world_domination": "Appeal_to_Fear-Prejudice;Exaggeration-Minimisation",
              "imperialists": "Name_Calling-Labeling"}  # as in phrases.yaml

HITS = [  # (article, sentence no., matched phrase, family, category, voice, quote no. or None)
    (A0, 0, "Asian NATO", "asian_nato", "alliance_label", "scare_quote", None),
    (A0, 1, "sinister aim", "sinister_aim", "loaded_language", "partial_quote", 0),
    (A0, 2, "hell-bent", "hell_bent", "loaded_language", "direct_quote", 1),
    (A0, 2, "stooges", "stooges", "name_calling", "direct_quote", 1),
    (A0, 3, "hypocrisy", "hypocrisy", "hypocrisy", "narrator", None),
    (A0, 4, "hypocrisy", "hypocrisy", "hypocrisy", "paraphrase", 2),
    (A1, 0, "Asian NATO", "asian_nato", "alliance_label", "scare_quote", None),
    (A1, 1, "world domination", "world_domination", "fear_appeal", "partial_quote", 0),
    (A1, 2, "military bloc", "military_bloc", "alliance_label", "paraphrase", 2),
    (A1, 3, "Asian version [of] NATO", "asian_nato", "alliance_label", "direct_quote", 1),
    (A1, 4, "military bloc", "military_bloc", "alliance_label", "narrator", None),
    (A2, 0, "military alliance like NATO", "asian_nato", "alliance_label", "paraphrase", 2),
    (A2, 1, "Asia-style NATO", "asian_nato", "alliance_label", "direct_quote", 0),
    (A2, 2, "hypocrisy", "hypocrisy", "hypocrisy", "direct_quote", 1),
    (A3, 0, "military alliance in Asia similar to NATO", "asian_nato", "alliance_label", "narrator", None),
    (A3, 1, "Asia-style NATO", "asian_nato", "alliance_label", "direct_quote", 0),
    (A3, 2, "hypocrisy", "hypocrisy", "hypocrisy", "direct_quote", 1),
    (A3, 3, "imperialists", "imperialists", "name_calling", "scare_quote", None),
    (A4, 0, "NATO of Asian version", "asian_nato", "alliance_label", "partial_quote", 0),
    (A4, 1, "aggressive bloc", "military_bloc", "alliance_label", "direct_quote", 1),
    (A4, 2, "Asian-version NATO", "asian_nato", "alliance_label", "direct_quote", 2),
]

MENTIONS = [  # (article, sentence no., mention as written, actor, actor_type, role)
    (A0, 0, "North Korea", "North Korea", "state", "agent"), (A0, 0, "United States", "United States", "state", "target"),
    (A0, 0, "South Korea", "South Korea", "state", "target"), (A0, 0, "Japan", "Japan", "state", "target"),
    (A0, 1, "KCNA", "KCNA", "media", "speaker"), (A0, 1, "North Korea", "North Korea", "state", "target"),
    (A0, 2, "US", "United States", "state", "agent"),
    (A0, 4, "North Korea", "North Korea", "state", "speaker"), (A0, 4, "South Korea", "South Korea", "state", "other"),
    (A0, 4, "Japan", "Japan", "state", "other"), (A0, 4, "US", "United States", "state", "target"),
    (A1, 1, "North Korean Foreign Ministry", "North Korea", "government_body", "speaker"),
    (A1, 1, "US", "United States", "state", "target"),
    (A1, 2, "Pyongyang", "North Korea", "state", "speaker"), (A1, 2, "US", "United States", "state", "target"),
    (A1, 2, "Japan", "Japan", "state", "target"), (A1, 2, "South Korea", "South Korea", "state", "target"),
    (A1, 4, "NATO", "NATO", "alliance", "agent"), (A1, 4, "Jens Stoltenberg", "Jens Stoltenberg", "person", "speaker"),
    (A2, 0, "North Korea", "North Korea", "state", "agent"), (A2, 0, "United States", "United States", "state", "target"),
    (A2, 1, "Japan", "Japan", "state", "other"), (A2, 1, "South Korea", "South Korea", "state", "other"),
    (A2, 1, "United States", "United States", "state", "agent"), (A2, 1, "Reuters", "Reuters", "media", "other"),
    (A2, 2, "US", "United States", "state", "target"),
    (A3, 0, "Pyongyang", "North Korea", "state", "agent"), (A3, 0, "Washington", "United States", "state", "target"),
    (A3, 1, "Japan", "Japan", "state", "other"), (A3, 1, "United States", "United States", "state", "agent"),
    (A3, 3, "KCNA", "KCNA", "media", "speaker"), (A3, 3, "US", "United States", "state", "target"),
    (A4, 0, "United States", "United States", "state", "agent"), (A4, 0, "Japan", "Japan", "state", "agent"),
    (A4, 0, "South Korea", "South Korea", "state", "agent"), (A4, 1, "US", "United States", "state", "agent"),
    (A4, 1, "Korean Central News Agency", "KCNA", "media", "other"),
]

FRAMES = [(A0, 0, "Security and defense", "alliance;NATO", 2), (A0, 4, "Morality", "hypocrisy", 1),
          (A0, 4, "Security and defense", "military drills", 1), (A1, 2, "Security and defense", "military bloc;threat", 2),
          (A2, 0, "Security and defense", "military alliance;defenses", 2), (A2, 2, "Morality", "hypocrisy", 1),
          (A3, 2, "Morality", "hypocrisy", 1), (A3, 3, "Political", "imperialists", 1),
          (A4, 1, "Security and defense", "security;bloc", 2), (A4, 0, "Security and defense", "defense cooperation", 1)]

LINEAGE = [  # (statement, article, quote no., similarity, differs)
    ("s1", A2, 1, 100.0, ""), ("s1", A3, 1, 97.6, "preconditions', preconditions’"),
    ("s2", A1, 1, 100.0, ""), ("s2", A4, 2, 88.4, "[South Korea] [of] Asian-version"),
    ("s3", A2, 0, 100.0, ""), ("s3", A3, 0, 100.0, ""),
]

KEYNESS = [  # (group_col, group, term, count_target, count_ref, g2, log_ratio, direction, single_article)
    ("outlet", "MNA", "bloc", 3, 1, 9.1, 2.6, "over", False),
    ("outlet", "MNA", "asian version", 2, 1, 5.2, 2.0, "over", False),
    ("outlet", "Outlet B", "world domination", 1, 0, 4.1, 2.9, "over", True),
    ("outlet", "Outlet B", "freedom edge", 3, 1, 7.7, 2.4, "over", False),
    ("outlet", "Islam Times", "hypocrisy", 1, 2, 0.4, 0.3, "over", False),
    ("outlet", "Outlet C", "imperialist", 1, 0, 4.3, 3.1, "over", True),
    ("outlet", "Outlet C", "north korea", 4, 14, 1.2, -0.5, "under", False),
    ("bias", "right", "alliance", 5, 2, 3.3, 1.1, "over", False),
]


# --- building the tables ---------------------------------------------------------------------------------------

def _clean(text: str) -> str:
    return re.sub(r"^\s*date \d{4}-\d{2}-\d{2}\s*", "", text)


@cache
def texts() -> dict[str, str]:
    return {p.stem: _clean(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))}


def _span(article: str, needle: str, after: int = 0) -> tuple[int, int]:
    start = texts()[article].find(needle, after)
    assert start >= 0, f"{needle!r} is not in {article} after {after}"
    return start, start + len(needle)


def _sentence_start(article: str, n: int) -> int:
    return _span(article, SENTENCES[article][n][0])[0]


@cache
def _tables() -> dict[str, pd.DataFrame]:
    arts = pd.DataFrame([{"article_id": a, "outlet": o, "outlet_source": "manifest" if o else "unknown", "date": d,
                          "date_source": "text" if d else "unknown", "date_text": dt, "language": "en",
                          "is_english": True, "text": texts()[a], "n_words": len(texts()[a].split()),
                          "source_path": f"seeds/{a}.txt", "source_row": -1}
                         for a, (o, d, dt) in ARTICLES.items()])
    sents, quotes, hits, mentions = [], [], [], []
    for a, rows in SENTENCES.items():
        for n, (text, q, speaker, actor, vader, pol, subj) in enumerate(rows):
            start, end = _span(a, text)
            sents.append({"article_id": a, "sent_id": n, "start": start, "end": end, "text": text,
                          "position": "headline" if n == 0 else "body", "voice": "narrator" if q is None else "quoted",
                          "quote_id": "" if q is None else f"{a}/q{q}", "speaker": speaker, "speaker_actor": actor,
                          "tb_polarity": pol, "tb_subjectivity": subj, "vader_compound": vader})
    for a, rows in QUOTES.items():
        for n, (text, kind, speaker, actor, cue, lemma) in enumerate(rows):
            start, end = _span(a, text)
            quotes.append({"article_id": a, "quote_id": f"{a}/q{n}", "start": start, "end": end, "text": text,
                           "kind": kind, "speaker": speaker, "speaker_actor": actor, "cue": cue, "cue_lemma": lemma})
    for a, n, phrase, family, category, voice, q in HITS:
        start, end = _span(a, phrase, _sentence_start(a, n))
        quote = QUOTES[a][q] if q is not None else ("", "", "", "")
        hits.append({"article_id": a, "sent_id": n, "start": start, "end": end, "matched_text": phrase,
                     "family": family, "variant": f"{family}/1", "category": category, "voice": voice,
                     "techniques": TECHNIQUES[family],
                     "quote_id": "" if q is None else f"{a}/q{q}", "speaker": quote[2], "speaker_actor": quote[3],
                     "in_headline": n == 0 and a == A1, "position": "headline" if n == 0 else "body"})
    for a, n, text, actor, actor_type, role in MENTIONS:
        start, end = _span(a, text, _sentence_start(a, n))
        polarity = sentiment.toward(SENTENCES[a][n][0], start - _sentence_start(a, n), end - _sentence_start(a, n))
        mentions.append({"article_id": a, "sent_id": n, "start": start, "end": end, "text": text, "actor": actor,
                         "actor_type": actor_type, "role": role, "ner_label": "GPE" if actor_type == "state" else "ORG",
                         "polarity": polarity.label, "polarity_score": polarity.score,
                         "polarity_cues": ", ".join(polarity.cues)})
    out = {"articles": arts, "sentences": pd.DataFrame(sents), "quotes": pd.DataFrame(quotes),
           "hits": pd.DataFrame(hits), "mentions": pd.DataFrame(mentions),
           "frames": pd.DataFrame(FRAMES, columns=["article_id", "sent_id", "frame", "cues", "n_cues"])}
    out = {name: tables.conform(df, name, fill=True) for name, df in out.items()}
    outlet = out["articles"].set_index("article_id")["outlet"]
    q = out["quotes"]
    out["verb_stance"] = tables.conform(q.assign(outlet=q["article_id"].map(outlet),
                                                 stance=q["cue_lemma"].map(STANCE))
                                        [["article_id", "outlet", "quote_id", "speaker", "speaker_actor", "cue",
                                          "cue_lemma", "stance"]], "verb_stance")
    h = out["hits"].assign(outlet=out["hits"]["article_id"].map(outlet).replace("", charts.UNKNOWN))
    for voice in charts.VOICES:
        h[f"n_{voice}"] = (h["voice"] == voice).astype(int)
    adoption = h.groupby(["outlet", "family", "in_headline"], as_index=False).agg(
        n=("family", "size"), **{f"n_{v}": (f"n_{v}", "sum") for v in charts.VOICES})
    adoption["adoption_index"] = adoption["n_narrator"] / adoption["n"]
    out["adoption"] = tables.conform(adoption, "adoption")
    lengths = out["articles"].set_index("article_id")["text"].str.len()
    out["dispersion"] = tables.conform(
        out["hits"].assign(rel_position=out["hits"]["start"] / out["hits"]["article_id"].map(lengths))
        [["article_id", "family", "start", "rel_position", "voice"]], "dispersion")
    quote_text = q.set_index("quote_id")["text"]
    lineage = pd.DataFrame([{"statement_id": s, "article_id": a, "outlet": outlet[a], "quote_id": f"{a}/q{n}",
                             "text": quote_text[f"{a}/q{n}"], "similarity": sim, "differs": diff}
                            for s, a, n, sim, diff in LINEAGE])
    lineage["canonical_text"] = lineage.groupby("statement_id")["text"].transform(lambda t: max(t, key=len))
    out["quote_lineage"] = tables.conform(lineage, "quote_lineage", fill=True)
    out["keyness"] = tables.conform(pd.DataFrame(KEYNESS, columns=["group_col", "group", "term", "count_target",
                                                                   "count_ref", "g2", "log_ratio", "direction",
                                                                   "single_article"]), "keyness", fill=True)
    return out


@pytest.fixture(scope="module")
def t() -> dict[str, pd.DataFrame]:
    return {name: df.copy() for name, df in _tables().items()}


# --- what each chart is called with and must encode -----------------------------------------------------------

CHARTS = {  # name: (call, tables it takes, fields it must encode, mark types that must be drawn)
    "phrase_heatmap": (lambda t: charts.phrase_heatmap(t["hits"], t["articles"]), ["hits", "articles"],
                       {"family", "outlet", "voice", "hits"}, {"rect"}),
    "adoption": (lambda t: charts.adoption(t["adoption"], outlets=t["articles"]["outlet"]), ["adoption"],
                 {"outlet", "family", "adoption_index", "n"}, {"rect", "text"}),
    "voice_ledger": (lambda t: charts.voice_ledger(t["hits"], t["articles"]), ["hits", "articles"],
                     {"outlet", "family", "voice", "hits"}, {"rect"}),
    "techniques": (lambda t: charts.techniques(t["hits"], t["articles"]), ["hits", "articles"],
                   {"technique", "outlet", "where", "hits", "families"}, {"rect"}),
    "verb_stance": (lambda t: charts.verb_stance(t["verb_stance"]), ["verb_stance"],
                    {"outlet", "speaker", "stance", "quotes"}, {"rect"}),
    "sentiment_distribution": (lambda t: charts.sentiment_distribution(t["sentences"], t["articles"]),
                               ["sentences", "articles"], {"bin_start", "bin_end", "signed_share", "voice", "panel"},
                               {"rect", "rule"}),
    "sentiment_by_target": (lambda t: charts.sentiment_by_target(t["sentences"], t["mentions"]),
                            ["sentences", "mentions"], {"actor_label", "score", "voice", "sentence", "article_id"},
                            {"symbol", "rect"}),
    "actor_network": (lambda t: charts.actor_network(t["mentions"], t["quotes"]), ["mentions", "quotes"],
                      {"x", "y", "x2", "y2", "weight", "degree", "actor", "actor_type"}, {"rule", "symbol", "text"}),
    "timeline": (lambda t: charts.timeline(t["articles"], t["hits"]), ["articles", "hits"],
                 {"period_start", "period_end", "n", "outlet", "voice"}, {"rect"}),
    "dispersion": (lambda t: charts.dispersion(t["dispersion"], families=["asian_nato", "hypocrisy"]), ["dispersion"],
                   {"position", "article_id", "voice", "family"}, {"rect"}),
    "keyness": (lambda t: charts.keyness(t["keyness"], top_n=15, outlets=t["articles"]["outlet"]), ["keyness"],
                {"g2", "term", "group"}, {"rect"}),
    "frame_shares": (lambda t: charts.frame_shares(t["frames"], t["sentences"], t["articles"]),
                     ["frames", "sentences", "articles"], {"outlet", "frame", "share", "example", "article_id"},
                     {"rect", "text"}),
    "quote_lineage": (lambda t: charts.quote_lineage(t["quote_lineage"]), ["quote_lineage"],
                      {"outlet", "statement", "similarity", "fragment", "article_id"}, {"rect", "text"}),
}


def encoded_fields(spec: object) -> set[str]:
    """Every field named in an encoding channel (including tooltips and facets) anywhere in the spec."""
    found: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("encoding", "facet"):
                channels = value.values() if key == "encoding" or "field" not in value else [value]
                for channel in channels:
                    for item in channel if isinstance(channel, list) else [channel]:
                        if isinstance(item, dict) and "field" in item:
                            found.add(item["field"])
            found |= encoded_fields(value)
    elif isinstance(spec, list):
        for value in spec:
            found |= encoded_fields(value)
    return found


def drawn_marks(svg: str) -> dict[str, int]:
    """Mark type -> number of drawn items, from the ``mark-*`` groups of a Vega SVG."""
    counts: dict[str, int] = {}
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        classes = group.get("class", "").split()
        if "role-mark" in classes:
            kind = next(c[5:] for c in classes if c.startswith("mark-"))
            counts[kind] = counts.get(kind, 0) + len(group)
    return counts


def render(chart: alt.TopLevelMixin) -> tuple[dict, str]:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    return spec, vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)


def title_text(spec: dict) -> str:
    title = spec.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else str(title)


# --- tests -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CHARTS)
def test_chart_validates_renders_and_encodes(t, name):
    call, _, fields, marks = CHARTS[name]
    spec, svg = render(call(t))
    assert "no data" not in title_text(spec)
    assert fields <= encoded_fields(spec), f"{name} does not encode {fields - encoded_fields(spec)}"
    drawn = drawn_marks(svg)
    for mark in marks:
        assert drawn.get(mark, 0) > 0, f"{name}: no {mark} marks drawn ({drawn})"
    assert len(spec["datasets"]) == 1, "one inline dataset per chart, so the report offers one CSV"
    assert "values" not in json.dumps(spec.get("data", {}))


@pytest.mark.parametrize("name", CHARTS)
def test_chart_data_is_json_without_nan(t, name):
    # Found on the 5,000-article AllSides run: network rows of one kind lacking the other kind's columns, and
    # speaker groups whose quotes have no reporting verb, reached the notebook as NaN and showed as "nan".
    given = dict(t)
    vs = t["verb_stance"]
    given["verb_stance"] = pd.concat([vs, vs.head(1).assign(quote_id="x/q9", cue="", cue_lemma="", stance="")],
                                     ignore_index=True)
    spec = CHARTS[name][0](given).to_dict()
    json.dumps(spec, allow_nan=False)  # raises ValueError on NaN or infinity
    cells = [v for rows in spec["datasets"].values() for row in rows for v in row.values()]
    assert cells and not {"nan", "NaN", "None"} & {v for v in cells if isinstance(v, str)}


@pytest.mark.parametrize("name", CHARTS)
def test_empty_tables_give_a_no_data_chart(name):
    call, inputs, _, _ = CHARTS[name]
    empty = {n: (tables.empty(n) if n in inputs else df) for n, df in _tables().items()}
    spec, svg = render(call(empty))
    assert title_text(spec).endswith("no data")
    assert drawn_marks(svg).get("text", 0) == 1


@pytest.mark.parametrize("name", CHARTS)
def test_charts_are_deterministic(t, name):
    call = CHARTS[name][0]
    assert json.dumps(call(t).to_dict(), sort_keys=True) == json.dumps(call(t).to_dict(), sort_keys=True)


def test_data_returns_the_rows_behind_a_chart(t):
    heat = charts.data(charts.phrase_heatmap(t["hits"], t["articles"]))
    assert {"family", "outlet", "voice", "hits", "articles", "wordings"} <= set(heat.columns)
    assert heat["hits"].sum() == len(t["hits"])
    asian = heat[(heat["family"] == "asian_nato") & (heat["voice"] == "direct_quote")]
    assert asian["hits"].sum() == 4
    assert charts.data(charts.timeline(tables.empty("articles"), tables.empty("hits")))["message"].str.len().iloc[0] > 0


def test_no_json_transformer_and_data_inline(t):
    assert alt.data_transformers.active == "default"
    spec = charts.voice_ledger(t["hits"], t["articles"]).to_dict()
    (rows,) = spec["datasets"].values()
    assert isinstance(rows, list) and rows


def test_outlet_colours_are_the_same_in_every_chart(t):
    def colours(chart: alt.TopLevelMixin) -> dict[str, str]:
        found = {}
        for node in _walk(chart.to_dict()):
            if node.get("field") in ("outlet", "group") and "domain" in node.get("scale", {}):
                found.update(zip(node["scale"]["domain"], node["scale"]["range"]))
        return found
    outlets = t["articles"]["outlet"]
    timeline = colours(charts.timeline(t["articles"], t["hits"]))
    keyness = colours(charts.keyness(t["keyness"], outlets=outlets))
    adoption = colours(charts.adoption(t["adoption"], outlets=outlets))
    assert timeline and keyness and adoption
    assert timeline == keyness == adoption
    assert timeline["(unknown)"] == charts.GREYS["(unknown)"]


def _labels(spec: dict) -> list[str]:
    """The accessible labels of the drawn marks (Vega writes each mark's tooltip fields into aria-label)."""
    return re.findall(r'aria-label="([^"]*)"', vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION))


@pytest.mark.parametrize(("name", "outlet", "gone", "kept"), [
    ("voice_ledger", "MNA", "Phrase family: hypocrisy", "Phrase family: asian_nato"),
    ("verb_stance", "Outlet B", "Speaker: KCNA", "Speaker: North Korea"),
    ("timeline", "Islam Times", "Outlet: Outlet C; Voice", "Outlet: Islam Times; Voice"),
])
def test_picking_an_outlet_filters_the_linked_view(t, name, outlet, gone, kept):
    spec = CHARTS[name][0](t).to_dict()
    assert any(gone in label for label in _labels(spec))
    (param,) = spec["params"]
    param["value"] = [{"outlet": outlet}]  # what a click on that outlet's bar (or legend entry) sets
    labels = _labels(spec)
    assert not any(gone in label for label in labels)
    assert any(kept in label for label in labels)


def test_partial_inputs_still_chart(t):
    hits_only = charts.phrase_heatmap(t["hits"], tables.empty("articles"))
    assert set(charts.data(hits_only)["outlet"]) == {"(unknown)"}
    articles_only = charts.timeline(t["articles"], tables.empty("hits"))
    render(articles_only)
    assert set(charts.data(articles_only)["series"]) == {"articles"}
    undated = charts.timeline(t["articles"].assign(date=""), t["hits"])
    assert title_text(undated.to_dict()).endswith("no data")
    assert "5 of 5 articles have no full date" in " ".join(undated.to_dict()["title"]["subtitle"])


def test_timeline_counts_undated_articles(t):
    spec = charts.timeline(t["articles"], t["hits"]).to_dict()
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "1 of 5 articles have no full date (1 gives only 'Jun. 30') and are not placed" in subtitle
    assert "3 hits" in subtitle
    undated = t["articles"].assign(date=t["articles"]["date"].where(t["articles"]["article_id"] != A0, ""))
    subtitle = " ".join(charts.timeline(undated, t["hits"]).to_dict()["title"]["subtitle"])
    assert "2 of 5 articles have no full date (1 gives only 'Jun. 30'; 1 gives none)" in subtitle
    rows = charts.data(charts.timeline(t["articles"], t["hits"]))
    assert rows.loc[rows["series"] == "articles", "n"].sum() == 4
    assert rows["wave"].nunique() == 2, "the 2022 and 2024 waves get a panel each"


def test_sentence_marks_carry_sentence_and_article(t):
    rows = charts.data(charts.sentiment_by_target(t["sentences"], t["mentions"]))
    us = rows[rows["actor"] == "United States"]
    assert len(us) == 13 and us.groupby("voice")["n"].first().sum() == 13  # every mention shown, n per voice
    tally = us["polarity"].value_counts()
    assert us["actor_label"].iloc[0] == (f"United States (n=13: {tally.get('negative', 0)} neg, "
                                         f"{tally.get('neutral', 0)} neu, {tally.get('positive', 0)} pos)")
    targets = charts.data(charts.sentiment_by_target(t["sentences"], t["mentions"], roles=["target"]))
    assert len(targets[targets["actor"] == "United States"]) == 8
    assert (us["sentence"].str.len() <= charts.CLIP).all()
    assert set(us["article_id"]) <= set(t["articles"]["article_id"])
    assert "“world domination”" in " ".join(rows["sentence"])


def test_actor_network_nodes_on_a_circle_sorted_by_name(t):
    rows = charts.data(charts.actor_network(t["mentions"], t["quotes"]))
    nodes = rows[rows["element"] == "node"]
    assert np.allclose(nodes["x"] ** 2 + nodes["y"] ** 2, 1)
    assert nodes["actor"].tolist() == sorted(nodes["actor"])
    edges = rows[rows["element"] == "edge"]
    north_korea_us = edges[(edges["source"] == "North Korea") & (edges["target"] == "United States")]
    # quotes by North Korea mentioning the US: 000/q2, 001/q2, 002/q0, 002/q1, 002/q2, 003/q0, 004/q1
    assert north_korea_us["weight"].tolist() == [7]
    co = charts.data(charts.actor_network(t["mentions"], t["quotes"], kind="co_mention"))
    assert (co.loc[co["element"] == "edge", "source"] < co.loc[co["element"] == "edge", "target"]).all()


def test_techniques_split_own_voice_from_quotes(t):
    cells = charts.data(charts.techniques(t["hits"], t["articles"]))
    own = cells[cells["where"] == "In its own voice"]
    # Own-voice hits: hypocrisy in A0 (unnamed), military bloc in Outlet B, an Asian NATO wording in Outlet C.
    assert set(zip(own["outlet"], own["technique"])) >= {(charts.UNKNOWN, "Appeal to Hypocrisy"),
                                                         ("Outlet B", "Guilt by Association"),
                                                         ("Outlet C", "Appeal to Fear-Prejudice")}
    assert ("Islam Times", "Appeal to Hypocrisy") not in set(zip(own["outlet"], own["technique"]))
    quoted = cells[(cells["where"] != "In its own voice") & (cells["outlet"] == "Islam Times")]
    assert quoted.loc[quoted["technique"] == "Name Calling-Labeling", "hits"].tolist() == [2]


def test_dispersion_keeps_the_chosen_families(t):
    rows = charts.data(charts.dispersion(t["dispersion"], families=["hypocrisy"]))
    assert set(rows["family"]) == {"hypocrisy"}
    assert rows["hits"].sum() == 4
    assert title_text(charts.dispersion(t["dispersion"], families=["no_such_family"]).to_dict()).endswith("no data")


def test_keyness_top_n_and_direction(t):
    over = charts.data(charts.keyness(t["keyness"], top_n=1))
    assert over.groupby("group").size().max() == 1
    assert set(over["term"]) == {"bloc", "freedom edge", "hypocrisy", "imperialist"}
    under = charts.data(charts.keyness(t["keyness"], direction="under"))
    assert under["term"].tolist() == ["north korea"]


def test_sentiment_distribution_shows_n_and_shares(t):
    rows = charts.data(charts.sentiment_distribution(t["sentences"], t["articles"]))
    assert "MNA (narrator n=1, quoted n=2)" in set(rows["panel"])
    shares = rows.groupby(["outlet", "voice"])["share"].sum()
    assert np.allclose(shares, 1)


def test_large_corpus_is_aggregated_before_charting():
    big = _large_tables(n_rows=50_000, n_articles=5_000)
    for name, (call, _, _, _) in CHARTS.items():
        chart = call(big)
        spec = chart.to_dict()  # raises MaxRowsError when more than 5,000 rows would be inlined
        rows = sum(len(v) for v in spec["datasets"].values())
        assert 0 < rows <= 3_000, f"{name} inlines {rows} rows"
        assert "no data" not in title_text(spec), name
    rows = charts.data(charts.sentiment_by_target(big["sentences"], big["mentions"]))
    assert rows["sentence"].str.len().max() <= charts.CLIP


def _large_tables(*, n_rows: int, n_articles: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    ids = np.array([f"a{i:05d}" for i in range(n_articles)])
    outlets = np.array([f"Outlet {i:02d}" for i in range(40)] + [""])
    days = pd.date_range("2022-06-01", "2024-07-31", freq="D").strftime("%Y-%m-%d").to_numpy()
    articles = tables.conform(pd.DataFrame({
        "article_id": ids, "outlet": rng.choice(outlets, n_articles),
        "date": np.where(rng.random(n_articles) < 0.05, "", rng.choice(days, n_articles)),
        "n_words": rng.integers(100, 2_000, n_articles)}), "articles", fill=True)
    pick = lambda values: rng.choice(np.asarray(values), n_rows)  # noqa: E731
    families = ["asian_nato", "hypocrisy", *(f"family_{i:03d}" for i in range(298))]
    voices = list(charts.VOICES)
    actors = [f"Actor {i:03d}" for i in range(200)]
    art = pick(ids)
    sent = rng.integers(0, 40, n_rows)
    start = rng.integers(0, 5_000, n_rows)
    long = "North Korea accused the United States of setting up a military alliance like NATO in Asia. " * 6
    hits = tables.conform(pd.DataFrame({"article_id": art, "sent_id": sent, "start": start, "end": start + 10,
                                        "matched_text": pick(["Asian NATO", "Asia-style NATO", "military bloc"]),
                                        "family": pick(families), "voice": pick(voices),
                                        "techniques": pick(sorted(set(TECHNIQUES.values())))}), "hits", fill=True)
    sentences = tables.conform(pd.DataFrame({"article_id": art, "sent_id": sent, "text": long,
                                             "voice": pick(["narrator", "quoted"]),
                                             "vader_compound": rng.uniform(-1, 1, n_rows).round(4)})
                               .drop_duplicates(["article_id", "sent_id"]), "sentences", fill=True)
    mentions = tables.conform(pd.DataFrame({"article_id": art, "sent_id": sent, "start": start, "end": start + 5,
                                            "text": pick(actors), "role": pick(["target", "agent", "other"]),
                                            "actor_type": pick(["state", "person"]),
                                            "polarity": pick(["negative", "neutral", "positive"]),
                                            "polarity_score": rng.uniform(-1, 1, n_rows).round(4)})
                              .assign(actor=lambda d: d["text"]), "mentions", fill=True)
    q_art = rng.choice(ids, n_rows // 5)
    q_start = rng.integers(0, 4_000, n_rows // 5)
    quotes = tables.conform(pd.DataFrame({"article_id": q_art, "quote_id": [f"{a}/q{i}" for i, a in enumerate(q_art)],
                                          "start": q_start, "end": q_start + 1_000,
                                          "speaker_actor": rng.choice(actors, n_rows // 5)}), "quotes", fill=True)
    outlet_of = articles.set_index("article_id")["outlet"]
    verb = tables.conform(quotes[["article_id", "quote_id", "speaker_actor"]].assign(
        outlet=quotes["article_id"].map(outlet_of), speaker=quotes["speaker_actor"],
        cue_lemma=rng.choice(["say", "claim", "allege", "slam"], len(quotes)),
        stance=rng.choice(list(charts.STANCES), len(quotes))), "verb_stance", fill=True)
    adoption = tables.conform(hits.assign(outlet=hits["article_id"].map(outlet_of),
                                          narrator=(hits["voice"] == "narrator").astype(int))
                              .groupby(["outlet", "family", "in_headline"], as_index=False)
                              .agg(n=("voice", "size"), n_narrator=("narrator", "sum"))
                              .assign(adoption_index=lambda d: d["n_narrator"] / d["n"]), "adoption", fill=True)
    dispersion = tables.conform(hits[["article_id", "family", "start", "voice"]].assign(
        rel_position=rng.random(n_rows)), "dispersion")
    frames = tables.conform(sentences[["article_id", "sent_id"]].assign(
        frame=rng.choice([f"Frame {i}" for i in range(14)], len(sentences)), n_cues=1), "frames", fill=True)
    keyness = tables.conform(pd.DataFrame({"group_col": "outlet", "group": pick(outlets), "term": pick(actors),
                                           "g2": rng.uniform(0, 50, n_rows), "direction": "over"}),
                             "keyness", fill=True)
    lineage = tables.conform(pd.DataFrame({"statement_id": pick([f"s{i}" for i in range(2_000)]), "article_id": art,
                                           "outlet": pick(outlets), "quote_id": [f"q{i}" for i in range(n_rows)],
                                           "text": long, "canonical_text": long,
                                           "similarity": rng.uniform(50, 100, n_rows)}), "quote_lineage", fill=True)
    return {"articles": articles, "hits": hits, "sentences": sentences, "mentions": mentions, "quotes": quotes,
            "verb_stance": verb, "adoption": adoption, "dispersion": dispersion, "frames": frames,
            "keyness": keyness, "quote_lineage": lineage}


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_mentions_inside_quotes_are_those_a_join_of_each_quote_with_its_articles_mentions_finds(t):
    # The one-searchsorted join against the definition: same article, the mention's offsets within the quote's.
    q = t["quotes"][["article_id", "quote_id", "start", "end", "speaker_actor"]]
    m = t["mentions"][["article_id", "start", "end", "actor"]]
    found = charts._inside(q, m)
    crossed = q.merge(m, on="article_id", suffixes=("_q", "_m"))
    expected = crossed[(crossed["start_m"] >= crossed["start_q"]) & (crossed["end_m"] <= crossed["end_q"])
                       & (crossed["start_m"] < crossed["end_q"])]
    key = ["quote_id", "start_m", "end_m", "actor"]
    assert len(expected) >= 10  # the seeds' quotes name the US, Japan and South Korea
    assert sorted(map(tuple, found[key].to_numpy().tolist())) == sorted(map(tuple, expected[key].to_numpy().tolist()))
    assert (found["article_id_q"] == found["article_id_m"]).all()
    assert charts._inside(q.iloc[:0], m).empty and charts._inside(q, m.iloc[:0]).empty


def test_a_mention_inside_nested_quotes_weighs_its_edge_once(t):
    # A partial quote of the same speaker inside a longer quote (both extracted, as the tagging stage can for
    # "said it was '...'") holds the same mentions: the edge counts the words once, not once per quote around them.
    # The tagging stage marks such a quote ``within`` its holder (tests/test_quotes.py); the chart reads that.
    def weight(quotes):
        rows = charts.data(charts.actor_network(t["mentions"], quotes))
        edge = rows[(rows["element"] == "edge") & (rows["source"] == "North Korea")
                    & (rows["target"] == "United States")]
        return edge["weight"].tolist()

    quotes = t["quotes"]
    outer = quotes[quotes["quote_id"] == quotes.loc[quotes["speaker_actor"] == "North Korea", "quote_id"].iloc[0]]
    us = t["mentions"][(t["mentions"]["article_id"] == outer["article_id"].iloc[0])
                       & (t["mentions"]["actor"] == "United States")
                       & (t["mentions"]["start"] >= outer["start"].iloc[0])
                       & (t["mentions"]["end"] <= outer["end"].iloc[0])]
    assert len(us), "the seed quote chosen names the United States"
    inner = outer.assign(quote_id=outer["quote_id"] + "-inner", start=us["start"].iloc[0] - 1,
                         end=us["end"].iloc[0] + 1, kind="partial", within=outer["quote_id"])
    assert weight(pd.concat([quotes, inner], ignore_index=True)) == weight(quotes) == [7]
    assert weight(pd.concat([quotes, inner.assign(within="")], ignore_index=True)) == [8]  # a statement of its own
