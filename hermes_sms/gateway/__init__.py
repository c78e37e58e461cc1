"""hermes_sms.gateway"""
