"""Make Chalice's local gateway route like API Gateway: a greedy ``{proxy+}`` route catches unknown paths.

Chalice local matches path segments one for one and answers an unmatched path with its own 403
"Missing Authentication Token"; API Gateway instead sends it to the greedy catch-all route, which answers
a 404 problem. Installing this matcher gives local runs and tests the deployed behaviour.
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


def install() -> None:
    chalice.local.RouteMatcher = GreedyRouteMatcher  # type: ignore[misc]
