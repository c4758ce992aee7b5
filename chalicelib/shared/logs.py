"""Structured JSON logs: one logger, a request id on every line, never personal data."""

from __future__ import annotations

import logging
import re
import sys

from aws_lambda_powertools import Logger

# stderr keeps the CLI's stdout clean for JSON output; Lambda sends both streams to CloudWatch.
logger = Logger(service="loyalty", logger_handler=logging.StreamHandler(sys.stderr))

_QUERY = re.compile(r"\?[^\s\"']*")


def without_queries(text: str) -> str:
    """``text`` with the query string of every URL in it cut: a query may hold personal data (a phone number
    typed into a URL against the rules) and a log line outlives it."""
    return _QUERY.sub("?[redacted]", text)
