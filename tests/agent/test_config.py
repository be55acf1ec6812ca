import pytest

from agent import config
from agent.errors import Invalid


def test_init_writes_every_key_with_defaults(tmp_path):
    cfg = config.write_new(tmp_path, {"store": {"id": "S9"}})
    again = config.load(tmp_path)
    assert again.values == cfg.values
    text = (tmp_path / "config.toml").read_text()
    for section, keys in config.SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} = " in text


@pytest.mark.parametrize("toml, message", [
    ('[store]\nid = "S"\n[stock]\nalow_negative = true\n', "unknown key [stock] alow_negative"),
    ('[store]\nid = "S"\n[server]\nport = "80"\n', "[server] port must be int"),
    ('[store]\nid = "S"\n[nope]\n', "unknown section [nope]"),
    ('[store]\nname = "x"\n', "[store] id is required"),
    ('[store\n', "not valid TOML"),
    ('[store]\nid = "S"\n[loyalty]\naccrual_percent = 500\n',
     "[loyalty] accrual_percent must be from 0 to 100, got 500"),
    ('[store]\nid = "S"\n[loyalty]\nredeem_cap_percent = -10\n', "redeem_cap_percent must be from 0"),
    ('[store]\nid = "S"\n[security]\npin_attempts = 0\n', "pin_attempts must be from 1 to 100"),
    ('[store]\nid = "S"\n[loyalty]\nmax_offline_age = -1\n', "max_offline_age must be from 0"),
])
def test_wrong_config_gives_one_clear_message(tmp_path, toml, message):
    (tmp_path / "config.toml").write_text(toml)
    with pytest.raises(Invalid) as e:
        config.load(tmp_path)
    assert message in e.value.message


def test_hub_token_from_environment(tmp_path, monkeypatch):
    config.write_new(tmp_path, {"store": {"id": "S"}})
    monkeypatch.setenv("STORE_AGENT_HUB_TOKEN", "secret")
    assert config.load(tmp_path).get("hub", "token") == "secret"


def test_init_again_with_another_hub_says_so_and_keeps_the_file(tmp_path, capsys):
    """Running init again changes nothing: with another hub URL or token that is an error
    naming what to edit, not a "ready" that kept the old hub (and never the token itself)."""
    from pos_ui.cli import main
    d = str(tmp_path / "s")
    args = ["init", "--data-dir", d, "--store-id", "S1", "--hub-url", "http://hub.example",
            "--hub-token", "old-token-" + "a" * 20]
    assert main(args) in (0, None)
    before = (tmp_path / "s" / "config.toml").read_text()
    assert main(args) in (0, None)  # the same again: fine
    capsys.readouterr()
    rc = main(args[:-1] + ["new-token-" + "b" * 20])
    err = capsys.readouterr().err
    assert rc == 1 and "another hub token" in err and "new-token" not in err
    assert "old-token" not in err and len(err.strip().splitlines()) == 1
    rc = main(args[:5] + ["--hub-url", "http://other.example"])
    err = capsys.readouterr().err
    assert rc == 1 and "set up for hub http://hub.example" in err and "[hub] url" in err
    assert (tmp_path / "s" / "config.toml").read_text() == before
