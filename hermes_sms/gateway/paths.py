"""Where the gateway listens, and how it names itself on /health.

Apart from app.py so that `setup` and `doctor` can use them without importing aiohttp.
"""

WEBHOOK_PATH = "/webhooks/twilio"
STATUS_PATH = "/webhooks/twilio/status"
HEALTH_PATH = "/health"
SERVICE_NAME = "hermes-sms-gateway"
