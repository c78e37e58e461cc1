"""Where to fix things: Twilio console pages and commands, worded once for every check.

Console pages are named by their menu path as well as linked, because Twilio moves URLs
around more often than it renames menus.
"""

from __future__ import annotations

CONSOLE = "https://console.twilio.com"
ACCOUNT_INFO = f"Twilio console → Account Info ({CONSOLE})"
ACTIVE_NUMBERS = (
    "Twilio console → Phone Numbers → Manage → Active numbers "
    f"({CONSOLE}/us1/develop/phone-numbers/manage/incoming)"
)
VERIFIED_CALLER_IDS = (
    "Twilio console → Phone Numbers → Manage → Verified Caller IDs "
    f"({CONSOLE}/us1/develop/phone-numbers/manage/verified)"
)
BILLING = f"Twilio console → Admin → Account billing ({CONSOLE})"
REGULATORY_COMPLIANCE = f"Twilio console → Messaging → Regulatory Compliance ({CONSOLE})"
A2P_10DLC = f"Twilio console → Messaging → Regulatory Compliance → A2P 10DLC ({CONSOLE})"
TOLL_FREE_VERIFICATION = (
    f"Twilio console → Messaging → Regulatory Compliance → Toll-free verifications ({CONSOLE})"
)
MESSAGING_SERVICES = f"Twilio console → Messaging → Services ({CONSOLE}/us1/service/sms)"
GEO_PERMISSIONS = (
    "Twilio console → Messaging → Settings → Geo permissions "
    f"({CONSOLE}/us1/develop/sms/settings/geo-permissions)"
)
MESSAGING_LOGS = f"Twilio console → Monitor → Logs → Messaging ({CONSOLE}/us1/monitor/logs/sms)"
RUN_FIX = "hermes-sms doctor --fix"


def set_variable(names: str, env_file: object) -> str:
    return f"Set {names} in {env_file} (or in the environment)."


def tunnel(port: int) -> str:
    """How to give a gateway on this machine a public https URL."""
    return (
        "Twilio cannot reach this machine directly: run a tunnel, e.g. "
        f"`cloudflared tunnel --url http://localhost:{port}` or `ngrok http {port}`, then set "
        "SMS_WEBHOOK_URL to https://<tunnel host>/webhooks/twilio."
    )


def start_gateway(port: int) -> str:
    return (
        f"Start the gateway (`hermes-sms gateway`) and make sure SMS_WEBHOOK_URL (or the "
        f"tunnel behind it) forwards to this machine's port {port} (SMS_WEBHOOK_PORT)."
    )


def unknown_host() -> str:
    """For a public URL whose host name does not resolve: most often a tunnel that is gone."""
    return (
        "Check the host name in SMS_WEBHOOK_URL. A quick tunnel (trycloudflare.com, ngrok) gets "
        "a new host name every time it starts: restart the tunnel, set SMS_WEBHOOK_URL to its "
        f"new https URL, restart `hermes-sms gateway`, then run `{RUN_FIX}`."
    )
