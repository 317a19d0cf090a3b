"""ICE settings: a schema the browser accepts, and TURN credentials from streamlit-webrtc's helpers."""

from __future__ import annotations

import json

import pytest

from emuse import config


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ([{"urls": 5}], '"urls" must be a string or a list of strings'),
        ([{"urls": [5]}], '"urls" must be a string or a list of strings'),
        ([{"urls": []}], '"urls" must be a string or a list of strings'),
        ([{"urls": "http://stun.example"}], "is not a stun:, stuns:, turn: or turns: URL"),
        ([{"urls": "turn:t.example:3478"}], 'a TURN server needs "username" and "credential"'),
        ([{"urls": "turn:t.example", "username": "u", "credential": 7}], '"credential" must be a string'),
    ],
)
def test_ice_servers_the_browser_would_reject_are_explained(
    servers: list, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMUSE_ICE_SERVERS", json.dumps(servers))
    with pytest.raises(config.ConfigError, match=message):
        config.ice_servers()
    with pytest.raises(config.ConfigError, match=message):
        config.ice_servers({"ice_servers": servers})


def test_no_setting_uses_a_turn_provider_whose_keys_are_in_secrets_or_the_environment() -> None:
    plan = config.ice_plan({}, {"CLOUDFLARE_TURN_KEY_ID": "kid", "CLOUDFLARE_TURN_KEY_API_TOKEN": "tok"})
    assert (plan.kind, plan.provider, plan.servers) == ("provider", "Cloudflare TURN", None)
    assert "tok" not in plan.description and "tok" not in repr(plan)
    plan = config.ice_plan({"HF_TOKEN": "hf_x"}, {})
    assert (plan.kind, plan.provider, plan.keys) == ("provider", "Hugging Face TURN", {"HF_TOKEN": "hf_x"})
    half = config.ice_plan({}, {"TWILIO_ACCOUNT_SID": "AC1"})  # half a key pair: not used
    assert half.kind == "stun" and half.servers == config.DEFAULT_ICE_SERVERS


def test_an_explicit_setting_wins_over_provider_keys_and_says_what_it_is() -> None:
    env = {"HF_TOKEN": "hf_x", "EMUSE_ICE_SERVERS": "[]"}
    assert config.ice_plan({}, env).description.startswith("no ICE servers")
    turn = [{"urls": ["turn:t.example:443?transport=tcp"], "username": "u", "credential": "c"}]
    plan = config.ice_plan({"ice_servers": turn}, env)
    assert (plan.kind, plan.servers) == ("configured", turn)
    assert plan.description == "TURN, from st.secrets['ice_servers']"
