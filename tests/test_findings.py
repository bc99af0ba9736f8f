"""Findings for the index: each with its n, its thin-evidence flag and the sentences behind it, on tables written
here by hand (so every number is known) and on the seed run."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import findings, tables

TEXTS = {
    "a1": "The stooges of Washington met again. KCNA said the US wants an Asian NATO.",
    "a2": "North Korea accused Washington of building an Asian NATO. The so-called \"Asian NATO\" alarms KCNA, it said.",
    "a3": "Nordkorea spricht von einer asiatischen NATO.",
}
SPLIT = {a: t.replace(". ", ".|").split("|") for a, t in TEXTS.items()}
SENTENCES = [(a, k, TEXTS[a].index(s), TEXTS[a].index(s) + len(s)) for a, parts in SPLIT.items()
             for k, s in enumerate(parts)]


def _at(article_id, text, sent_id=0):
    return TEXTS[article_id].index(text, TEXTS[article_id].index(SPLIT[article_id][sent_id]))


def _quote(article_id, n, text, speaker, cue, lemma):
    start = _at(article_id, text)
    return {"article_id": article_id, "quote_id": f"{article_id}/q{n}", "start": start, "end": start + len(text),
            "text": text, "kind": "indirect", "speaker": speaker, "speaker_actor": speaker, "cue": cue,
            "cue_lemma": lemma}


def _hit(article_id, sent_id, text, family, techniques, voice, speaker=""):
    start = _at(article_id, text, sent_id)
    return {"article_id": article_id, "sent_id": sent_id, "start": start, "end": start + len(text),
            "matched_text": text, "family": family, "variant": f"{family}.x", "techniques": techniques,
            "voice": voice, "speaker": speaker, "speaker_actor": speaker}


@pytest.fixture()
def run(tmp_path):
    return write_tables(tmp_path / "data")


def write_tables(data):
    """Articles, sentences, quotes and hits whose findings are known, written to ``data``."""
    articles = pd.DataFrame({"article_id": list(TEXTS), "text": list(TEXTS.values()),
                             "outlet": ["Outlet A", "Outlet B", "unnamed outlet (a3)"],
                             "outlet_source": ["manifest", "text", "unknown"], "is_english": [True, True, False],
                             "n_words": [13, 19, 6]})
    sentences = pd.DataFrame(SENTENCES, columns=["article_id", "sent_id", "start", "end"])
    sentences["text"] = [TEXTS[a][s:e] for a, _, s, e in SENTENCES]
    quotes = pd.DataFrame([_quote("a1", 0, "the US wants an Asian NATO", "KCNA", "said", "say"),
                           _quote("a2", 0, "Washington of building an Asian NATO", "North Korea", "accused", "accuse"),
                           _quote("a2", 1, "The so-called \"Asian NATO\" alarms KCNA", "KCNA", "said", "say")])
    hits = pd.DataFrame([
        _hit("a1", 0, "stooges", "stooge", "Name_Calling-Labeling;Loaded_Language", "narrator"),
        _hit("a1", 1, "Asian NATO", "asian_nato", "Guilt_by_Association", "paraphrase", "KCNA"),
        _hit("a2", 0, "Asian NATO", "asian_nato", "Guilt_by_Association", "paraphrase", "North Korea"),
        _hit("a2", 1, "Asian NATO", "asian_nato", "Guilt_by_Association", "scare_quote")])
    for name, df in {"articles": articles, "skipped": pd.DataFrame(), "sentences": sentences, "quotes": quotes,
                     "hits": hits}.items():
        tables.write(tables.conform(df, name, fill=True), name, data)
    return data


def test_a_family_with_its_n_articles_own_voice_and_whose_quotes(run):
    nato = next(f for f in findings.families(run) if f.key == "family-asian_nato")
    assert nato.n == 3 and not nato.thin
    assert "used 3 times in 2 articles from 2 outlets: 0 in an outlet's own voice" in nato.text
    assert "2 in reported speech" in nato.text and "1 as scare quotes" in nato.text
    assert "The quotes that carry it are KCNA (1), North Korea (1)." in nato.text
    assert nato.evidence["sentence"].tolist() == [
        "KCNA said the US wants an Asian NATO.", "North Korea accused Washington of building an Asian NATO.",
        'The so-called "Asian NATO" alarms KCNA, it said.']
    assert nato.evidence["speaker"].tolist() == ["KCNA", "North Korea", ""]


def test_a_finding_resting_on_one_hit_says_so(run):
    stooge = next(f for f in findings.families(run) if f.key == "family-stooge")
    assert stooge.thin and stooge.n == 1 and "rests on a single use" in stooge.text
    assert "1 in an outlet's own voice" in stooge.text


def test_techniques_per_outlet_in_its_own_voice_and_in_quotes(run):
    by_outlet = {f.text.split(",")[0]: f for f in findings.techniques(run)}
    a = by_outlet["Outlet A"].text
    assert "in its own voice: Loaded Language (1), Name Calling-Labeling (1)" in a
    assert "in quotes and scare quotes: Guilt by Association (1)" in a
    b = by_outlet["Outlet B"].text
    assert "in its own voice: no persuasion technique" in b and "Guilt by Association (2)" in b
    assert "All of it comes from a single article." in b and by_outlet["Outlet B"].thin


def test_most_quoted_speakers_with_their_reporting_verbs(run):
    kcna, north_korea = findings.quoted_speakers(run)[:2]
    assert kcna.text.startswith("KCNA is quoted 2 times in 2 articles, introduced with say (2).")
    assert not kcna.thin and kcna.evidence["sentence"].str.contains("KCNA").all()
    assert north_korea.thin and "accuse (1)" in north_korea.text


def test_quotes_whose_speaker_was_not_found_are_counted_apart_not_named_as_a_speaker(run):
    hits = tables.read("hits", run)
    unnamed = hits.iloc[[1, 1]].assign(speaker="", speaker_actor="", start=[40, 50], end=[45, 55])
    tables.write(pd.concat([hits, unnamed], ignore_index=True), "hits", run)
    nato = next(f for f in findings.families(run) if f.key == "family-asian_nato")
    assert ("The quotes that carry it are KCNA (1), North Korea (1); 2 uses in quotes with no speaker found."
            in nato.text)
    assert findings.NO_SPEAKER not in nato.text


def test_the_writer_s_own_i_think_is_no_quoted_source(run):
    quotes = tables.read("quotes", run)
    mine = quotes.iloc[[0, 0, 0]].assign(quote_id=["a1/q7", "a1/q8", "a1/q9"], speaker=["I", "We", "I"],
                                         speaker_actor="", cue="think", cue_lemma="think")
    tables.write(pd.concat([quotes, mine], ignore_index=True), "quotes", run)
    assert [f.text.split(" is quoted")[0] for f in findings.quoted_speakers(run)] == ["KCNA", "North Korea"]


def test_corpus_counts_non_english_exclusions_and_no_failures_table(run):
    (corpus,) = findings.corpus(run)
    assert corpus.n == 3
    assert "1 article excluded from the analysis as non-English" in corpus.text
    assert "failed" not in corpus.text
    assert corpus.text.startswith("3 articles from 2 named outlets and 1 with no named outlet;")  # no "most": one each


def test_corpus_names_the_outlets_with_most_articles_only_when_they_have_more(run, tmp_path):
    articles = tables.read("articles", run)
    more = pd.concat([articles, articles.iloc[[0]].assign(article_id="a4")], ignore_index=True)
    for name in ("skipped", "articles"):
        tables.write(more if name == "articles" else tables.read(name, run), name, tmp_path)
    (corpus,) = findings.corpus(tmp_path)
    assert "4 articles from 2 named outlets (most from Outlet A (2), Outlet B (1)) and 1 with no named outlet" in \
        corpus.text


def test_missing_tables_leave_their_findings_out(run):
    found = findings.all_findings(run)
    keys = [f.key for f in found]
    assert keys[0] == "corpus" and "family-asian_nato" in keys and "key-terms" not in keys and "frames" not in keys


def test_the_seed_findings(seed_run):
    found = {f.key: f for f in findings.all_findings(seed_run / "data")}
    nato = found["family-asian_nato"]
    assert "0 in an outlet's own voice" in nato.text and nato.evidence["article_id"].nunique() == 5
    assert any(k.startswith("speaker-") for k in found) and any(k.startswith("techniques-") for k in found)


def test_an_outlet_naming_itself_is_no_key_term_finding(tmp_path):
    rows = [("Politico", "POLITICO", 189.8), ("Politico", "stooges", 20.5), ("The Hill", "hill", 50.0),
            ("The Hill", "hell-bent", 12.0), ("Reuters", "Hill", 30.0)]
    keyness = pd.DataFrame({"group_col": "outlet", "group": [g for g, _, _ in rows], "term": [t for _, t, _ in rows],
                            "count_target": 10, "count_ref": 1, "df_target": 5, "df_ref": 1,
                            "g2": [g2 for _, _, g2 in rows], "log_ratio": 2.0, "direction": "over",
                            "single_article": False})
    tables.write(keyness, "keyness", tmp_path)
    [found] = findings.key_terms(tmp_path)
    assert "Politico: “stooges”" in found.text and "The Hill: “hell-bent”" in found.text
    assert "POLITICO" not in found.text and "The Hill: “hill”" not in found.text
    assert "Reuters: “Hill”" in found.text  # another outlet's use of the word is a finding


def test_no_key_term_but_from_one_article_is_no_finding_and_no_error(tmp_path, caplog):
    keyness = pd.DataFrame({"group_col": "outlet", "group": ["Politico", "Reuters"], "term": ["stooges", "pact"],
                            "count_target": 3, "count_ref": 0, "df_target": 1, "df_ref": 0, "g2": [12.0, 9.0],
                            "log_ratio": 2.0, "direction": ["over", "under"], "single_article": [True, False]})
    tables.write(keyness, "keyness", tmp_path)
    assert findings.key_terms(tmp_path) == []
    with caplog.at_level("INFO", logger="analysis.findings"):
        findings.all_findings(tmp_path)
    assert "key_terms" not in caplog.text


def test_a_first_person_speaker_carrying_a_phrase_is_the_writer():
    # A new user's index read "The quotes that carry it are I (3)": a columnist's "I wrote".
    hits = pd.DataFrame({"voice": ["paraphrase", "paraphrase", "direct_quote", "narrator"],
                         "speaker": ["I", "I", "Rand Paul", ""]})
    assert findings._carriers(hits, 3) == " The quotes that carry it are the writer (2), Rand Paul (1)."
