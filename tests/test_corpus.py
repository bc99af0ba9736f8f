"""Ingestion: readers, metadata found in the text, cleaning, the manifest, and the accounting of every input."""
from __future__ import annotations

import gzip
import importlib.util
import json
import tempfile
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import corpus, tables

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INGEST = FIXTURES / "ingest"
BAD = FIXTURES / "bad"

SEED_000, SEED_001, SEED_002, SEED_003, SEED_004 = (
    "000_7a0cd52b09a6d4f5", "001_6e8327de55d568cf", "002_85103c6223975557", "003_b66772f92caee721",
    "004_a60133d9da8e9fef")
SEED_003_LIST = ["U.S. Expected to Expand Travel Ban to More Than 30 Countries",
                 "IMF Deputy Dan Katz Visits China as Key Economic Review Nears",
                 "Honduras Election Turmoil Deepens as Nasralla Alleges Fraud in Tight Presidential Race"]


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    """The seed corpus, ingested once."""
    return corpus.ingest([seeds_dir])


def article(ingested: corpus.Ingested, article_id: str) -> dict:
    rows = ingested.articles[ingested.articles["article_id"] == article_id]
    assert len(rows) == 1, f"no single article {article_id!r} in {ingested.articles['article_id'].tolist()}"
    return rows.iloc[0].to_dict()


def stripped(ingested: corpus.Ingested, article_id: str) -> list[tuple[str, str]]:
    rows = ingested.stripped[ingested.stripped["article_id"] == article_id]
    return list(zip(rows["kind"], rows["text"]))


# --- the seeds, as read by a person ----------------------------------------------------------------------------

def test_seed_000_date_marker_is_read_and_removed(seeds):
    a = article(seeds, SEED_000)
    assert (a["date"], a["date_source"], a["date_text"]) == ("2022-06-29", "text", "")
    assert a["text"].startswith("North Korea has accused the United States")
    assert ("date_marker", "date 2022-06-29") in stripped(seeds, SEED_000)


def test_seed_000_subheading_is_not_a_headline(seeds):
    a = article(seeds, SEED_000)
    assert (a["title"], a["title_source"]) == ("", "unknown")
    assert "\nNorth Korea accuses US of hypocrisy\n" in a["text"]


def test_seed_001_headline_line(seeds):
    a = article(seeds, SEED_001)
    assert a["title"] == "North Korea Accuses US, Japan, and South Korea of Creating ‘Asian NATO’"
    assert a["title_source"] == "text"
    # the headline is text, not boilerplate: it stays, on its own line, above the body
    assert a["text"].startswith(a["title"] + "\n\nNorth Korea claims that a joint defense pledge")
    assert stripped(seeds, SEED_001) == []


def test_seed_002_outlet_before_the_story(seeds):
    a = article(seeds, SEED_002)
    assert (a["outlet"], a["outlet_source"]) == ("Islam Times", "text")
    assert (a["date"], a["date_source"]) == ("2022-06-27", "text")
    assert a["text"].startswith("North Korea accused the United States of setting up")
    assert [k for k, _ in stripped(seeds, SEED_002)] == ["date_marker", "outlet_prefix"]


def test_seed_003_headline_list_is_stripped_and_recorded(seeds):
    a = article(seeds, SEED_003)
    removed = stripped(seeds, SEED_003)
    assert len(removed) == 17 and {k for k, _ in removed} == {"headline_list"}
    for line in SEED_003_LIST:
        assert line not in a["text"]
        assert ("headline_list", line) in removed
    assert a["text"].endswith("The war ended with an armistice instead of a peace treaty. US-led UN forces are still "
                              "essentially at war with North Korea.")
    assert a["n_stripped"] == 17


def test_seed_004_dateline_agency_and_partial_date(seeds):
    a = article(seeds, SEED_004)
    assert (a["outlet"], a["outlet_source"]) == ("Mehr News Agency", "dateline")
    assert (a["date"], a["date_text"], a["date_source"]) == ("", "Jun. 30", "dateline")
    assert a["text"].startswith("North Korea believes that by bolstering")
    assert not a["text"].rstrip().endswith("AMK/PR")
    assert stripped(seeds, SEED_004) == [("dateline", "TEHRAN, Jun. 30 (MNA) –"), ("signoff", "AMK/PR")]


def test_seed_quote_marks_are_kept_and_recorded(seeds, seed_texts):
    a = article(seeds, SEED_000)
    assert "“The US is getting hell-bent" in a["text"] and 'NATO," KCNA reported' in a["text"]
    assert a["quote_marks"] == "\"'“’‘"
    assert article(seeds, SEED_003)["quote_marks"] == "’“”‘"
    for text in seeds.articles["text"]:
        assert unicodedata.is_normalized("NFC", text)


def test_seed_tables_conform_and_account_for_every_file(seeds, seeds_dir, tmp_path):
    assert seeds.inputs == len(list(seeds_dir.glob("*.txt"))) == len(seeds.articles)
    assert seeds.skipped.empty
    for name in ("articles", "stripped", "skipped"):
        tables.write(getattr(seeds, name), name, tmp_path)
        assert tables.read(name, tmp_path).equals(getattr(seeds, name))
    assert (seeds.articles["language"] == "en").all() and seeds.articles["is_english"].all()
    assert seeds.articles["source_path"].str.startswith("seeds/").all()
    assert (seeds.articles["n_stripped"] == seeds.articles["article_id"].map(
        seeds.stripped["article_id"].value_counts()).fillna(0)).all()


def test_ingest_is_deterministic(seeds, seeds_dir):
    again = corpus.ingest([seeds_dir])
    assert again.articles.equals(seeds.articles) and again.stripped.equals(seeds.stripped)


# --- metadata extractors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, date, date_text", [
    (" date 2022-06-29 North Korea has accused", "2022-06-29", ""),
    ("date 2024-13-45 Impossible month and day.", "", "2024-13-45"),
    ("DATE: 2024-02-29 Leap day.", "2024-02-29", ""),
])
def test_leading_marker(text, date, date_text):
    found = corpus.leading_marker(text)
    assert (found.date, found.date_text) == (date, date_text)
    assert text[found.start:found.end].strip() == found.text


def test_leading_marker_absent():
    assert corpus.leading_marker("The date 2022-06-29 was mentioned mid-sentence.") is None
    assert corpus.leading_marker("date of birth unknown") is None


@pytest.mark.parametrize("text, agency, outlet, place, date, date_text", [
    ("TEHRAN, Jun. 30 (MNA) – North Korea believes", "MNA", "Mehr News Agency", "TEHRAN", "", "Jun. 30"),
    ("Pyongyang, December 24 (KCNA) -- Japan continues", "KCNA", "Korean Central News Agency", "Pyongyang", "",
     "December 24"),
    ("Pyongyang, August 3 (KCNA) --Kim Jong Un inspected", "KCNA", "Korean Central News Agency", "Pyongyang", "",
     "August 3"),
    ("SEOUL, June 30, 2024 (Yonhap) -- South Korea said", "Yonhap", "Yonhap News Agency", "SEOUL", "2024-06-30", ""),
    ("WASHINGTON (Reuters) - The United States said", "Reuters", "Reuters", "WASHINGTON", "", ""),
    ("SEOUL, South Korea (AP) — Hackers apparently", "AP", "Associated Press", "SEOUL, South Korea", "", ""),
    ("(CNN) Revelers on the west coast", "CNN", "CNN", "", "", ""),
    ("HANOI, Vietnam — This time around", "", "", "HANOI, Vietnam", "", ""),
    ("MINSK, Jul. 4 (BELTA) – Officials said", "BELTA", "BELTA", "MINSK", "", "Jul. 4"),
])
def test_dateline(text, agency, outlet, place, date, date_text):
    found = corpus.dateline(text)
    assert (found.agency, found.value, found.place, found.date, found.date_text) == (agency, outlet, place, date,
                                                                                     date_text)
    assert text[found.start:found.end].strip() == found.text


@pytest.mark.parametrize("text", [
    "North Korea (DPRK) - the country said",  # an acronym in brackets is no agency without a date
    "FILE - In this photo taken in 2018, a soldier stands guard",  # a kicker, not a place
    "NATO-led forces moved east on Tuesday.",
    "US officials said on Tuesday that talks would resume.",
    "Washington -- The president said",  # a mixed-case place with no agency is left alone
])
def test_dateline_absent(text):
    assert corpus.dateline(text) is None


def test_outlet_prefix():
    found = corpus.outlet_prefix("Islam Times - North Korea accused the United States")
    assert (found.value, found.text) == ("Islam Times", "Islam Times -")
    assert corpus.outlet_prefix("Fasten Your Seat Belt — The ride is bumpy") is None
    assert corpus.outlet_prefix("WASHINGTON — President Biden said") is None
    assert corpus.outlet_prefix("North Korea accused the United States") is None


def test_headline():
    text = "North Korea Accuses US, Japan, and South Korea of Creating ‘Asian NATO’\n\nNorth Korea claims that ..."
    found = corpus.headline(text)
    assert found.value == "North Korea Accuses US, Japan, and South Korea of Creating ‘Asian NATO’"
    assert text[found.start:found.end] == found.value
    assert corpus.headline("A first paragraph that is a sentence.\n\nAnother one.") is None
    assert corpus.headline("Headline Without Any Body Below It") is None  # no body: not a headline
    assert corpus.headline("By John Smith and Jane Doe\n\nThe story.") is None
    assert corpus.headline("Sacramento\n\nA Bay Area Assemblyman got an earful.") is None


def test_headline_matching_a_supplied_title():
    text = "Kerry Warns North Korea, But Holds Out Hope For Diplomacy\n\nWalking a line meant to show resolve."
    assert corpus.headline(text, title="Kerry Warns North Korea, But Holds Out Hope For Diplomacy").value
    assert corpus.headline(text, title="A Different Title") is None


@pytest.mark.parametrize("value, expected", [
    ("2024-06-30", ("2024-06-30", "")),
    ("2023-12-24 00:00:00", ("2023-12-24", "")),
    ("2024-06-30T07:30:00+00:00", ("2024-06-30", "")),
    ("June 30, 2024", ("2024-06-30", "")),
    ("Sunday, June 30, 2024", ("2024-06-30", "")),
    ("30 June 2024", ("2024-06-30", "")),
    ("Jun. 30", ("", "Jun. 30")),
    ("December 24", ("", "December 24")),
    ("2024-13-45", ("", "2024-13-45")),
    ("2023-02-29", ("", "2023-02-29")),
    ("06/30/2024", ("", "06/30/2024")),  # ambiguous order: kept as written
    ("1483142400000", ("2016-12-31", "")),  # milliseconds, as pandas' to_json writes dates by default
    (1483142400000, ("2016-12-31", "")),
    ("1719705600", ("2024-06-30", "")),  # seconds
    ("12345", ("", "12345")),
    ("", ("", "")),
    (None, ("", "")),
])
def test_parse_date(value, expected):
    assert corpus.parse_date(value) == expected


# --- cleaning --------------------------------------------------------------------------------------------------

def test_strip_boilerplate_navigation_and_signoff():
    text = "First paragraph of the story.\nShare this\nSecond paragraph.\nAdvertisement\nRead more\nLast one.\n\nAMK/PR"
    cleaned, removed = corpus.strip_boilerplate(text)
    assert cleaned == "First paragraph of the story.\nSecond paragraph.\nLast one."
    assert removed == [("navigation", "Share this"), ("navigation", "Advertisement"), ("navigation", "Read more"),
                       ("signoff", "AMK/PR")]


def test_strip_boilerplate_video_player_share_line_and_newsletter_box_seen_in_allsides():
    clutter = ["JUST WATCHED Toobin: DOMA is gone Replay More Videos ... MUST WATCH Toobin: DOMA is gone 01:04",
               "Read or Share this story: http://usat.ly/1cSQIuC",
               "Get the Monitor Stories you care about delivered to your inbox. By signing up, you agree to our "
               "Privacy Policy"]
    body = ["The court ruled on Wednesday.", "She said she had just watched the ruling and read or shared nothing."]
    cleaned, removed = corpus.strip_boilerplate("\n".join([body[0], *clutter, body[1]]))
    assert cleaned == "\n".join(body)  # a sentence saying "just watched" or "read or share" stays
    assert removed == [("navigation", line) for line in clutter]


def test_strip_boilerplate_slideshow_and_photo_captions_seen_in_allsides():
    clutter = ["Hide caption Shayna Mason, 11, signs a poster of King following a march down Pennsylvania Avenue. "
               "Previous Next Andrew Harnik/The Washington Times /Landov",
               "Hide caption A steady rain fell during the event. Previous Next Kevin Dietsch/UPI/Landov 1 of 9 i View "
               "slideshow",
               "Related Video At Thursday’s Senate hearing, Judge Brett Kavanaugh gets emotional as he recounts moments "
               "that involved his family and friends. Photo: Associated Press",
               "Deputy Attorney General Rod Rosenstein Photo: Brendan Smialowski/Agence France-Presse/Getty Images",
               "Republicans in Congress are considering tweaking their tax-overhaul plan. WSJ's Gerald F. Seib explains "
               "what's next for tax reform. Photo: Getty Images.",
               "Image copyright Getty Images Image caption Paul Manafort was found guilty of multiple fraud charges in "
               "2018",
               "Attorney General William Barr testifies on Capitol Hill, April 9, 2019. (Aaron P. Bernstein/Reuters)",
               "Former U.S. ambassador Marie Yovanovitch arrives on Capitol Hill. (AP Photo/Alex Brandon)",
               "Follow @politicalticker Follow @KilloughCNN",
               "Daily politics news delivered to your inbox: sign up for our newsletter"]
    body = ["The court ruled on Wednesday.", "The photo: a man in a red coat, she said.",
            "He said the caption was hidden. Previous attempts failed, and the next one would too.",
            "The ruling (a 5/4 decision) stands.", "She said she would follow the money and the image would stay."]
    cleaned, removed = corpus.strip_boilerplate("\n".join([body[0], *clutter, *body[1:]]))
    assert cleaned == "\n".join(body)  # prose about a photo or a caption stays
    assert removed == [("navigation", line) for line in clutter]


def test_strip_boilerplate_inline_signoff_and_footer():
    cleaned, removed = corpus.strip_boilerplate("The statement ended there. -0-")
    assert (cleaned, removed) == ("The statement ended there.", [("signoff", "-0-")])
    cleaned, removed = corpus.strip_boilerplate("Body text.\n\nCopyright © 2019 The Washington Times, LLC.")
    assert (cleaned, removed) == ("Body text.", [("footer", "Copyright © 2019 The Washington Times, LLC.")])


def test_headline_list_is_structural_not_a_list_of_headlines():
    headlines = ["Orchard Growers Count Losses After Late Frost", "City Council Approves New Cycle Lanes",
                 "Local Library Extends Weekend Opening Hours", "Museum Returns Bronze Statue to Its Owners"]
    text = "The body of the story ends with a sentence.\n\n" + "\n".join(headlines)
    cleaned, removed = corpus.strip_boilerplate(text)
    assert cleaned == "The body of the story ends with a sentence."
    assert removed == [("headline_list", h) for h in headlines]


def test_headline_list_needs_a_run_and_leaves_sentences_alone():
    two = "Body sentence.\nOrchard Growers Count Losses After Late Frost\nCity Council Approves New Cycle Lanes"
    assert corpus.strip_boilerplate(two) == (two, [])  # two lines are not a list
    names = ("The officials present were:\nNo Kwang Chol, minister of National Defence\n"
             "Ri Man Su, minister of State Construction Control\nKim Song Bin, chairman of the State Commission")
    assert corpus.strip_boilerplate(names)[1] == []  # a list of people with lower-case roles is content
    sentences = "One.\nShe said It Was Fine.\nThey Agreed To Meet Again.\nThe End Came Quickly."
    assert corpus.strip_boilerplate(sentences)[1] == []


def test_strip_boilerplate_never_strips_everything_as_a_headline_list():
    lines = "\n".join(["Orchard Growers Count Losses", "City Council Approves Lanes", "Library Extends Hours"])
    assert corpus.strip_boilerplate(lines) == (lines, [])


def test_boilerplate_file_is_editable(tmp_path, seeds_dir):
    custom = tmp_path / "boilerplate.yaml"
    custom.write_text("navigation:\n  - 'North Korea accuses US of hypocrisy'\n", encoding="utf-8")
    result = corpus.ingest([seeds_dir / f"{SEED_000}.txt"], boilerplate_path=custom)
    assert ("navigation", "North Korea accuses US of hypocrisy") in stripped(result, SEED_000)
    custom.write_text("navigation:\n  - '(unclosed'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        corpus.ingest([seeds_dir], boilerplate_path=custom)


def test_normalise_keeps_quote_marks_and_applies_nfc():
    text, controls = corpus.normalise("  Cafe\u0301 “quoted” and \"straight\"\r\n\r\n\r\n\r\nNext\x07 line  \n")
    assert text == "Café “quoted” and \"straight\"\n\nNext line"
    assert controls == "\\x07"
    assert corpus.quote_marks(text) == "“”\""


def test_clean_removes_a_dateline_under_a_headline_but_keeps_the_headline():
    cleaned = corpus.clean("Talks to Resume Next Month\n\nSEOUL, June 30, 2024 (Yonhap) -- Officials said so.\nEND")
    assert cleaned.text == "Talks to Resume Next Month\n\nOfficials said so."
    assert cleaned.found["headline"].value == "Talks to Resume Next Month"
    assert cleaned.found["dateline"].date == "2024-06-30"
    assert cleaned.stripped == [("dateline", "SEOUL, June 30, 2024 (Yonhap) --"), ("signoff", "END")]


def test_clean_records_what_it_removed():
    cleaned = corpus.clean(" date 2022-06-27 Islam Times - Story text here.\nShare this\nMore text.")
    assert cleaned.text == "Story text here.\nMore text."
    assert cleaned.stripped == [("date_marker", "date 2022-06-27"), ("outlet_prefix", "Islam Times -"),
                                ("navigation", "Share this")]
    assert cleaned.found["outlet_prefix"].value == "Islam Times"


# --- decoding --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, text, encoding", [
    ("plain “curly” text".encode("utf-8"), "plain “curly” text", "utf-8"),
    (b"\xef\xbb\xbfwith a BOM", "with a BOM", "utf-8-sig"),
    ("UTF-16 “text”".encode("utf-16"), "UTF-16 “text”", "utf-16"),
    (b"\xfe\xff" + "big endian".encode("utf-16-be"), "big endian", "utf-16"),
    (b"\x93Windows quotes\x94 and it\x92s \x96 a dash", "“Windows quotes” and it’s – a dash", "cp1252"),
    (b"caf\xe9 na\xefve with a stray \x81 byte" + b" and more text" * 20, None, "latin-1"),
])
def test_decode(data, text, encoding):
    decoded, used = corpus.decode(data)
    assert used == encoding
    if text is not None:
        assert decoded == text


@pytest.mark.parametrize("data, reason", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(1, 9)) * 50, "binary"),
    (b"\xef\xbb\xbfBOM then \xff\xfe bad", "undecodable"),
    (b"\xff\xfe" + b"\x00\xd8", "undecodable"),  # UTF-16 BOM, then a lone surrogate
    (bytes(range(0x80, 0xa0)) * 8, "undecodable"),
])
def test_decode_refuses(data, reason):
    with pytest.raises(corpus.DecodeError) as err:
        corpus.decode(data)
    assert err.value.reason == reason and str(err.value)


def test_cp1252_file_keeps_its_curly_quotes(tmp_path):
    (tmp_path / "win.txt").write_bytes(b"The minister called it \x93a provocation\x94 and left. " * 3)
    result = corpus.ingest([tmp_path])
    a = result.articles.iloc[0]
    assert a["encoding"] == "cp1252" and a["quote_marks"] == "“”"
    assert "“a provocation”" in a["text"]


def test_latin1_control_characters_are_recorded(tmp_path):
    (tmp_path / "old.txt").write_bytes(b"Caf\xe9 owners met on Monday \x81 to discuss the new rules. "
                                       + b"The caf\xe9 owners agreed. " * 4)
    result = corpus.ingest([tmp_path])
    assert result.articles.iloc[0]["encoding"] == "latin-1"
    assert "\x81" not in result.articles.iloc[0]["text"]
    assert ("control", "\\x81") in stripped(result, "old")


# --- readers ---------------------------------------------------------------------------------------------------

def test_read_txt(seeds_dir):
    [record] = corpus.read_txt(seeds_dir / f"{SEED_004}.txt")
    assert record.text.startswith("TEHRAN, Jun. 30 (MNA)") and record.encoding == "utf-8" and record.row == -1


def test_read_jsonl_gz_maps_kcna_fields():
    records = corpus.read_jsonl(INGEST / "kcna_sample.jsonl.gz")
    assert [r.row for r in records] == [0, 1, 2, 3, 4]
    first = records[0]
    assert first.fields["title"] == "Japan's Discharge of Nuclear-polluted Water Is Crime: KCNA Commentary"
    assert first.fields["url"].startswith("http://www.kcna.kp/en/article/")
    assert (first.fields["date"], first.fields["topic"]) == ("2023-12-24", "News Commentary")
    assert first.text.startswith("Pyongyang, December 24 (KCNA) --")


def test_read_jsonl_maps_allsides_fields():
    records = corpus.read_jsonl(INGEST / "allsides_sample.jsonl")
    assert len(records) == 3
    f = records[1].fields
    assert (f["outlet"], f["bias"], f["topic"], f["date"]) == ("Washington Times", "right", "north_korea", "2013-04-04")
    assert f["url"].startswith("http://www.washingtontimes.com/")  # the article URL, not source_url's domain
    assert records[0].fields["date"] == ""


def test_read_csv_handles_quoted_multiline_text():
    records = corpus.read_csv(INGEST / "articles.csv")
    assert [r.row for r in records] == [0, 1]
    assert '"outdated and misleading"' in records[0].text and "\n\nOfficials said" in records[0].text
    assert records[1].fields["date"] == "June 3"


def test_read_html_extracts_main_text_and_metadata():
    [record] = corpus.read_html(INGEST / "article.html")
    assert record.source == "inferred"
    assert record.fields["title"] == "Coastal Towns Brace for Record Tides"
    assert record.fields["outlet"] == "Harbour Gazette"
    assert record.fields["date"] == "2024-03-08"
    assert "Residents of three coastal towns" in record.text
    assert "Home" not in record.text.split("\n") and "Advertisement" not in record.text


def test_read_unsupported_and_missing(tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    assert corpus.read(tmp_path / "notes.docx")[0].reason == "unsupported_format"
    assert corpus.read(tmp_path / "absent.txt")[0].reason == "unreadable"


def test_ingest_fixture_corpus_metadata():
    result = corpus.ingest(sorted(p for p in INGEST.iterdir() if p.is_file()))  # real_world/ has its own test
    arts = result.articles.set_index("article_id")
    kcna = arts.loc["kcna_sample:0"]
    assert (kcna["outlet"], kcna["outlet_source"]) == ("Korean Central News Agency", "dateline")
    assert (kcna["date"], kcna["date_source"], kcna["date_text"]) == ("2023-12-24", "field", "")
    assert kcna["title_source"] == "field" and not kcna["text"].endswith("-0-")
    npr = arts.loc["allsides_sample:2"]
    assert npr["text"].startswith("Kerry Warns North Korea, But Holds Out Hope For Diplomacy\n\nWalking a line")
    assert ("navigation", "Enlarge this image toggle caption Jacky Chen /Reuters /Landov Jacky Chen /Reuters "
            "/Landov") in stripped(result, "allsides_sample:2")
    assert (npr["outlet_source"], npr["bias"]) == ("field", "center")
    html = arts.loc["article"]
    assert (html["outlet"], html["outlet_source"], html["date_source"]) == ("Harbour Gazette", "inferred", "inferred")
    csv_row = arts.loc["articles:1"]
    assert (csv_row["date"], csv_row["date_text"], csv_row["date_source"]) == ("", "June 3", "field")
    assert result.skipped["source_path"].tolist() == ["README.md", "make_bad_corpus.py", "make_real_world_corpus.py"]
    assert set(result.skipped["reason"]) == {"unsupported_format"}
    assert result.inputs == len(result.articles) + len(result.skipped) == 14


# --- manifest --------------------------------------------------------------------------------------------------

def _seed_copy(seeds_dir: Path, folder: Path, *names: str) -> Path:
    folder.mkdir()
    for name in names:
        (folder / f"{name}.txt").write_bytes((seeds_dir / f"{name}.txt").read_bytes())
    return folder


def test_manifest_overrides_and_missing_file(seeds_dir, tmp_path):
    folder = _seed_copy(seeds_dir, tmp_path / "corpus", SEED_004, SEED_001)
    (folder / "manifest.csv").write_text(
        "path,outlet,date,title,url,language\n"
        f"{SEED_004}.txt,Tehran Times,2024-06-30,A Manifest Title,https://example.org/x,en\n"
        "gone.txt,Nowhere News,,,,\n", encoding="utf-8")
    result = corpus.ingest([folder], manifest=folder / "manifest.csv")
    a = article(result, SEED_004)
    assert (a["outlet"], a["outlet_source"], a["date"], a["date_source"]) == ("Tehran Times", "manifest",
                                                                              "2024-06-30", "manifest")
    assert (a["title"], a["title_source"], a["url"]) == ("A Manifest Title", "manifest", "https://example.org/x")
    assert ("dateline", "TEHRAN, Jun. 30 (MNA) –") in stripped(result, SEED_004)  # still removed from the text
    b = article(result, SEED_001)  # not in the manifest: metadata from its text
    assert b["title_source"] == "text"
    assert result.skipped[["source_path", "reason"]].values.tolist() == [["gone.txt", "missing_file"]]
    assert result.inputs == 3 and len(result.articles) == 2  # the manifest itself is not an input


def test_manifest_yaml_mapping_with_paths_relative_to_the_corpus(seeds_dir, tmp_path):
    folder = _seed_copy(seeds_dir, tmp_path / "corpus", SEED_000)
    manifest = tmp_path / "meta.yaml"
    manifest.write_text(f"{SEED_000}.txt: {{outlet: Deutsche Welle, date: Jun. 29}}\n", encoding="utf-8")
    a = article(corpus.ingest([folder], manifest=manifest), SEED_000)
    assert (a["outlet"], a["outlet_source"]) == ("Deutsche Welle", "manifest")
    assert (a["date"], a["date_text"], a["date_source"]) == ("", "Jun. 29", "manifest")  # no year is invented


@pytest.mark.parametrize("written", ["../outside.txt", "../../etc/passwd", "/etc/passwd"])
def test_manifest_path_outside_the_corpus_is_refused(seeds_dir, tmp_path, written):
    folder = _seed_copy(seeds_dir, tmp_path / "corpus", SEED_000)
    (tmp_path / "outside.txt").write_text("A file beside the corpus, not in it.", encoding="utf-8")
    (folder / "manifest.csv").write_text(f"path,outlet\n{written},Sneaky\n", encoding="utf-8")
    with pytest.raises(corpus.ManifestError, match="outside the corpus"):
        corpus.ingest([folder], manifest=folder / "manifest.csv")


def test_manifest_errors_are_actionable(seeds_dir, tmp_path):
    folder = _seed_copy(seeds_dir, tmp_path / "corpus", SEED_000)
    (folder / "m.csv").write_text(f"path,publisher\n{SEED_000}.txt,X\n", encoding="utf-8")
    with pytest.raises(corpus.ManifestError, match="unknown columns"):
        corpus.ingest([folder], manifest=folder / "m.csv")
    (folder / "m.csv").write_text(f"path,outlet\n{SEED_000}.txt,X\n{SEED_000}.txt,Y\n", encoding="utf-8")
    with pytest.raises(corpus.ManifestError, match="listed twice"):
        corpus.ingest([folder], manifest=folder / "m.csv")


# --- inputs and the bad corpus ---------------------------------------------------------------------------------

def _bad_builder():
    spec = importlib.util.spec_from_file_location("make_bad_corpus", INGEST / "make_bad_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bad_corpus_matches_its_builder(tmp_path):
    builder = _bad_builder()
    builder.build(tmp_path)
    committed = sorted(p.name for p in BAD.iterdir())
    assert committed == sorted(p.name for p in tmp_path.iterdir())
    for name in committed:
        assert (BAD / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_bad_corpus_every_input_is_accounted_for():
    expected = _bad_builder().EXPECTED
    result = corpus.ingest([BAD], manifest=BAD / "manifest.yaml")
    assert result.inputs == len(expected) == len(result.articles) + len(result.skipped)
    got = {}
    for row in result.skipped.itertuples():
        got[(row.source_path.removeprefix("bad/"), row.source_row)] = row.reason
        assert row.detail, row
    for row in result.articles.itertuples():
        got[(row.source_path.removeprefix("bad/"), row.source_row)] = ""
    assert got == expected
    dated = article(result, "impossible_date")
    assert (dated["date"], dated["date_text"], dated["date_source"]) == ("", "2024-13-45", "text")
    assert article(result, "duplicate_a")["outlet_source"] == "manifest"


def test_the_same_file_twice_is_a_duplicate_input(seeds_dir):
    result = corpus.ingest([seeds_dir, seeds_dir / f"{SEED_000}.txt"])
    assert len(result.articles) == 5
    assert result.skipped[["source_path", "reason"]].values.tolist() == [[f"{SEED_000}.txt", "duplicate_input"]]


def test_missing_corpus_path_is_a_skipped_input(tmp_path):
    result = corpus.ingest([tmp_path / "nope"])
    assert result.skipped["reason"].tolist() == ["missing_file"] and result.articles.empty


def test_ids_stay_unique_when_stems_collide(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "story.txt").write_text(f"Story {sub} has enough words to be an article of its own here.",
                                                  encoding="utf-8")
    row = {"text": "A row with enough words to count as an article of its own."}
    (tmp_path / "a" / "story.jsonl").write_text(json.dumps(row), encoding="utf-8")
    ids = corpus.ingest([tmp_path]).articles["article_id"].tolist()
    assert len(set(ids)) == 3, ids


def test_non_english_article_is_kept_and_flagged(tmp_path):
    (tmp_path / "es.txt").write_text("El ministerio de Asuntos Exteriores dijo el domingo que las maniobras militares "
                                     "conjuntas eran una amenaza para la paz en la región.", encoding="utf-8")
    a = corpus.ingest([tmp_path]).articles.iloc[0]
    assert (a["language"], a["is_english"]) == ("es", False)


def test_ten_megabyte_single_line_runs_in_linear_time(tmp_path):
    words = "the ministry said on sunday that joint drills were a rehearsal for invasion and must stop".split()
    line = " ".join(words[i % len(words)] for i in range(1_900_000))[:10_000_000]
    (tmp_path / "huge.txt").write_text(line, encoding="utf-8")
    (tmp_path / "huge.jsonl").write_text(json.dumps({"text": line}), encoding="utf-8")
    (tmp_path / "solid.txt").write_text("x" * 10_000_000, encoding="utf-8")
    start = time.perf_counter()
    result = corpus.ingest([tmp_path])
    for extract in (corpus.leading_marker, corpus.outlet_prefix, corpus.dateline, corpus.headline):
        extract(line)
    corpus.strip_boilerplate(line)
    assert time.perf_counter() - start < 60  # seconds on a slow, shared machine; a quadratic step would take hours
    assert result.inputs == 3 and len(result.articles) == 2
    assert result.skipped["reason"].tolist() == ["too_short"]


# --- properties ------------------------------------------------------------------------------------------------

TEXTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=400) | st.sampled_from([
    " date 2022-06-29 Islam Times - TEHRAN, Jun. 30 (MNA) – Body.", "Head Line Here\n\nBody.", "(CNN) x",
    "date 9999-99-99 ", "Share this\nText.\nA Title Line\nAnother Title Line\nThird Title Line",
]).flatmap(lambda prefix: st.text(max_size=200).map(lambda tail: prefix + tail))


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_extractors_never_raise_and_offsets_stay_in_range(text):
    for extract in (corpus.leading_marker, corpus.outlet_prefix, corpus.dateline, corpus.headline):
        found = extract(text)
        if found is not None:
            assert 0 <= found.start <= found.end <= len(text)
            assert text[found.start:found.end].strip() == found.text
    corpus.parse_date(text)
    corpus.quote_marks(text)
    cleaned, removed = corpus.strip_boilerplate(text)
    assert len(cleaned) <= len(text)
    result = corpus.clean(text)
    assert unicodedata.is_normalized("NFC", result.text)
    assert corpus._CONTROL.search(result.text) is None
    assert all(kind and isinstance(piece, str) for kind, piece, *_ in result.stripped)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_decode_error(data):
    try:
        text, encoding = corpus.decode(data)
    except corpus.DecodeError as err:
        assert err.reason in {"binary", "undecodable"}
    else:
        assert isinstance(text, str) and encoding


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from([".txt", ".csv", ".jsonl", ".jsonl.gz", ".html"]))
def test_readers_never_raise_on_arbitrary_bytes(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(gzip.compress(data, mtime=0) if suffix == ".jsonl.gz" else data)
        records = corpus.read(path)
        assert records and all(isinstance(r, corpus.Record) for r in records)
        result = corpus.ingest([folder])
        assert result.inputs == len(result.articles) + len(result.skipped) >= 1


def test_a_utf8_file_cut_inside_its_last_character_is_kept_and_flagged():
    data = "The allies’ stooges — said the ministry —".encode("utf-8")[:-1]
    assert corpus.decode(data) == ("The allies’ stooges — said the ministry ", "utf-8-truncated")


def test_a_cp1252_file_ending_in_a_high_byte_is_not_mistaken_for_truncated_utf8():
    assert corpus.decode("Tokyo café".encode("cp1252")) == ("Tokyo café", "cp1252")


# --- real-world text: mojibake, unnamed outlets, language (issue #11, #16) --------------------------------------

MOJIBAKE = "â€œThe so-called Asian NATO,â€\x9d the ministryâ€™s spokesperson said."


def test_repair_fixes_mojibake_and_counts_what_it_replaced():
    text, what, n_chars = corpus.repair(MOJIBAKE)
    assert text == "“The so-called Asian NATO,” the ministry’s spokesperson said."
    assert what == "â€œ → “ ×1; â€\\x9d → ” ×1; â€™ → ’ ×1"
    assert n_chars == 9


@pytest.mark.parametrize("text", ["He called it “a bloc” — a café ﬁnal ＵＳ move.", "Plain ASCII, \"straight\" quotes.",
                                  "Привет, 서울, 東京 and São Paulo."])
def test_repair_keeps_the_articles_own_characters(text):
    assert corpus.repair(text) == (text, "", 0)


def test_mojibake_is_repaired_and_recorded_at_ingest(tmp_path):
    (tmp_path / "moji.txt").write_text(MOJIBAKE + " The drills began on Monday near the peninsula, officials said.",
                                       encoding="utf-8")
    result = corpus.ingest([tmp_path])
    a = article(result, "moji")
    assert a["text"].startswith("“The so-called Asian NATO,” the ministry’s") and a["quote_marks"] == "“”’"
    rows = result.stripped[result.stripped["kind"] == "mojibake_repaired"]
    assert rows[["article_id", "n_chars"]].values.tolist() == [["moji", 9]]
    assert "â€™ → ’ ×1" in rows["text"].iloc[0]
    assert a["n_stripped"] == 1


def test_unknown_outlets_are_never_pooled(seeds):
    named = seeds.articles.set_index("article_id")[["outlet", "outlet_source"]]
    assert tuple(named.loc[SEED_000]) == ("unnamed outlet (000_7a0c)", "unknown")
    assert (named["outlet"] != "").all()
    unnamed = named[named["outlet_source"] == "unknown"]["outlet"]
    assert len(unnamed) >= 2 and unnamed.is_unique


@pytest.mark.parametrize("url, site", [
    ("https://www.nytimes.com/2024/06/28/world/asia/nato.html", "nytimes.com"),
    ("http://edition.cnn.com/x", "edition.cnn.com"), ("nknews.org/2024/06/x", "nknews.org"),
    ("not a url", ""), ("", ""), ("https://", "")])
def test_site_of(url, site):
    assert corpus.site_of(url) == site


def test_an_article_with_a_url_but_no_outlet_takes_the_site(tmp_path):
    body = "North Korea accused the United States of forming an Asian NATO with Japan and South Korea on Friday."
    (tmp_path / "a.csv").write_text(f"text,url\n\"{body}\",https://www.example-news.com/story/1\n\"{body} Again.\",\n",
                                    encoding="utf-8")
    result = corpus.ingest([tmp_path])
    assert result.articles[["outlet", "outlet_source"]].values.tolist() == [
        ["example-news.com", "url"], ["unnamed outlet (a:1)", "unknown"]]


@pytest.mark.parametrize("text", [
    "Kim Jong Un visits Pyongyang factory",
    "Pyongyang slams Seoul-Tokyo-Washington drills",
    "Biden, Yoon, Kishida meet at Camp David",
    "Seoul and Tokyo to talk",
    "The ministry said it would respond to the drills.",
])
def test_short_english_is_never_another_language(text):
    assert corpus.language(text) == "en"


@pytest.mark.parametrize("text, code", [
    ("Die Regierung in Berlin hat am Montag erklärt, dass sie die Übungen verurteilt.", "de"),
    ("Le ministère a déclaré que les exercices étaient une provocation dangereuse.", "fr"),
    ("De regering zei maandag dat de oefeningen een provocatie zijn.", "nl"),
    ("El gobierno dijo que no", "es"),
    ("북한 외무성은 이른바 아시아판 나토가 지역의 평화를 위협한다고 밝혔다.", "ko"),
])
def test_other_languages_are_still_identified(text, code):
    assert corpus.language(text) == code


def test_language_source_is_recorded(tmp_path, seeds):
    assert set(seeds.articles["language_source"]) == {"text"}
    (tmp_path / "m.csv").write_text("text,language\n\"Kim Jong Un visits a factory in Pyongyang with his "
                                    "daughter, state media said on Friday.\",ko\n", encoding="utf-8")
    a = corpus.ingest([tmp_path]).articles.iloc[0]
    assert (a["language"], a["language_source"], a["is_english"]) == ("ko", "field", False)


# --- HTML as publishers write it, wire datelines and furniture, the real-world corpus (issue #11) ---------------

REAL = INGEST / "real_world"


def _real_builder():
    spec = importlib.util.spec_from_file_location("make_real_world_corpus", INGEST / "make_real_world_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("charset, name, codec", [
    ("EUC-KR", "김여정", "euc-kr"), ("Shift_JIS", "岸田文雄", "shift_jis"), ("GB2312", "外交部发言人", "gb2312"),
    ("GBK", "外交部发言人", "gbk"), ("Big5", "外交部發言人", "big5"), ("KOI8-R", "Мария Захарова", "koi8-r"),
    ("windows-1251", "Мария Захарова", "windows-1251")])
@pytest.mark.parametrize("declared", ['<meta charset="{}">', "<meta charset={}>",
                                      '<meta http-equiv="Content-Type" content="text/html; charset={}">'])
def test_decode_html_honours_the_declared_charset(charset, name, codec, declared):
    page = f"<html><head>{declared.format(charset)}</head><body><p>{name} said so.</p></body></html>"
    text, encoding = corpus.decode_html(page.encode(codec))
    assert name in text and encoding == charset.lower()


def test_decode_html_keeps_utf8_and_falls_back_without_a_declaration():
    page = '<html><head><meta charset="euc-kr"></head><body>“Asian NATO” 김여정</body></html>'
    assert corpus.decode_html(page.encode("utf-8")) == (page, "utf-8")  # valid UTF-8 wins over a wrong label
    assert corpus.decode_html(b"<p>\x93quoted\x94</p>") == ("<p>“quoted”</p>", "cp1252")
    assert corpus.declared_charset(b'<meta charset="x-unknown">') == ("x-unknown", "")
    assert corpus.decode_html('<meta charset="x-unknown"><p>“a”</p>'.encode("cp1252"))[1] == "cp1252"


def test_html_block_quote_becomes_a_quote_with_its_speaker(nlp):
    from analysis import quotes

    [record] = corpus.read_html(REAL / "blockquote.html")
    found = quotes.extract(nlp(record.text))
    block = next(q for q in found if q.text.startswith("The so-called Asian NATO"))
    assert (block.kind, block.cue_lemma) == ("direct", "say")
    assert block.speaker == "Foreign ministry spokesperson Kim Yo Jong"
    inline = next(q for q in found if q.text == "absurd and hostile")
    assert inline.kind == "partial"


def test_html_quote_with_its_own_marks_is_left_as_written(tmp_path):
    page = ("<html><body><article><p>The spokesperson said on Friday in Pyongyang, according to the state agency:</p>"
            "<blockquote>“The drills are a rehearsal for war and will be answered in kind,” she said.</blockquote>"
            "<p>Officials called it <q>“hostile”</q> and said more drills would follow next week in the region."
            "</p></article></body></html>")
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    [record] = corpus.read_html(tmp_path / "p.html")
    assert "\n“The drills are a rehearsal for war and will be answered in kind,” she said.\n" in record.text
    assert "called it “hostile” and" in record.text and record.repairs == ()


@pytest.mark.parametrize("text, place, agency, date, date_text", [
    ("WASHINGTON, June 28 — The US said", "WASHINGTON", "", "", "June 28"),
    ("SEOUL, June 28 -- North Korea said", "SEOUL", "", "", "June 28"),
    ("Seoul, June 28 — North Korea said", "Seoul", "", "", "June 28"),
    ("WASHINGTON, JUNE 28 — The US said", "WASHINGTON", "", "", "JUNE 28"),
    ("TOKYO, June 28 (AP) — Japan said", "TOKYO", "AP", "", "June 28"),
    ("BEIJING, June 28 (Xinhua) -- China said", "BEIJING", "Xinhua", "", "June 28"),
    ("SEOUL/WASHINGTON (Reuters) - The allies said", "SEOUL/WASHINGTON", "Reuters", "", ""),
    ("WASHINGTON/SEOUL, June 28 — Officials said", "WASHINGTON/SEOUL", "", "", "June 28"),
    ("WASHINGTON (June 28, 2024) — The US said", "WASHINGTON", "", "2024-06-28", ""),
    ("UNITED NATIONS (AP, June 28, 2024) — The council", "UNITED NATIONS", "AP", "2024-06-28", ""),
    ("SEOUL, South Korea, 28 June 2024 — Officials said", "SEOUL, South Korea", "", "2024-06-28", ""),
])
def test_wire_dateline_shapes(text, place, agency, date, date_text):
    found = corpus.dateline(text)
    assert (found.place, found.agency, found.date, found.date_text) == (place, agency, date, date_text)
    assert text[found.end:][:1].isupper()


@pytest.mark.parametrize("text", ["Friday, June 28 — the ministry said", "Today, June 28 — a new start",
                                  "North Korea (DPRK) - said", "FILE - In this photo"])
def test_not_a_dateline(text):
    assert corpus.dateline(text) is None


def test_see_also_removes_only_its_cross_reference():
    text = ("The ministry spoke on Friday about the joint drills near the peninsula.\n"
            "SEE ALSO: Kim hosts Putin at Kumsusan palace. Officials in Seoul said the drills would continue.\n"
            "SEE ALSO: Rep. Adam Schiff: Chinese deal linked to Trump properties violates emoluments clause\n"
            "The talks ended without a statement. (RELATED: GOP Baseball Shooter ‘Fueled By Rage’)\n"
            "The drills moved south on Saturday and ended on Sunday afternoon, officials said. Read more\n"
            "Trump welcomes home three Americans released by North Korea Read more\n"
            "Read more from the ministry's statement, which was published in full on Saturday.")
    cleaned, removed = corpus.strip_boilerplate(text)
    assert cleaned.split("\n") == [
        "The ministry spoke on Friday about the joint drills near the peninsula.",
        "Officials in Seoul said the drills would continue.",
        "The talks ended without a statement.",
        "The drills moved south on Saturday and ended on Sunday afternoon, officials said.",
        "Read more from the ministry's statement, which was published in full on Saturday."]
    assert removed == [
        ("cross_reference", "SEE ALSO: Kim hosts Putin at Kumsusan palace."),
        ("cross_reference", "SEE ALSO: Rep. Adam Schiff: Chinese deal linked to Trump properties violates "
                            "emoluments clause"),
        ("cross_reference", "(RELATED: GOP Baseball Shooter ‘Fueled By Rage’)"),
        ("cross_reference", "Read more"),
        ("navigation", "Trump welcomes home three Americans released by North Korea Read more")]


@pytest.mark.parametrize("line", ["Advertisement Continue reading the main story", "Advertisement Advertisement",
                                  "Photo", "Photo: Kevin Lamarque/Reuters",
                                  "Follow CNN Opinion Join us on Twitter and Facebook", "Read more from The Hill:",
                                  "Read more from Laura here.", "Updated 12:25 p.m.", "Updated 4:10 p.m. ET, 2/10/2014",
                                  "Updated 10/21/2013 at 3:54 p.m. ET"])
def test_page_furniture_a_new_user_found_is_stripped(line):
    text = f"The talks ended on Friday, the ministry said.\n{line}\nThey resume in March, officials said."
    cleaned, removed = corpus.strip_boilerplate(text)
    assert cleaned == "The talks ended on Friday, the ministry said.\nThey resume in March, officials said."
    assert removed == [("navigation", line)]


def test_the_hills_name_cards_go_and_the_names_as_written_stay():
    # The Hill links a name to a card (full name and three related headlines, then "MORE"); scraped, it lands
    # in the sentence: "President Trump Donald John TrumpGOP senators balk at ... MORE could face".
    text = ("President Trump Donald John TrumpGOP senators balk at lengthy impeachment trial Warren goes local in "
            "race to build 2020 movement 2020 Democrats make play for veterans' votes MORE could face the greatest "
            "political test of his term, and Senate Majority Leader Mitch McConnell Addison (Mitch) Mitchell "
            "McConnellOn The Money: GOP senators heed Fed warnings Trump signs order MORE (R-Ky.) agreed.\n"
            "His eldest son, Donald Trump Jr. Donald (Don) John TrumpTrump Jr's book debuts at No. 1 on list MORE, "
            "spoke.\nCLICK HERE TO READ MORE BY ANDREW MCCARTHY")
    cleaned, removed = corpus.strip_boilerplate(text)
    assert cleaned.split("\n")[0] == ("President Trump could face the greatest political test of his term, and "
                                      "Senate Majority Leader Mitch McConnell (R-Ky.) agreed.")
    assert sorted(piece for kind, piece in removed if kind == "cross_reference") == [
        "Addison (Mitch) Mitchell McConnellOn The Money: GOP senators heed Fed warnings Trump signs order MORE",
        "Donald John TrumpGOP senators balk at lengthy impeachment trial Warren goes local in race to build 2020 "
        "movement 2020 Democrats make play for veterans' votes MORE"]
    # A card whose name does not end in the surname before it ("Jr.") is left whole, never cut into the text
    assert cleaned.split("\n")[1] == text.split("\n")[1]


def test_a_photo_gallery_pasted_into_the_text_goes_whole_and_its_quotes_with_it():
    body = ["The drills began on Monday, the ministry said.", "Talks are set to resume next week in Geneva."]
    one_line = ("Photos: The summit Photos: The summit Leaders meet in Hanoi on May 2. Hide Caption 1 of 2 "
                "Photos: The summit \"We will not back down,\" the envoy said at the talks. Hide Caption 2 of 2")
    over_lines = ["Photos: Who is running? Photos: Who is running? Ola Brandt, Hide Caption 1 of 3 "
                  "Photos: Who is running?",
                  '"I am running to win," Brandt told a rally in May.',
                  "Lena Ostrova announced her bid in June. Hide Caption 3 of 3"]
    not_one = "Photos: the ministry released new images of the site on Tuesday."  # no gallery marker follows
    text = "\n".join([body[0], one_line, *over_lines, not_one, body[1] + " Hide Caption 4 of 9"])
    cleaned, removed = corpus.strip_boilerplate(text)
    assert cleaned.split("\n") == [body[0], not_one, body[1]]
    assert [kind for kind, _ in removed] == ["gallery"] * 5
    assert removed[0][1] == one_line and removed[-1][1] == "Hide Caption 4 of 9"


@pytest.mark.parametrize("line, kind", [
    ("The Associated Press contributed to this report.", "footer"),
    ("Fox News’ Frank Miles and The Associated Press contributed to this report.", "footer"),
    ("Reporting by Hyonhee Shin; Editing by Ed Davies", "signoff"),
    ("(Reporting by Josh Smith; Editing by Michael Perry)", "signoff"),
    ("Additional reporting by Benjamin Haas", "signoff"),
    ("Story Continued Below", "navigation"),
    ("Advertisement:", "navigation"),
    ("Media playback is unsupported on your device Media caption Trump: 'Rocket Man's suicide mission'", "navigation"),
    ("( PHOTOS: Senators up for election in 2014)", "cross_reference"),
    ("Sign up for Daily Opinion Newsletter Manage Newsletters", "navigation"),
    ("POLITICO Playbook newsletter Sign up today to receive the #1-rated newsletter in politics Email Sign Up By "
     "signing up you agree to receive email newsletters or alerts from POLITICO. You can unsubscribe at any time.",
     "navigation"),
])
def test_wire_credits_signoffs_and_page_furniture_are_stripped(line, kind):
    body = "North Korea accused the allies of forming an Asian NATO, the ministry said on Friday."
    cleaned, removed = corpus.strip_boilerplate(f"{body}\n{line}\n{body}" if kind in ("navigation", "cross_reference")
                                                else f"{body}\n{line}")
    assert removed == [(kind, line)] and line not in cleaned and body in cleaned


def test_a_sentence_that_mentions_reporting_is_not_a_signoff():
    text = "The ministry said so.\nReporting by state media could not be verified, officials in Seoul said."
    assert corpus.strip_boilerplate(text) == (text, [])


def test_real_world_corpus_matches_its_builder(tmp_path):
    _real_builder().build(tmp_path)
    committed = sorted(p.name for p in REAL.iterdir())
    assert committed == sorted(p.name for p in tmp_path.iterdir())
    for name in committed:
        assert (REAL / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_real_world_corpus_gives_the_right_values():
    expected = _real_builder().EXPECTED
    result = corpus.ingest([REAL])
    assert result.skipped.empty, result.skipped.to_dict("records")
    assert sorted(result.articles["article_id"]) == sorted(expected)
    for article_id, want in expected.items():
        a = article(result, article_id)
        removed = stripped(result, article_id)
        for key, value in want.items():
            if key == "text_has":
                assert all(v in a["text"] for v in value), (article_id, a["text"])
            elif key == "text_lacks":
                assert not any(v in a["text"] for v in value), (article_id, a["text"])
            elif key == "stripped":
                assert removed == value, (article_id, removed)
            else:
                assert a[key] == value, (article_id, key, a[key])
    tables.conform(result.articles, "articles")
    tables.conform(result.stripped, "stripped")


def test_excluded_says_which_articles_english_only_stages_leave_out_and_why():
    result = corpus.ingest([REAL])
    out = corpus.excluded(result.articles)
    assert out[["article_id", "language", "why"]].values.tolist() == [
        ["german", "de", "identified from the text as 'de'"]]
    summary = dict(result.summary().values.tolist())
    assert summary["non-English articles (left out of English-only stages)"] == 1
    assert summary["articles with no named outlet (labelled 'unnamed outlet (...)')"] == 10
    assert summary["articles whose outlet is their URL's site"] == 1
    assert summary["articles with mojibake repaired"] == 1 and summary["HTML quotes given quote marks"] == 2


def test_repair_of_a_long_line_stays_fast():
    line = "The ministryâ€™s spokesperson said â€œAsian NATOâ€\x9d is a bloc. " * 2000  # 120,000 characters
    started = time.process_time()
    text, what, n_chars = corpus.repair(line)
    assert time.process_time() - started < 5  # a character diff of the line would take many minutes
    assert text == "The ministry’s spokesperson said “Asian NATO” is a bloc. " * 2000
    assert what == "â€™ → ’ ×2000; â€œ → “ ×2000; â€\\x9d → ” ×2000" and n_chars == 18000


def test_cp1252_bytes_read_as_latin1_controls_are_repaired_not_dropped():
    text = "The minister called it \x93a provocation\x94 and the ministry\x92s spokesman agreed."
    fixed, what, n_chars = corpus.repair(text)
    assert fixed == "The minister called it “a provocation” and the ministry’s spokesman agreed."
    assert n_chars == 3 and what == "\\x93 → “ ×1; \\x94 → ” ×1; \\x92 → ’ ×1"


@pytest.mark.parametrize("written, code", [("en", "en"), ("EN", "en"), ("en-US", "en"), ("en_GB", "en"),
                                           ("English", "en"), ("eng", "en"), ("ko-KR", "ko"), ("", "")])
def test_language_code_reads_what_inputs_write(written, code):
    assert corpus.language_code(written) == code


def test_an_input_language_of_en_us_is_english(tmp_path):
    (tmp_path / "a.csv").write_text("text,language\n\"North Korea accused the United States of forming an Asian "
                                    "NATO with Japan and South Korea on Friday.\",en-US\n", encoding="utf-8")
    a = corpus.ingest([tmp_path]).articles.iloc[0]
    assert (a["language"], a["language_source"], a["is_english"]) == ("en", "field", True)


def test_the_yaml_data_files_parse_as_safe_load_parses_them():
    """Every YAML file the package ships (schemas, boilerplate, lexicons, profiles, cards) is the same data through
    ``tables.parse_yaml`` (libyaml's parser) as through ``yaml.safe_load``; bad YAML still raises YAMLError."""
    import yaml

    files = sorted((Path(tables.__file__).parent / "data").rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert tables.parse_yaml(text) == yaml.safe_load(text), path
    with pytest.raises(yaml.YAMLError):
        tables.parse_yaml("a: [1, 2\nb: c")
    with pytest.raises(yaml.YAMLError):  # plain data only, as safe_load
        tables.parse_yaml("!!python/object/apply:os.system ['true']")


def test_the_language_model_is_kept_unpacked_and_identifies_as_py3langid_does(tmp_path, monkeypatch, seed_texts):
    """py3langid's model is LZMA-packed (0.6 s to unpack at every ingestion): its arrays are kept in the cache
    folder and mapped from there, and give py3langid's own rankings; without a usable cache folder py3langid
    reads its file as before."""
    import lzma

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    texts = [*seed_texts.values(), "Der Hund ist sehr gross und die Katze auch.", "Le chat est noir.",
             "Kim Jong Un visits Pyongyang factory", "北朝鮮は日米韓の軍事協力を非難した。"]
    own = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    corpus._identifier.cache_clear()
    assert [corpus._identifier().rank(t) for t in texts] == [own.rank(t) for t in texts]
    kept = list((tmp_path / "cache").glob("langid-*/*.npy"))
    assert len(kept) == len(corpus.LANGID_ARRAYS)
    monkeypatch.setattr(lzma, "open", lambda *a, **k: pytest.fail("the kept arrays were not used"))
    corpus._identifier.cache_clear()
    assert [corpus._identifier().rank(t) for t in texts] == [own.rank(t) for t in texts]
    monkeypatch.undo()
    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "blocked"))
    corpus._identifier.cache_clear()
    try:
        assert corpus._identifier().classify(texts[0]) == own.classify(texts[0])
    finally:
        corpus._identifier.cache_clear()
