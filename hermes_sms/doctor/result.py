"""What a check finds: one `CheckResult` per check, gathered into a `Report`.

The JSON form is a public contract for scripts (`hermes-sms doctor --json`): keys and status
words only ever get added to, never renamed. Bump `JSON_SCHEMA_VERSION` if that must change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

JSON_SCHEMA_VERSION = 1


class Status(Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    # Not run: what it needs failed, or --offline.
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome. `fix` says what to do (variable, console page or command)."""

    id: str
    section: str
    status: Status
    message: str
    detail: str | None = None
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "status": self.status.value,
            "message": self.message,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Counts:
    passed: int
    warnings: int
    failed: int
    skipped: int


@dataclass(frozen=True)
class Report:
    """Every check in display order. `strict` makes warnings count as failures for `ok`."""

    checks: tuple[CheckResult, ...]
    strict: bool = False

    def counts(self) -> Counts:
        def count(status: Status) -> int:
            return sum(1 for check in self.checks if check.status is status)

        return Counts(
            count(Status.PASS), count(Status.WARN), count(Status.FAIL), count(Status.SKIP)
        )

    @property
    def ok(self) -> bool:
        counts = self.counts()
        return counts.failed == 0 and not (self.strict and counts.warnings)

    def get(self, check_id: str) -> CheckResult | None:
        return next((check for check in self.checks if check.id == check_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_SCHEMA_VERSION,
            "ok": self.ok,
            "checks": [check.to_json() for check in self.checks],
        }
