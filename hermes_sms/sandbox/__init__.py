"""hermes_sms.sandbox"""
