"""Make Chalice's local gateway behave like API Gateway where the difference shows.

- Routing: Chalice local matches path segments one for one and answers an unmatched path with its own 403
  "Missing Authentication Token"; API Gateway sends it to the greedy ``{proxy+}`` catch-all route, which
  answers a 404 problem.
- Concurrency: Chalice's server keeps socketserver's listen backlog of 5, so a burst of simultaneous
  clients gets connection resets; API Gateway accepts them.
- Access log: Chalice's server writes each request line whole to stderr, query string included; here the
  query is cut, since it may hold personal data.
- Raw UTF-8 in a URL (``curl '…?city=上海'``): Python's server reads the request line as Latin-1, so each byte of
  a Chinese character became a character of its own, refused as a control character; here such bytes are
  percent-encoded first, as a browser sends them and API Gateway passes them on.
- The front ends: ``/console/`` and ``/m/`` are answered from the built apps (``sites``), as CloudFront answers
  them from S3 beside the API when deployed.
- Export files: ``/local-exports/<key>`` answers a file of the local exports folder through its signed link
  (``exports.files.link``), as S3 answers a pre-signed GET when deployed.
- Pictures: ``/media/<name>`` answers a picture published to the local media folder (``chalicelib.media``), as
  CloudFront answers it from the web bucket when deployed.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

import chalice.local
from chalice.local import ChaliceRequestHandler, MatchResult, RouteMatcher

from chalicelib.exports import files
from chalicelib.local import sites
from chalicelib.shared.logs import without_queries


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
PICTURES = "/media/"  # published pictures (``chalicelib.media``)
_log_message = ChaliceRequestHandler.log_message


def _log_message_without_queries(handler: ChaliceRequestHandler, template: str, *args: Any) -> None:
    _log_message(handler, template, *(without_queries(arg) if isinstance(arg, str) else arg for arg in args))


_parse_request = ChaliceRequestHandler.parse_request


def _parse_request_as_utf8(handler: ChaliceRequestHandler) -> bool:
    parsed: bool = _parse_request(handler)
    if parsed:
        handler.path = percent_encoded(handler.path)
    return parsed


def percent_encoded(path: str) -> str:
    """The request target with every byte beyond ASCII percent-encoded (the server decoded the line as Latin-1, a
    byte a character), the rest as sent."""
    if path.isascii():
        return path
    return "".join(char if char.isascii() else f"%{ord(char):02X}" for char in path)


_generic_handle = ChaliceRequestHandler._generic_handle


def _handle_with_sites(self: ChaliceRequestHandler) -> None:
    if self.command in ("GET", "HEAD") and self.path.startswith(files.LOCAL_PREFIX):
        _send_export(self)
        return
    if self.command in ("GET", "HEAD") and self.path.startswith(PICTURES):
        _send_picture(self)
        return
    if self.command not in ("GET", "HEAD") or sites.site_of(self.path) is None:
        _generic_handle(self)
        return
    emulator = os.environ.get("AWS_ENDPOINT_URL")  # the local imports bucket, where the console PUTs a file
    found = sites.answer(self.path, uploads=(emulator,) if emulator else ())
    _answer(self, found.status, found.headers, found.body)


def _answer(self: ChaliceRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    """A file's answer; to a HEAD its headers alone, with the length its GET would have (as S3 and CloudFront say)."""
    if self.command != "HEAD":
        self._send_http_response(status, headers, body)
        return
    self.send_response(status)
    self.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        self.send_header(name, value)
    self.end_headers()


def _send_picture(self: ChaliceRequestHandler) -> None:
    """A published picture, as CloudFront serves it from the web bucket when deployed: cached for good, never
    sniffed as anything else."""
    from chalicelib.media.service import CACHED_FOR_GOOD, local_picture

    found = local_picture(urlparse(self.path).path.removeprefix(PICTURES))
    if found is None:
        self._send_http_response(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found")
        return
    body, kind = found
    headers = {
        "Content-Type": kind,
        "Cache-Control": CACHED_FOR_GOOD,
        **sites.SECURITY_HEADERS,
        "Content-Security-Policy": sites.content_security_policy(),
    }  # as CloudFront's headers policy adds it
    _answer(self, 200, headers, body)


def _send_export(self: ChaliceRequestHandler) -> None:
    """An export file through its signed link, as S3 answers a pre-signed GET: 403 when the link is not good."""
    parsed = urlparse(self.path)
    query = {name: values[0] for name, values in parse_qs(parsed.query).items()}
    key = unquote(parsed.path.removeprefix(files.LOCAL_PREFIX))
    found = files.local_file(key, query.get("expires", ""), query.get("signature", ""))
    if found is None:
        self._send_http_response(403, {"Content-Type": "text/plain"}, b"this link is not valid or has expired")
        return
    kind = "application/gzip" if found.name.endswith(".gz") else "text/csv; charset=utf-8"
    headers = {"Content-Type": kind, "Cache-Control": "no-store",
               "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}"}  # fmt: skip
    _answer(self, 200, headers, found.read_bytes())


def install() -> None:
    chalice.local.RouteMatcher = GreedyRouteMatcher  # type: ignore[misc]
    chalice.local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    ChaliceRequestHandler.log_message = _log_message_without_queries
    ChaliceRequestHandler.parse_request = _parse_request_as_utf8
    ChaliceRequestHandler.do_GET = ChaliceRequestHandler.do_HEAD = _handle_with_sites
