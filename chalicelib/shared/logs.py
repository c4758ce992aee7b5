"""Structured JSON logs: one logger, a request id on every line, never personal data."""

from __future__ import annotations

import logging
import sys

from aws_lambda_powertools import Logger

# stderr keeps the CLI's stdout clean for JSON output; Lambda sends both streams to CloudWatch.
logger = Logger(service="loyalty", logger_handler=logging.StreamHandler(sys.stderr))
