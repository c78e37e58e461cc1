"""The floor for the webhook benchmark: a bare aiohttp handler on 127.0.0.1 that reads the
form and answers the gateway's empty TwiML, with no signature check, storage or logging.

Run by bench/webhook.py as a child process; prints `READY <port>` and serves until SIGTERM,
until its parent goes away, or after --max-seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web
from common import WEBHOOK_PATH, parent_watchdog

from hermes_sms.gateway.app import EMPTY_TWIML


async def webhook(request: web.Request) -> web.Response:
    # Read the body as any real handler must, so the comparison is not against a server that
    # leaves the payload for aiohttp to discard.
    await request.read()
    return web.Response(text=EMPTY_TWIML, content_type="application/xml")


async def serve(max_seconds: float) -> None:
    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, webhook)
    # Same runner options as the gateway: no access log, our own signal handling.
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {port}", flush=True)
    try:
        await parent_watchdog(stop, max_seconds)
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    asyncio.run(serve(parser.parse_args().max_seconds))


if __name__ == "__main__":
    main()
