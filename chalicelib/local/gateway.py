"""Make Chalice's local gateway behave like API Gateway where the difference shows.

- Routing: Chalice local matches path segments one for one and answers an unmatched path with its own 403
  "Missing Authentication Token"; API Gateway sends it to the greedy ``{proxy+}`` catch-all route, which
  answers a 404 problem.
- Concurrency: Chalice's server keeps socketserver's listen backlog of 5, so a burst of simultaneous
  clients gets connection resets; API Gateway accepts them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import chalice.local
from chalice.local import MatchResult, RouteMatcher


class GreedyRouteMatcher(RouteMatcher):
    def match_route(self, url: str) -> MatchResult:
        try:
            return super().match_route(url)
        except ValueError:
            parsed = urlparse(url)
            if "/{proxy+}" not in self.route_urls or parsed.path in ("", "/"):
                raise
            query = parse_qs(parsed.query, keep_blank_values=True)
            return MatchResult("/{proxy+}", {"proxy": parsed.path.strip("/")}, query)


LISTEN_BACKLOG = 256


def install() -> None:
    chalice.local.RouteMatcher = GreedyRouteMatcher  # type: ignore[misc]
    chalice.local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
