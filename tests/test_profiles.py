"""Tests for analysis.profiles: story profiles and the phrase families they add to the general lexicon.

The general lexicon is a stand-in fixture here (tests/fixtures/profiles/general_lexicon.yaml), so the tests pin
how profiles combine lexicons, not the general lexicon's contents.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import cache, patterns, profiles, rhetoric

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "profiles"
GENERAL = FIXTURES / "general_lexicon.yaml"
GUN_TEXT = ("Senator Hale called them weapons of war. Critics warned of an existential threat to rights, "
            "and one thug was arrested.")


def test_the_seed_profile_ships_its_phrase_families_and_queries():
    profile = profiles.load("asian-nato")
    assert "asian-nato" in profiles.names()
    assert profile.name == "asian-nato" and "Asian NATO" in profile.description
    assert profile.kwic_queries == ("asian_nato", "stooge")
    assert profile.phrases.name == "phrases.yaml" and profile.phrases.parent == profile.folder
    assert profile.actors is None and profile.hostile_terms is None  # the shipped tables were written for it
    assert "asian_nato" in patterns.lexicon(profile.phrases)


def test_no_story_is_the_empty_profile():
    assert profiles.load("") == profiles.load(None) == profiles.Profile()


def test_a_profile_folder_is_found_by_path_and_its_files_by_name():
    profile = profiles.load(FIXTURES / "guns")
    assert profile.name == "guns" and profile.phrases == (FIXTURES / "guns" / "phrases.yaml").resolve()
    assert profile.kwic_queries == ("assault_weapons", "red flag law")


def test_an_unknown_profile_names_the_shipped_ones_and_new_story(tmp_path):
    with pytest.raises(profiles.ProfileError, match="asian-nato.*framing new-story"):
        profiles.load("no-such-story")
    (tmp_path / "profile.yaml").write_text("description: x\nkwic_query: [a]\n", encoding="utf-8")
    with pytest.raises(profiles.ProfileError, match="unknown keys.*kwic_query"):
        profiles.load(tmp_path)
    (tmp_path / "profile.yaml").write_text("phrases: missing.yaml\n", encoding="utf-8")
    with pytest.raises(profiles.ProfileError, match="phrases.*missing.yaml"):
        profiles.load(tmp_path)


def test_terms_judged_not_loaded_are_read_and_checked(tmp_path):
    (tmp_path / "profile.yaml").write_text("not_loaded: [win, Base, \"clinton  win\"]\n", encoding="utf-8")
    assert profiles.load(tmp_path).not_loaded == ("win", "Base", "clinton  win")
    (tmp_path / "profile.yaml").write_text("not_loaded: win\n", encoding="utf-8")
    with pytest.raises(profiles.ProfileError, match="not_loaded must be a list"):
        profiles.load(tmp_path)


def test_the_seed_profile_is_the_default_for_the_seeds_only(seeds_dir, tmp_path):
    assert profiles.default_for(None) == "asian-nato"
    assert profiles.default_for([str(seeds_dir)]) == "asian-nato"
    assert profiles.default_for([str(tmp_path)]) == ""
    assert profiles.default_for([str(seeds_dir), str(tmp_path)]) == ""


def test_a_notebook_run_by_hand_takes_the_story_of_its_run_not_the_seeds_one(seeds_dir, tmp_path):
    import nbformat

    data = tmp_path / "data"
    data.mkdir()
    assert profiles.resolve("auto", data_dir=data) == ""  # nothing ingested yet: the notebook's read says so
    seeds = [f"seeds/{p.name}" for p in sorted(seeds_dir.glob("*.txt"))[:3]]
    pd.DataFrame({"source_path": seeds}).to_parquet(data / "articles.parquet")
    assert profiles.resolve("auto", data_dir=data) == "asian-nato"  # the seeds' own articles
    pd.DataFrame({"source_path": seeds + ["allsides/x.txt"]}).to_parquet(data / "articles.parquet")
    assert profiles.resolve("auto", data_dir=data) == ""  # another corpus: no shipped profile is its own
    pd.DataFrame({"source_path": ["seeds/not_a_seed_file.txt"]}).to_parquet(data / "articles.parquet")
    assert profiles.resolve("auto", data_dir=data) == ""  # a folder named seeds elsewhere is not the seeds
    executed = tmp_path / "reports" / "notebooks" / "02_tag.ipynb"
    executed.parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"story": str(FIXTURES / "guns")}}  # what `framing run` used
    nbformat.write(nb, str(executed))
    assert profiles.resolve("auto", data_dir=data) == ""  # the run recorded no articles table: not its record
    cache.write({"ingest": {"outputs": {"articles": cache.file_digest(data / "articles.parquet")}}}, data)
    assert profiles.resolve("auto", data_dir=data) == str(FIXTURES / "guns")
    pd.DataFrame({"source_path": seeds}).to_parquet(data / "articles.parquet")  # ingest re-run by hand on seeds
    assert profiles.resolve("auto", data_dir=data) == "asian-nato"
    assert profiles.resolve("", data_dir=data) == "" and profiles.resolve("asian-nato", data_dir=data) == "asian-nato"


def test_the_general_lexicon_is_matched_with_the_story_families_and_hits_say_which(nlp):
    families = profiles.lexicon(profiles.load(FIXTURES / "guns"), general=GENERAL)
    assert [(f, fam["source"]) for f, fam in families.items()] == [
        ("gen_name_calling", "general"), ("gen_fear", "general"), ("assault_weapons", "guns")]
    h = rhetoric.hits(nlp(GUN_TEXT), matcher=rhetoric.matcher(nlp, families), lexicon=families, article_id="g")
    assert sorted(zip(h["family"], h["lexicon"])) == [
        ("assault_weapons", "guns"), ("gen_fear", "general"), ("gen_name_calling", "general")]


def test_without_a_story_only_the_general_lexicon_is_matched(nlp):
    general_only = profiles.lexicon(profiles.Profile(), general=GENERAL)
    assert set(general_only) == {"gen_name_calling", "gen_fear"}
    seeds = profiles.lexicon(profiles.load("asian-nato"), general=GENERAL)
    text = 'They denounced an "Asian NATO" and its stooges, an existential threat.'
    for families, expected in ((general_only, {"gen_fear"}), (seeds, {"gen_fear", "asian_nato", "epithets"})):
        h = rhetoric.hits(nlp(text), matcher=rhetoric.matcher(nlp, families), lexicon=families, article_id="s")
        assert set(h["family"]) == expected
    assert set(h.loc[h["family"] == "asian_nato", "lexicon"]) == {"asian-nato"}


def test_an_override_replaces_the_story_families_and_a_clash_is_refused(tmp_path):
    override = profiles.lexicon(profiles.load("asian-nato"), override=FIXTURES / "guns" / "phrases.yaml",
                                general=GENERAL)
    assert set(override) == {"gen_name_calling", "gen_fear", "assault_weapons"}
    assert override["assault_weapons"]["source"] == "phrases"
    clash = tmp_path / "clash.yaml"
    clash.write_text("families:\n  - {id: gen_fear, label: l, category: c, techniques: [Doubt], "
                     "variants: [{id: v, pattern: x}]}\n", encoding="utf-8")
    with pytest.raises(patterns.LexiconError, match="gen_fear.*already in the general lexicon"):
        profiles.lexicon(profiles.Profile(), override=clash, general=GENERAL)


def test_framing_run_refuses_an_unknown_story_before_any_notebook_runs(tmp_path, caplog):
    from analysis import cli

    assert cli.main(["run", "--story", "no-such-story", "--out", str(tmp_path)]) == 2
    assert "no story profile 'no-such-story'" in caplog.text
    assert not (tmp_path / "data").exists()


def _articles(n: int) -> pd.DataFrame:
    return pd.DataFrame({"article_id": [f"a{k}" for k in range(n)], "is_english": True})


def _hits(ids: list[str], lexicon: str) -> pd.DataFrame:
    return pd.DataFrame({"article_id": ids, "lexicon": lexicon, "family": "f"})


def test_fit_says_plainly_when_the_profiles_families_match_little():
    seeds = profiles.load("asian-nato")
    poor = profiles.fit(seeds, articles=_articles(10), hits=_hits(["a1", "a1", "a2"], "general"))
    assert poor[["check", "fits"]].values.tolist() == [["phrases", False]]
    assert "occur in only 0 of 10 articles (0%; 0 hits)" in poor["finding"][0]
    assert "framing new-story" in poor["finding"][0]
    good = profiles.fit(seeds, articles=_articles(10), hits=_hits(["a1", "a2", "a3"], "asian-nato"))
    assert good["fits"].tolist() == [True] and "3 of 10 articles (30%)" in good["finding"][0]
    assert profiles.fit(profiles.Profile(), articles=_articles(10), hits=_hits([], "general")).empty


def test_a_starter_profile_nobody_has_pruned_is_said_first_not_to_fit(tmp_path):
    import shutil

    folder = tmp_path / "mine"
    shutil.copytree(profiles.folder("asian-nato"), folder)
    spec = folder / "profile.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "starter: true\n", encoding="utf-8")
    unpruned = profiles.load(folder)
    out = profiles.fit(unpruned, articles=_articles(10), hits=_hits(["a1", "a2", "a3"], "asian-nato"))
    assert out[["check", "fits"]].values.tolist() == [["pruned", False], ["phrases", True]]
    assert "nobody has pruned yet" in out["finding"][0] and "delete that line" in out["finding"][0]
    spec.write_text(spec.read_text(encoding="utf-8").replace("starter: true\n", "starter: yes please\n"))
    with pytest.raises(profiles.ProfileError, match="starter must be true or false"):
        profiles.load(folder)
    assert not profiles.load("asian-nato").starter


def test_fit_names_the_key_actors_missing_from_the_alias_table():
    rows = [("NRA", "ORG", "")] * 5 + [("Obama", "PERSON", "")] * 4 + [("U.S.", "GPE", "United States")] * 3 + \
           [("the NRA's", "ORG", "")] + [("said", "", "")]
    mentions = pd.DataFrame(rows, columns=["text", "ner_label", "actor"])
    out = profiles.fit(profiles.Profile(), articles=_articles(3), mentions=mentions, top=3)
    assert out["fits"].tolist() == [False]
    assert "2 of the 3 most mentioned names are not in the shipped alias table: NRA (6), Obama (4)" in out["finding"][0]
    assert profiles.fit(profiles.Profile(), articles=_articles(3), mentions=mentions, top=3,
                        max_unknown=0.7)["fits"].tolist() == [True]


def test_the_report_index_warns_first_where_the_profile_does_not_fit(tmp_path):
    from analysis import findings, tables

    seeds = profiles.load("asian-nato")
    tables.write(profiles.fit(seeds, articles=_articles(10), hits=_hits(["a1"], "general")), "profile_fit", tmp_path)
    assert findings.profile_fit(tmp_path)[0].text.startswith("Warning: The story profile 'asian-nato' does not fit")
    tables.write(profiles.fit(seeds, articles=_articles(2), hits=_hits(["a1"], "asian-nato")), "profile_fit", tmp_path)
    assert findings.profile_fit(tmp_path) == []
