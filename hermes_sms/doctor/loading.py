"""Load the settings even when some variables are wrong, so the other checks can still run.

`load_settings` raises on the first pass with every problem listed. The doctor wants both:
the list (for the Configuration section) and settings built from the variables that are fine
(for the network checks that do not need the broken ones). So it loads once more without the
variables the problems name, and remembers which ones those were.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hermes_sms.config import (
    ConfigError,
    Settings,
    load_settings,
    parse_settings,
    read_environment,
)
from hermes_sms.home import env_file, hermes_home

# Every problem sentence starts with the variable it is about ("SMS_WEBHOOK_PORT must be ...").
_PROBLEM_VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]*) ")


@dataclass(frozen=True)
class Loaded:
    """`settings` is None only when the configuration cannot be read at all (`error` says why).

    `problems` maps each bad variable to its problem sentences; the other variables are in
    `settings` as configured, the bad ones at their defaults (so never trust those fields).
    `values` is the merged configuration (file plus environment) as text.
    """

    settings: Settings | None
    problems: dict[str, list[str]]
    values: dict[str, str]
    error: str | None = None

    def all_ok(self, *names: str) -> bool:
        """True when the settings loaded and none of `names` has a problem."""
        return self.settings is not None and not any(name in self.problems for name in names)


def problem_variable(problem: str) -> str:
    match = _PROBLEM_VARIABLE.match(problem)
    return match.group(1) if match else ""


def load(environ: Mapping[str, str]) -> Loaded:
    env = dict(environ)
    try:
        values = read_environment(env)
    except ConfigError as exc:  # the folder or file cannot be read, or a line does not parse
        # Every problem, so that fixing line 2 does not just reveal line 4 on the next run.
        return Loaded(None, {}, {}, "; ".join(p.rstrip(".") for p in exc.problems))
    try:
        return Loaded(load_settings(env, require_twilio=True), {}, values)
    except ConfigError as exc:
        problems: dict[str, list[str]] = {}
        for problem in exc.problems:
            problems.setdefault(problem_variable(problem), []).append(problem)
    if "" in problems:
        # A problem we cannot pin on one variable: do not guess which settings are safe.
        return Loaded(None, problems, values, "the configuration could not be read")
    clean = {name: value for name, value in values.items() if name not in problems}
    try:
        settings = parse_settings(
            clean, home=hermes_home(env), env_path=env_file(env), require_twilio=False
        )
    except ConfigError:
        return Loaded(None, problems, values, "the configuration could not be read")
    return Loaded(settings, problems, values)
