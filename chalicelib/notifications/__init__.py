"""Notifications: messages to people (SMS now; email, push and WeChat later), sealed at rest, sent from events."""
