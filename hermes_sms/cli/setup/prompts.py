"""questionary prompts for the wizard, where Esc cancels like Ctrl-C.

Every function raises KeyboardInterrupt when the user cancels (Ctrl-C, Esc, or Ctrl-D on an
empty line), so the caller has a single way out that writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import questionary
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
from questionary import Choice

__all__ = ["Choice", "ask_confirm", "ask_kept_text", "ask_secret", "ask_select", "ask_text"]

Validate = Callable[[str], bool | str]
# What the user types to delete a stored optional secret (a blank answer keeps it).
REMOVE = "-"


def _cancel_bindings() -> KeyBindings:
    bindings = KeyBindings()

    # eager: in text prompts Esc also starts Alt-key sequences, and without eager the prompt
    # would wait for the rest of one before cancelling. The price: Alt-key shortcuts cancel
    # too. Arrow keys are unaffected (they arrive as one sequence, never a lone Esc).
    @bindings.add("escape", eager=True)
    def _cancel(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    return bindings


def _ask(question: questionary.Question) -> Any:
    app = question.application
    # Added last so it wins over the prompt's own handling of Esc.
    app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), _cancel_bindings()])
    try:
        answer = question.unsafe_ask()
    except EOFError:
        raise KeyboardInterrupt from None
    if answer is None:
        raise KeyboardInterrupt
    return answer


def ask_text(
    message: str,
    *,
    default: str = "",
    validate: Validate | None = None,
    instruction: str | None = None,
    while_typing: bool = False,
) -> str:
    """A line of text, pre-filled with `default` (never a secret: it is shown and editable)."""
    question = questionary.text(
        message,
        default=default,
        validate=validate,
        instruction=instruction,
        validate_while_typing=while_typing,
    )
    return str(_ask(question)).strip()


def ask_kept_text(
    message: str,
    *,
    kept: str,
    validate: Validate,
    optional: bool = False,
) -> str | None:
    """A line of text for a stored value that holds a credential (a URL with `user:pw@`):
    never pre-filled. `kept` is its masked form, shown in the instruction; a blank answer keeps
    the stored value and returns None. An optional value can be removed by typing `-` ("").

    `validate` also judges the stored value when Enter keeps it, so an unusable one is refused
    there as it would be when pre-filled.
    """
    if optional:
        instruction = f"(Enter keeps {kept}, {REMOVE} removes it)"
    else:
        instruction = f"(Enter keeps {kept})"

    def check(text: str) -> bool | str:
        value = text.strip()
        if optional and value == REMOVE:
            return True
        return validate(value)

    answer = str(_ask(questionary.text(message, validate=check, instruction=instruction)))
    value = answer.strip()
    if not value:
        return None
    if optional and value == REMOVE:
        return ""
    return value


def ask_secret(
    message: str,
    *,
    kept: str | None,
    validate: Validate | None = None,
    optional: bool = False,
) -> str | None:
    """Masked input. With a stored value (`kept`, shown only as its masked form) a blank
    answer keeps it and returns None; an optional secret can be removed by typing `-`, which
    returns ""."""
    if kept and optional:
        instruction = f"(Enter keeps {kept}, {REMOVE} removes it)"
    elif kept:
        instruction = f"(Enter keeps {kept})"
    else:
        instruction = "(optional: Enter for none)" if optional else None

    def check(text: str) -> bool | str:
        value = text.strip()
        if not value:
            return True if (kept or optional) else "Required: paste it here (it is not shown)."
        if optional and kept and value == REMOVE:
            return True
        return validate(value) if validate is not None else True

    answer = str(_ask(questionary.password(message, validate=check, instruction=instruction)))
    value = answer.strip()
    if not value:
        return None if kept else ""
    if optional and kept and value == REMOVE:
        return ""
    return value


def ask_select(message: str, choices: Sequence[Choice], *, default: Any = None) -> Any:
    """One of `choices` (arrow keys and Enter); returns the chosen Choice's value."""
    chosen = next((c for c in choices if c.value == default), None)
    return _ask(questionary.select(message, choices=list(choices), default=chosen))


def ask_confirm(message: str, *, default: bool = True) -> bool:
    return bool(_ask(questionary.confirm(message, default=default)))
