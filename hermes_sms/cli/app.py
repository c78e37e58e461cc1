"""The `hermes-sms` command: a thin Typer layer over the core library.

Each command lives in its own module and imports heavy libraries (aiohttp, twilio,
questionary) inside the function that needs them, so `hermes-sms --help` starts fast.
"""

from __future__ import annotations

import sys

import typer

from hermes_sms import __version__
from hermes_sms.cli import demo, doctor, gateway, send, setup
from hermes_sms.cli.environment import Environment
from hermes_sms.cli.errors import CliError
from hermes_sms.cli.exit_status import ExitStatus

app = typer.Typer(
    name="hermes-sms",
    help="Text a Twilio number, get AI answers back by SMS.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hermes-sms {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
    ),
) -> None:
    """Text a Twilio number, get AI answers back by SMS."""


app.command("send", help=send.HELP)(send.send_command)
app.command("gateway", help=gateway.HELP)(gateway.gateway_command)
app.command("demo", help=demo.HELP)(demo.demo_command)
app.command("doctor", help=doctor.HELP)(doctor.doctor_command)
app.command("setup", help=setup.HELP)(setup.setup_command)


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI and return its exit status (the console script exits with it)."""
    env = env or Environment()
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv,
            prog_name="hermes-sms",
            obj=env,
            standalone_mode=False,
        )
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("cancelled", file=env.stderr)
        return ExitStatus.CANCELLED
    except typer.TyperException as exc:
        # Usage errors (unknown option, bad value): Typer's own message, with the usage line.
        show = getattr(exc, "show", None)
        if show is not None:
            show(file=env.stderr)
        else:
            print(f"Error: {exc.format_message()}", file=env.stderr)
        return ExitStatus.USAGE
    except CliError as exc:
        print(exc.message, file=env.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("cancelled", file=env.stderr)
        return ExitStatus.CANCELLED
    except Exception as exc:
        # Imported only now: the configuration module pulls in phonenumbers, which
        # `hermes-sms --help` must not pay for.
        from hermes_sms.config import ConfigError

        if not isinstance(exc, ConfigError):
            raise
        print(str(exc), file=env.stderr)
        if exc.setup_can_fix:
            from hermes_sms import messages

            print(
                messages.SETUP_HINT.format(env_file=exc.env_path or "$HERMES_HOME/.env"),
                file=env.stderr,
            )
        return ExitStatus.USAGE
    return int(result or 0)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
