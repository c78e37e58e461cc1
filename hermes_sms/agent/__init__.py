"""hermes_sms.agent"""
