"""Shared fixtures: the spaCy model is loaded once per test session; the seed corpus ships in seeds/."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import models

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def nlp():
    """The workbook's default spaCy pipeline, loaded once."""
    return models.load("en_core_web_sm")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The default corpus folder."""
    return SEEDS


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """Raw seed texts keyed by file stem (for example ``000_7a0cd52b09a6d4f5``)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
