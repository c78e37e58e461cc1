"""Doctor, Agent section: a real fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from test_doctor_support import FAST, free_port, no_secret_in, silent_server

from hermes_sms.doctor.agent_checks import check_agent
from hermes_sms.doctor.loading import load
from hermes_sms.doctor.result import CheckResult, Status
from hermes_sms.sandbox.fake_llm import FakeLLM

KEY = "sk-doctor-test-key-000000000000c0de"


async def agent_checks(home: Path, timeout: float = FAST, **values: str) -> dict[str, CheckResult]:
    environ = {"HERMES_HOME": str(home), "SMS_AGENT_BACKEND": "openai", **values}
    found: list[CheckResult] = []
    await check_agent(load(environ), timeout, found.append, offline=False)
    return {check.id: check for check in found}


async def test_agent_answers_with_key_and_lists_model(isolated_home: Path) -> None:
    async with FakeLLM(models=["hermes-agent"], api_key=KEY) as llm:
        checks = await agent_checks(isolated_home, SMS_AGENT_URL=llm.url, SMS_AGENT_API_KEY=KEY)
        assert llm.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert checks["agent.reachable"].status is Status.PASS
    assert checks["agent.model"].status is Status.PASS
    assert "…c0de" in (checks["agent.reachable"].detail or "")
    assert no_secret_in(str(checks), KEY)


async def test_wrong_key_fails(isolated_home: Path) -> None:
    wrong = "sk-wrong-key-111111111111dead"
    async with FakeLLM(api_key=KEY) as llm:
        checks = await agent_checks(isolated_home, SMS_AGENT_URL=llm.url, SMS_AGENT_API_KEY=wrong)
    reachable = checks["agent.reachable"]
    assert reachable.status is Status.FAIL
    assert "401" in reachable.message and "SMS_AGENT_API_KEY" in reachable.message
    assert checks["agent.model"].status is Status.SKIP
    assert no_secret_in(str(checks), KEY, wrong)


async def test_model_not_listed_warns(isolated_home: Path) -> None:
    async with FakeLLM(models=["llama-3", "qwen"]) as llm:
        checks = await agent_checks(
            isolated_home, SMS_AGENT_URL=llm.url, SMS_AGENT_MODEL="hermes-agent"
        )
    assert checks["agent.reachable"].status is Status.PASS
    model = checks["agent.model"]
    assert model.status is Status.WARN
    assert "llama-3" in model.message and "SMS_AGENT_MODEL" in (model.fix or "")


async def test_agent_unreachable_fails(isolated_home: Path) -> None:
    checks = await agent_checks(isolated_home, SMS_AGENT_URL=f"http://127.0.0.1:{free_port()}/v1")
    reachable = checks["agent.reachable"]
    assert reachable.status is Status.FAIL
    assert "connection refused" in reachable.message
    assert "SMS_AGENT_URL" in (reachable.fix or "")


async def test_silent_agent_times_out(isolated_home: Path) -> None:
    async with silent_server() as port:
        checks = await agent_checks(
            isolated_home, timeout=0.3, SMS_AGENT_URL=f"http://127.0.0.1:{port}/v1"
        )
    assert checks["agent.reachable"].status is Status.FAIL
    assert "timed out" in checks["agent.reachable"].message


async def test_echo_backend_passes(isolated_home: Path) -> None:
    checks = await agent_checks(isolated_home, SMS_AGENT_BACKEND="echo")
    assert checks["agent.reachable"].status is Status.PASS
    assert checks["agent.model"].status is Status.PASS


async def test_malformed_agent_url_skips(isolated_home: Path) -> None:
    checks = await agent_checks(isolated_home, SMS_AGENT_URL="localhost:8642")
    assert checks["agent.reachable"].status is Status.SKIP
    # Named as the text report shows it (a section), not by an id it never prints.
    assert "(see Configuration above)" in checks["agent.reachable"].message


async def test_offline_echo_agent_passes_instead_of_not_checked(isolated_home: Path) -> None:
    environ = {"HERMES_HOME": str(isolated_home), "SMS_AGENT_BACKEND": "echo"}
    found: list[CheckResult] = []
    await check_agent(load(environ), FAST, found.append, offline=True)
    checks = {check.id: check for check in found}
    assert checks["agent.reachable"].status is Status.PASS
    assert "echo" in checks["agent.reachable"].message
    assert checks["agent.model"].status is Status.PASS


async def test_offline_real_agent_is_not_checked(isolated_home: Path) -> None:
    environ = {"HERMES_HOME": str(isolated_home), "SMS_AGENT_URL": "http://127.0.0.1:9/v1"}
    found: list[CheckResult] = []
    await check_agent(load(environ), FAST, found.append, offline=True)
    assert [check.status for check in found] == [Status.SKIP, Status.SKIP]
