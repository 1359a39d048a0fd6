"""The README documents exactly the settings that exist, and points at folders that exist."""

import re
from pathlib import Path

from bemserver.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_configuration_table_lists_exactly_the_settings():
    rows = re.findall(r"^\| `(BEMSERVER_[A-Z_]+)` \|", section("Configuration"), re.MULTILINE)
    assert len(rows) == len(set(rows)), "a variable is listed twice"
    assert set(rows) == {f"BEMSERVER_{name.upper()}" for name in Settings.model_fields}


def test_the_settings_prefix_is_bemserver():
    assert Settings.model_config["env_prefix"] == "BEMSERVER_"


def test_the_two_commands_are_documented_and_exist():
    assert "python3 dev.py serve" in README
    assert "python3 dev.py test" in README
    assert (ROOT / "dev.py").exists()
    assert "dev.py test" in (ROOT / ".ci" / "run").read_text()


def test_every_source_folder_in_the_url_table_exists():
    folders = re.findall(r"\| `(src/bemserver/[a-z_/]+?)/?` ", section("Where things are"))
    assert folders
    for folder in folders:
        assert (ROOT / folder).exists(), folder
