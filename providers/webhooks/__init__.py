"""Telling people: posting Slack-compatible messages to the webhooks a stack names.

post     one message to one webhook, bounded in time; failures as `WebhookError`, never
         with the webhook's address (it is a secret: whoever knows it can post)
"""
