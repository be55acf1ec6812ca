"""Every option and argument of ``store-agent`` and ``store-hub`` has a help text, and every
sub-command says what it does: a newcomer never meets an option ``--help`` cannot explain."""

from __future__ import annotations

import argparse

import pytest


def _walk(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", "(command)", helps.get(name)
                yield from _walk(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, "/".join(action.option_strings) or action.dest, action.help


def _parsers():
    from pos_ui.cli import build_parser as agent_parser
    from sync.hub.cli import build_parser as hub_parser
    return {"store-agent": agent_parser(), "store-hub": hub_parser()}


@pytest.mark.parametrize("prog", ["store-agent", "store-hub"])
def test_every_option_and_command_has_a_help_text(prog):
    seen = list(_walk(_parsers()[prog], prog))
    missing = [f"{where} {opt}" for where, opt, text in seen if not (text or "").strip()]
    assert len(seen) > 20
    assert not missing, "no help text: " + ", ".join(missing)


def test_the_walk_finds_an_option_without_help():
    p = argparse.ArgumentParser(prog="x")
    sub = p.add_subparsers()
    s = sub.add_parser("y", help="does y")
    s.add_argument("--bare")
    assert ("x y", "--bare", None) in list(_walk(p, "x"))
