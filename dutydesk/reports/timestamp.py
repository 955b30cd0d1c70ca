"""Trusted timestamps (RFC 3161) from a time-stamping authority over HTTP.

When the ``tsa_url`` setting names a time-stamping authority (the council's own, or a
qualified one it contracts), every signature (PDF: PAdES B-T; data export: a CMS
signature-timestamp attribute) carries a token in which the authority signs the
signature's hash and the time: the signing time is then proved by a third party, not just
claimed by the desk's clock. Verification trusts a timestamp only when the authority's
certificate chains to a **timestamp** trust anchor (``signing/tsa/*.pem``), kept apart from
the document-signing anchors so that a public timestamp root can never vouch for a signer.

The standard library's ``urllib`` makes the request (pyHanko's own HTTP client needs the
``requests`` package, which DutyDesk does not otherwise use); only ``http`` and ``https``
URLs are accepted.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from urllib.parse import urlparse

from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
TIMEOUT_SECONDS = 15.0


class TimestampSettingError(ValueError):
    """The ``tsa_url`` setting is not an http(s) URL."""


class UrlTimeStamper(TimeStamper):
    """An RFC 3161 client over HTTP(S) POST (RFC 3161 section 3.4)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise TimestampSettingError(
                f"the timestamp authority setting (tsa_url) must be an http:// or https:// "
                f"URL, not {url!r}"
            )
        super().__init__(include_nonce=True)
        self.url = url
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        def task() -> tsp.TimeStampResp:
            request = urllib.request.Request(
                self.url, data=req.dump(), headers={"Content-Type": QUERY_TYPE}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked above
                    kind = response.headers.get("Content-Type", "")
                    body = response.read()
            except (OSError, urllib.error.URLError) as err:
                raise TimestampRequestError(
                    f"the timestamp authority at {self.url} cannot be reached ({err})"
                ) from None
            if kind.split(";")[0].strip() != REPLY_TYPE:
                raise TimestampRequestError(
                    f"the timestamp authority at {self.url} did not answer with a timestamp "
                    f"(content type {kind or 'none'})"
                )
            try:
                return tsp.TimeStampResp.load(body)
            except ValueError:
                raise TimestampRequestError(
                    f"the timestamp authority at {self.url} sent an unreadable answer"
                ) from None

        return await asyncio.to_thread(task)
