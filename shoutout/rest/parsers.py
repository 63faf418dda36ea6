"""A JSON parser that enforces ShoutOut's size limit before reading the body."""

import codecs
import json

from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from shoutout.conf import shoutout_settings

# Bytes a request body may carry besides the payload itself (field names, the
# update id, the TTL).
ENVELOPE_BYTES = 4096


class PayloadTooLarge(APIException):
    status_code = 413
    default_code = "payload_too_large"


class LimitedJSONParser(JSONParser):
    """JSON parser that raises 413 for bodies over the payload limit.

    The body may exceed ``SHOUTOUT['MAX_PAYLOAD_BYTES']`` by
    :data:`ENVELOPE_BYTES`; the payload field itself is checked exactly
    afterwards. A body is never read past the limit.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        max_body = shoutout_settings.MAX_PAYLOAD_BYTES + ENVELOPE_BYTES
        request = parser_context.get("request")
        if request is not None:
            self.check_declared_length(request)

        body = stream.read(max_body + 1) if stream is not None else b""
        if len(body) > max_body:
            raise self._too_large(len(body))

        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = codecs.decode(body, encoding)
            data = json.loads(text, parse_constant=strict_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        self.check_surrogates(text, data)
        return data

    @staticmethod
    def check_surrogates(text, data):
        """Raise ``ParseError`` when a \\u escape decoded to a lone surrogate.

        Such a string cannot be encoded as UTF-8, so any response that echoes it
        (a validation message, a stored payload) would fail to render.
        """
        if "\\ud" not in text and "\\uD" not in text:
            return  # only an escape can produce a surrogate, so most bodies skip the re-encoding
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError(
                f"JSON parse error - the body contains the lone surrogate "
                f"{exc.object[exc.start:exc.end]!r}, which is not valid Unicode text."
            ) from exc

    @classmethod
    def check_declared_length(cls, request):
        """Raise ``PayloadTooLarge`` when the Content-Length header is over the limit."""
        max_body = shoutout_settings.MAX_PAYLOAD_BYTES + ENVELOPE_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > max_body:
            raise cls._too_large(int(declared))

    @staticmethod
    def _too_large(size):
        limit = shoutout_settings.MAX_PAYLOAD_BYTES
        return PayloadTooLarge(
            f"The request body is {size} bytes; payloads are limited to {limit} bytes of JSON "
            "(setting SHOUTOUT['MAX_PAYLOAD_BYTES'])."
        )
