"""`hermes-sms doctor` core: checks that find why messages do not arrive or replies do not send.

Every check returns a `CheckResult` (data only); the CLI renders them. Nothing here imports a
rendering library, and the network libraries are imported only by the modules that use them.
"""

from hermes_sms.doctor.result import JSON_SCHEMA_VERSION, CheckResult, Report, Status

__all__ = ["JSON_SCHEMA_VERSION", "CheckResult", "Report", "Status"]
