"""hermes_sms.twilio"""
