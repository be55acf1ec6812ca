"""The README is the manual: every configuration key is documented there."""

from pathlib import Path

from agent.config import SCHEMA

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_in_the_readme():
    missing = [f"[{s}] {k}" for s, keys in SCHEMA.items() for k in keys
               if f"`[{s}] {k}`" not in README]
    assert not missing, f"README lacks: {missing}"


def test_readme_starts_with_the_two_commands():
    head = README[:600]
    assert "store-agent demo" in head and "bash .ci/run" in head
