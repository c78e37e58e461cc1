"""Doctor output never shows the user info inside a URL (`https://user:pw@host`, or a bare
`https://TOKEN@host`): not in the checks, not in the `--fix` question, not for URLs that come
from Twilio rather than from our configuration. Against the Twilio emulator on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from test_doctor_support import (
    FAST,
    environ_for,
    free_port,
    run_cli_async,
)

from hermes_sms.doctor.catalog import failed
from hermes_sms.doctor.masking import scrub
from hermes_sms.doctor.result import Status
from hermes_sms.doctor.runner import DoctorOptions, run_doctor
from hermes_sms.masking import display_urls_in
from hermes_sms.sandbox import TwilioEmulator

# Local and closed: the public-URL checks fail fast instead of reaching for the internet.
PORT = free_port()
WEBHOOK_URL = f"http://hook:HOOKSECRETpw11@127.0.0.1:{PORT}/webhooks/twilio"
WEBHOOK_SHOWN = f"http://…@127.0.0.1:{PORT}/webhooks/twilio"
# What Twilio reports for the number: a bare token, in no variable of ours.
NUMBER_URL = "https://OLDNUMBERTOKENpw22@old.example.com/webhooks/twilio"
NUMBER_SHOWN = "https://…@old.example.com/webhooks/twilio"
PASSWORDS = ("HOOKSECRETpw11", "OLDNUMBERTOKENpw22", "BASESECRETpw33")


def assert_no_passwords(text: str) -> None:
    for password in PASSWORDS:
        assert password not in text, f"{password} leaked:\n{text}"


def env(home: Path, emulator: TwilioEmulator, **overrides: str) -> dict[str, str]:
    return environ_for(
        home,
        account_sid=emulator.account_sid,
        auth_token=emulator.auth_token,
        api_base_url=emulator.base_url,
        **{"SMS_WEBHOOK_URL": WEBHOOK_URL, **overrides},
    )


def test_display_urls_in_masks_every_url_with_user_info() -> None:
    text = (
        "got https://u:p@a.example/x, then http://TOKEN@b.example:80/?q=c@d "
        "and ftp://x@y@c.example; not https://d.example/e@f nor mail@example.com"
    )
    assert display_urls_in(text) == (
        "got https://…@a.example/x, then http://…@b.example:80/?q=c@d "
        "and ftp://…@c.example; not https://d.example/e@f nor mail@example.com"
    )


def test_scrub_masks_urls_with_user_info_in_every_field() -> None:
    check = failed(
        "webhook.health",
        f"{NUMBER_URL} did not answer",
        f"Set it to {WEBHOOK_URL}.",
        detail=f"redirected to {NUMBER_URL}",
    )
    [cleaned] = scrub([check], [])
    assert cleaned.message == f"{NUMBER_SHOWN} did not answer"
    assert cleaned.fix == f"Set it to {WEBHOOK_SHOWN}."
    assert cleaned.detail == f"redirected to {NUMBER_SHOWN}"


async def test_number_webhook_urls_are_shown_without_user_info(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.numbers[0].update(sms_url=NUMBER_URL, sms_method="POST")
    report = await run_doctor(env(isolated_home, emulator), DoctorOptions(timeout=FAST))
    check = report.get("number.webhook_url")
    assert check and check.status is Status.FAIL
    assert f"is {NUMBER_SHOWN}, but SMS_WEBHOOK_URL is {WEBHOOK_SHOWN}" in check.message
    assert NUMBER_SHOWN in (check.detail or "") and WEBHOOK_SHOWN in (check.detail or "")
    assert WEBHOOK_SHOWN in (check.fix or "")
    assert_no_passwords(str(report.to_json()))


async def test_fix_question_and_result_hide_user_info(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.numbers[0].update(sms_url=NUMBER_URL, sms_method="POST")
    questions: list[str] = []

    def confirm(question: str) -> bool:
        questions.append(question)
        return True

    options = DoctorOptions(fix=True, timeout=FAST)
    report = await run_doctor(env(isolated_home, emulator), options, confirm)
    [question] = questions
    assert f"to {WEBHOOK_SHOWN} (POST)? It is now {NUMBER_SHOWN} (POST)." in question
    assert_no_passwords(question)
    # The real URL is what Twilio was given.
    assert emulator.numbers[0]["sms_url"] == WEBHOOK_URL
    check = report.get("number.webhook_url")
    assert check and check.message.startswith("fixed")
    assert f"was {NUMBER_SHOWN}" in (check.detail or "")
    assert_no_passwords(str(report.to_json()))


async def test_fix_prompt_on_the_terminal_hides_user_info(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    emulator.numbers[0].update(sms_url=NUMBER_URL, sms_method="POST")
    run = await run_cli_async(
        ["doctor", "--fix"], env(isolated_home, emulator), stdin="n\n", tty=True
    )
    assert "[y/N]" in run.stderr and WEBHOOK_SHOWN in run.stderr
    assert emulator.numbers[0]["sms_url"] == NUMBER_URL
    assert_no_passwords(run.stdout + run.stderr)


async def test_api_base_url_with_user_info_is_a_failed_check_not_a_crash(
    isolated_home: Path, emulator: TwilioEmulator
) -> None:
    base = emulator.base_url.replace("://", "://api:BASESECRETpw33@", 1)
    run = await run_cli_async(
        ["doctor", "--json"], env(isolated_home, emulator, TWILIO_API_BASE_URL=base)
    )
    assert run.code == 1, run.stderr
    required = run.check("config.required")
    assert required["status"] == "fail"
    assert "TWILIO_API_BASE_URL" in required["message"]
    assert "without a user name or password" in required["message"]
    assert run.check("twilio.credentials")["status"] == "skip"
    assert emulator.requests == []
    assert_no_passwords(run.stdout + run.stderr)
