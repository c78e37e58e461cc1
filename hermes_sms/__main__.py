"""`python -m hermes_sms`."""

from hermes_sms.cli.app import run

if __name__ == "__main__":
    run()
