from hermes_sms.config import RateLimit
from hermes_sms.gateway.ratelimit import SWEEP_AT, SenderRateLimiter, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_up_to_count_then_one_notice_per_window() -> None:
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(3, 60), clock)
    verdicts = [limiter.check("+15550100002") for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.DROP_AND_NOTIFY, Verdict.DROP, Verdict.DROP]
    assert limiter.check("+15550100003") is Verdict.ALLOW


def test_window_slides() -> None:
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(2, 60), clock)
    assert limiter.check("a") is Verdict.ALLOW
    clock.now += 30
    assert limiter.check("a") is Verdict.ALLOW
    assert limiter.check("a") is Verdict.DROP_AND_NOTIFY
    clock.now += 31  # the first one left the window
    assert limiter.check("a") is Verdict.ALLOW
    assert limiter.check("a") is Verdict.DROP  # already told within this window
    clock.now += 61
    assert limiter.check("a") is Verdict.ALLOW


def test_memory_bounded_by_sweeping_idle_senders() -> None:
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(5, 60), clock)
    for n in range(SWEEP_AT):
        limiter.check(f"+1555{n:07d}")
    clock.now += 61
    limiter.check("+19999999999")
    assert limiter.tracked == 1


def test_a_message_leaves_the_window_exactly_when_it_ends() -> None:
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(1, 60), clock)
    assert limiter.check("a") is Verdict.ALLOW
    clock.now += 60
    assert limiter.check("a") is Verdict.ALLOW


def test_a_new_notice_once_the_last_one_is_a_window_old() -> None:
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(1, 60), clock)
    assert limiter.check("a") is Verdict.ALLOW
    clock.now += 10
    assert limiter.check("a") is Verdict.DROP_AND_NOTIFY
    clock.now += 55  # the accepted message left the window; the notice is 55 s old
    assert limiter.check("a") is Verdict.ALLOW
    clock.now += 5
    assert limiter.check("a") is Verdict.DROP_AND_NOTIFY  # told exactly 60 s ago


def test_sweep_forgets_senders_idle_for_exactly_a_window() -> None:
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(5, 60), clock)
    for n in range(SWEEP_AT):
        limiter.check(f"+1555{n:07d}")
    clock.now += 60
    limiter.check("+19999999999")
    assert limiter.tracked == 1


def test_sweep_keeps_a_recent_notice_of_an_idle_sender() -> None:
    # Swept or not, a flooding sender is told once per window, never twice.
    clock = Clock()
    limiter = SenderRateLimiter(RateLimit(1, 60), clock)
    assert limiter.check("a") is Verdict.ALLOW
    for n in range(SWEEP_AT - 1):
        limiter.check(f"+1555{n:07d}")
    clock.now += 30
    assert limiter.check("a") is Verdict.DROP_AND_NOTIFY
    clock.now += 31  # "a" accepted nothing for 61 s: idle, swept by the next new sender
    limiter.check("+19999999999")
    assert limiter.tracked == 1
    assert limiter.check("a") is Verdict.ALLOW
    assert limiter.check("a") is Verdict.DROP  # the notice of 31 s ago still counts
