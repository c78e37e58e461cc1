"""hermes_sms.text"""
