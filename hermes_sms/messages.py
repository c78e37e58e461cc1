"""User-facing texts gathered in one place, so wording stays consistent and reviewable.

Only plain strings and tiny formatting helpers live here: no I/O, no rendering library.
"""

from __future__ import annotations

SETUP_HINT = (
    "Run `hermes-sms setup` to create the configuration, or set the variables in {env_file}."
)
MISSING_VARIABLE = "{name} is not set ({meaning})."
CONFIG_PROBLEMS_HEADER = "The configuration has a problem:"
CONFIG_PROBLEMS_HEADER_PLURAL = "The configuration has {count} problems:"

NO_RECIPIENT = "No recipient: pass --to NUMBER or set SMS_HOME_CHANNEL (for example in {env_file})."
NO_MESSAGE = "No message: give it as an argument, or pipe it in with `-`."
EMPTY_MESSAGE = "The message is empty after formatting; nothing to send."
SEND_FAILED = "Twilio did not accept part {index} of {total}: {error}"
SEND_PARTIAL = "Parts 1 to {sent} were sent before the failure; they are not sent again."
STDIN_IS_TTY = "Reading the message from the terminal: finish with Ctrl-D."


def config_problems(problems: list[str]) -> str:
    """One message listing every configuration problem, so a user fixes them all in one go."""
    if len(problems) == 1:
        return f"{CONFIG_PROBLEMS_HEADER}\n  - {problems[0]}"
    header = CONFIG_PROBLEMS_HEADER_PLURAL.format(count=len(problems))
    return header + "".join(f"\n  - {problem}" for problem in problems)


# --- SMS texts the gateway sends (kept short: every segment is paid for) -------------------
RATE_LIMIT_NOTICE = "You're sending messages faster than I can answer. Please wait a few minutes."
AGENT_APOLOGY = "Sorry, I couldn't answer that just now. Please try again in a moment."
RESET_DONE = "Conversation cleared. Your next message starts fresh."
CHAT_HELP = (
    "Text me anything and I'll answer.\n"
    "/reset (or /new) - start a new conversation\n"
    "/help - this list\n"
    "STOP - no more messages, START - resume"
)
MEDIA_LINE = "[attachment {index}: {content_type} {url}]"
