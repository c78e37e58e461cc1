"""The Twilio emulator in its own process, for the webhook benchmark.

The gateway's replies go to it while the load runs; keeping it out of both the load
generator's and the gateway's event loops means neither pays for answering Twilio calls.
Prints `READY <base url>`; `GET /bench/count` reports how many messages it has accepted.
Stops on SIGTERM, when its parent goes away, or after --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web
from common import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, parent_watchdog

from hermes_sms.sandbox import TwilioEmulator


async def serve(max_seconds: float) -> None:
    emulator = TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, phone_numbers=[OUR_NUMBER])

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"messages": len(emulator.messages)})

    # Routes can still be added: the app is frozen only when the emulator starts.
    emulator.app.router.add_get("/bench/count", count)
    base_url = await emulator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {base_url}", flush=True)
    try:
        await parent_watchdog(stop, max_seconds)
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    asyncio.run(serve(parser.parse_args().max_seconds))


if __name__ == "__main__":
    main()
