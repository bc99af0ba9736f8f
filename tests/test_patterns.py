"""Tests for analysis.patterns: the pattern language and loading a phrase lexicon."""
from __future__ import annotations

import pytest

from analysis import patterns, profiles, rhetoric


@pytest.fixture(scope="module")
def lex() -> dict:
    """The seeds' story lexicon on its own (the general lexicon's families would change the counts pinned here)."""
    return patterns.lexicon(profiles.load("asian-nato").phrases, source="asian-nato")


@pytest.mark.parametrize("pattern, text, matched", [
    ("asian|asia -?style|version [of] nato", "an Asian version [of] NATO.", "Asian version [of] NATO"),
    ("asian|asia -?style|version [of] nato", "an Asia-style NATO.", "Asia-style NATO"),
    ("asian|asia -?style|version [of] nato", "the ‘Asian version' of NATO", "Asian version' of NATO"),
    ("stooge", "Stooges", "Stooges"),
    ("stooge", "its stooges", "stooges"),
    ("hell-bent", "getting hell bent on it", "hell bent"),
    ("nato -like", "a NATO-like bloc", "NATO-like"),
    ("nato -like", "members of NATO like Poland", None),
    ("(world war iii|third world war)", "a Third World War looms", "Third World War"),
    ("compel ...3 to develop", "it compelled the isolated nation to develop", "compelled the isolated nation to develop"),
    ("compel ...2 to develop", "it compelled the isolated nation to develop", None),
    ("nato's expansion", "NATO’s expansion east", "NATO’s expansion"),
    ("servant of [the] (u.s.|united states)", "a servant of the United States", "servant of the United States"),
    ("=us", "they told us", "us"),
    # contractions, which spaCy's tokenizer splits ("ca" "n't"): a starter's "can't win" matched nothing
    ("can't win", "They can’t win this race.", "can’t win"),
    ("won't|can't back down", "We won't back down.", "won't back down"),
    ("they're lying", "They're lying, he said.", "They're lying"),
])
def test_pattern_syntax(nlp, pattern, text, matched):
    lex = {"t": {"id": "t", "label": "t", "category": "c", "techniques": [], "note": "", "exclude": [],
                 "variants": [{"id": "t.v", "local_id": "v", "pattern": pattern,
                               "token_patterns": patterns.compile_pattern(pattern)}]}}
    doc = nlp(text)
    found = [s.text for _, _, s in rhetoric.spans(doc, matcher=rhetoric.matcher(nlp, lex), lexicon=lex)]
    assert found == ([matched] if matched else [])


def test_the_seed_profiles_lexicon_is_complete(lex):
    assert {"asian_nato", "epithets", "hostile_wording", "fear_appeal", "hypocrisy"} <= set(lex)
    for family in lex.values():
        assert family["techniques"] and set(family["techniques"]) <= patterns.TECHNIQUES
        assert all(v["id"].startswith(family["id"] + ".") for v in family["variants"])


@pytest.mark.parametrize("variant, message", [
    ("{id: v, pattern: 'asian [version nato'}", "family 'broken', variant 'v'.*unbalanced"),
    ("{id: v, pattern: '... nato'}", "variant 'v'.*gap"),
    ("{id: v, pattern: '[the]'}", "variant 'v'.*optional"),
    ("{id: v, pattern: 'nato <3'}", "variant 'v'.*bad word"),
    ("{id: v}", "variant 'v'.*pattern"),
])
def test_lexicon_names_the_bad_family_and_variant(tmp_path, variant, message):
    path = tmp_path / "phrases.yaml"
    path.write_text(f"families:\n  - id: broken\n    label: b\n    category: c\n    techniques: [Doubt]\n"
                    f"    variants:\n      - {{id: ok, pattern: nato}}\n      - {variant}\n", encoding="utf-8")
    with pytest.raises(patterns.LexiconError, match=message):
        patterns.lexicon(path)


def test_lexicon_rejects_unknown_techniques_and_duplicates(tmp_path):
    path = tmp_path / "phrases.yaml"
    path.write_text("families:\n  - {id: f, label: l, category: c, techniques: [Propaganda], "
                    "variants: [{id: v, pattern: x}]}\n", encoding="utf-8")
    with pytest.raises(patterns.LexiconError, match="family 'f'.*Propaganda"):
        patterns.lexicon(path)
    path.write_text("families:\n  - {id: f, label: l, category: c, techniques: [Doubt], "
                    "variants: [{id: v, pattern: x}, {id: v, pattern: y}]}\n", encoding="utf-8")
    with pytest.raises(patterns.LexiconError, match="family 'f'.*'v'"):
        patterns.lexicon(path)


def test_a_missing_lexicon_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        patterns.lexicon(tmp_path / "nowhere.yaml")


def test_families_record_which_lexicon_they_came_from(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("families:\n  - {id: f, label: l, category: c, techniques: [Doubt], variants: [{id: v, pattern: x}]}\n",
                    encoding="utf-8")
    assert patterns.lexicon(path)["f"]["source"] == "mine"
    assert patterns.lexicon(path, source="general")["f"]["source"] == "general"
