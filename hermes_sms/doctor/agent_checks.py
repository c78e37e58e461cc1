"""Agent section: does SMS_AGENT_URL answer `/models` with the key given, and list the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hermes_sms.doctor.catalog import failed, passed, skipped, warned
from hermes_sms.doctor.loading import Loaded
from hermes_sms.doctor.masking import mask
from hermes_sms.doctor.probes import probe_session
from hermes_sms.doctor.result import CheckResult
from hermes_sms.masking import without_userinfo

if TYPE_CHECKING:
    from hermes_sms.agent import AgentCheck
    from hermes_sms.config import AgentConfig

Emit = Callable[[CheckResult], None]

AGENT_VARIABLES = ("SMS_AGENT_BACKEND", "SMS_AGENT_URL", "SMS_AGENT_API_KEY", "SMS_AGENT_MODEL")


async def check_agent(loaded: Loaded, timeout: float, emit: Emit, *, offline: bool) -> None:
    settings = loaded.settings
    if offline:
        if settings is not None and settings.agent.backend == "echo":
            # Nothing to reach: saying "not checked" would suggest something was left out.
            emit(passed("agent.reachable", "built-in echo agent (SMS_AGENT_BACKEND=echo)"))
            emit(passed("agent.model", "the echo agent needs no model"))
            return
        emit(skipped("agent.reachable", "--offline"))
        emit(skipped("agent.model", "--offline"))
        return
    if settings is None or not loaded.all_ok(*AGENT_VARIABLES):
        reason = "the SMS_AGENT_* variables are malformed (see Configuration above)"
        emit(skipped("agent.reachable", reason))
        emit(skipped("agent.model", reason))
        return
    config = settings.agent
    result = await _ask_agent(config, timeout)
    if config.backend == "echo":
        emit(passed("agent.reachable", result.message or "built-in echo agent"))
        emit(passed("agent.model", "the echo agent needs no model"))
        return
    shown = without_userinfo(config.url)
    detail = f"SMS_AGENT_URL {shown}, SMS_AGENT_API_KEY {mask(config.api_key)}"
    if not result.ok:
        emit(
            failed(
                "agent.reachable",
                result.message,
                "Start the agent server, or correct SMS_AGENT_URL (its base URL, usually ending "
                "in /v1) and SMS_AGENT_API_KEY. SMS_AGENT_BACKEND=echo answers without a model, "
                "for testing the SMS side alone.",
                detail=detail,
            )
        )
        emit(skipped("agent.model", "the agent did not answer"))
        return
    emit(passed("agent.reachable", f"{shown}/models answers", detail=detail))
    if result.model_listed:
        emit(passed("agent.model", f"model {config.model} is listed"))
        return
    # Some servers serve models they do not list, so this is a warning, not a failure.
    emit(warned("agent.model", result.message, "Set SMS_AGENT_MODEL to one of the listed models."))


async def _ask_agent(config: AgentConfig, timeout: float) -> AgentCheck:
    """The agent's own check; an HTTP agent borrows the doctor's session, whose name lookups
    cannot outlive the doctor."""
    if config.backend != "openai":
        from hermes_sms.agent import create_agent

        agent = create_agent(config)
        try:
            return await agent.check(timeout)
        finally:
            await agent.close()
    from hermes_sms.agent.openai_compat import OpenAICompatibleAgent

    async with probe_session(timeout) as session:
        http_agent = OpenAICompatibleAgent(config, session=session)
        try:
            return await http_agent.check(timeout)
        finally:
            await http_agent.close()
