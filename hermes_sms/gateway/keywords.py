"""Words that carry meaning to Twilio or to the gateway rather than to the agent."""

from __future__ import annotations

from enum import Enum

# Twilio answers these itself on long codes and toll-free numbers (and still forwards them),
# so the gateway must neither reply nor call the agent. Whole body, one word, any case.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
CARRIER_HELP = frozenset({"HELP", "INFO"})


class Keyword(Enum):
    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    HELP = "help"


def carrier_keyword(body: str) -> Keyword | None:
    """The keyword a whole message body is, if any (`stop`, ` Stop `, `STOP.` are not all one:
    Twilio matches the trimmed body, case-insensitively; trailing punctuation is not a match)."""
    word = body.strip().upper()
    if word in OPT_OUT:
        return Keyword.OPT_OUT
    if word in OPT_IN:
        return Keyword.OPT_IN
    if word in CARRIER_HELP:
        return Keyword.HELP
    return None


class ChatCommand(Enum):
    RESET = "reset"
    HELP = "help"


_COMMANDS = {"/reset": ChatCommand.RESET, "/new": ChatCommand.RESET, "/help": ChatCommand.HELP}


def chat_command(body: str) -> ChatCommand | None:
    """`/reset`, `/new`, `/help` as the whole message: handled by the gateway, never the agent."""
    return _COMMANDS.get(body.strip().lower())
