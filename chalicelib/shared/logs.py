"""Structured JSON logs: one logger, a request id on every line, never personal data."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="loyalty")
