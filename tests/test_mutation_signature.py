"""Which URL a webhook signature covers, and which bodies are carrier keywords: the rules a
mutation audit found unguarded. Pure functions, checked directly."""

from __future__ import annotations

import pytest

from hermes_sms.gateway.app import status_callback_url
from hermes_sms.gateway.keywords import Keyword, carrier_keyword
from hermes_sms.gateway.verify import public_url
from hermes_sms.twilio.signature import compute_signature, is_valid_signature

TOKEN = "12345"
PARAMS = {"MessageSid": "SM1", "From": "+15550100002", "Body": "hi"}
LOCAL = {"scheme": "http", "host": "127.0.0.1:8080", "path_qs": "/webhooks/twilio"}


@pytest.mark.parametrize(
    ("signed_url", "checked_url"),
    [
        ("https://example.com/sms", "https://example.com/sms?foo=1"),
        ("https://example.com/sms?foo=1", "https://example.com/sms?foo=2"),
        ("https://example.com:443/sms", "https://example.com/sms?foo=1"),
    ],
)
def test_signature_does_not_cover_another_query(signed_url: str, checked_url: str) -> None:
    signature = compute_signature(TOKEN, signed_url, PARAMS)
    assert is_valid_signature(TOKEN, signed_url, PARAMS, signature)
    assert not is_valid_signature(TOKEN, checked_url, PARAMS, signature)


def url_for(**headers: str) -> str:
    return public_url(**LOCAL, headers=headers, configured_url=None)


def test_forwarded_proto_is_case_insensitive() -> None:
    assert url_for(**{"X-Forwarded-Proto": "HTTPS", "X-Forwarded-Host": "sms.example.com"}) == (
        "https://sms.example.com/webhooks/twilio"
    )


def test_chained_proxies_use_the_first_hop() -> None:
    chained = {
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "sms.example.com, 10.0.0.2:8080",
        "X-Forwarded-Port": "8443, 8080",
    }
    assert url_for(**chained) == "https://sms.example.com:8443/webhooks/twilio"


@pytest.mark.parametrize("port", ["abc", "\u00b2", "\uff18\uff14\uff14\uff13", "-1", "8443x"])
def test_forwarded_port_that_is_not_a_port_is_ignored(port: str) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sms.example.com"}
    assert url_for(**headers, **{"X-Forwarded-Port": port}) == (
        "https://sms.example.com/webhooks/twilio"
    )


def test_forwarded_port_with_an_ipv6_host() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "8443"}
    assert url_for(**headers, **{"X-Forwarded-Host": "[2001:db8::1]"}) == (
        "https://[2001:db8::1]:8443/webhooks/twilio"
    )
    # A port of its own wins over X-Forwarded-Port, as for a name.
    assert url_for(**headers, **{"X-Forwarded-Host": "[2001:db8::1]:9443"}) == (
        "https://[2001:db8::1]:9443/webhooks/twilio"
    )


@pytest.mark.parametrize(
    ("webhook_url", "expected"),
    [
        (None, None),
        ("https://h.example/webhooks/twilio", "https://h.example/webhooks/twilio/status"),
        ("https://h.example/webhooks/twilio/", "https://h.example/webhooks/twilio/status"),
        ("https://h.example/hook?site=a&k=%7E", "https://h.example/hook/status?site=a&k=%7E"),
    ],
)
def test_status_callback_url(webhook_url: str | None, expected: str | None) -> None:
    assert status_callback_url(webhook_url) == expected


@pytest.mark.parametrize(
    "body", ["STOP.", "stop!", "stop please", "STOP STOP", "please stop", "STOPP", "S TOP"]
)
def test_only_the_whole_trimmed_body_is_a_keyword(body: str) -> None:
    # Twilio matches the whole trimmed body: "STOP." does not opt out at Twilio, so it must
    # not here either (the number would stop getting replies Twilio still delivers).
    assert carrier_keyword(body) is None


@pytest.mark.parametrize(
    ("body", "keyword"),
    [("\tstop \n", Keyword.OPT_OUT), (" Yes", Keyword.OPT_IN), ("info\n", Keyword.HELP)],
)
def test_keywords_with_white_space_and_any_case(body: str, keyword: Keyword) -> None:
    assert carrier_keyword(body) is keyword
