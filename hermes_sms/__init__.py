"""hermes-sms: text a Twilio number, get AI answers back by SMS."""

__version__ = "0.1.0"
