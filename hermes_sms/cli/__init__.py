"""hermes_sms.cli"""
