"""Select the gun-policy example corpus from the shared AllSides sample (documented filter, reproducible).

    python examples/gun-policy/select_corpus.py /work/shared/corpora/allsides_sample_5000.jsonl.gz

Keeps, in file order, every article whose AllSides topic is `gun_control_and_gun_rights`, and every article of
topic `violence_in_america` whose text uses "gun" or "guns" (whole word, any case) at least three times. Writes
`corpus.jsonl.gz` (all of them) and `corpus-50.jsonl.gz` (the first 50, for the test) next to this script, with
the source's fields unchanged (id, outlet, source_url, date, title, authors, url, topic, bias_text, text).
"""
from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUN = re.compile(r"\bguns?\b", re.I)


def keep(article: dict) -> bool:
    """The filter: the gun topic, or violence articles that are about guns."""
    if article.get("topic") == "gun_control_and_gun_rights":
        return True
    return article.get("topic") == "violence_in_america" and len(GUN.findall(article.get("text") or "")) >= 3


def main(source: str) -> None:
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        chosen = [a for a in map(json.loads, lines) if keep(a)]
    for name, rows in (("corpus.jsonl.gz", chosen), ("corpus-50.jsonl.gz", chosen[:50])):
        # mtime=0: the same selection gives the same bytes
        with gzip.GzipFile(HERE / name, "wb", mtime=0) as raw:
            raw.write("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in rows).encode("utf-8"))
    print(f"{len(chosen)} articles selected")


if __name__ == "__main__":
    main(sys.argv[1])
