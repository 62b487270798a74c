"""Streaming multipart/form-data reader for evidence uploads: form fields first, then one file
read straight from the request body, so no copy of the file lands in memory or a spool file.

Pure module (no Flask): takes the raw body stream and the boundary. Browsers send parts in
document order, so the upload form puts its text fields (CSRF token included) before the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

READ_SIZE = 1 << 20
MAX_FIELD_BYTES = 64 * 1024  # text fields are short; refuse anything larger before the file
# The decoder buffers what it has not yet turned into events; a body without boundaries
# would otherwise pile up in memory.
MAX_BUFFERED = 4 * READ_SIZE
MAX_PARTS = 64


TRUNCATED = (
    "the upload ended before the form was complete (the body is shorter than its "
    "Content-Length, or the connection was cut)"
)


class MalformedUpload(ValueError):
    """The body is not the multipart form the upload page sends; the message says how."""


@dataclass
class UploadedFile:
    """The file part: client-supplied name and type (metadata only) and a read() stream."""

    field: str
    filename: str
    content_type: str
    stream: BinaryIO


class _FileStream:
    """read(n) over the Data events of the current file part."""

    def __init__(self, form: StreamingForm) -> None:
        self._form = form
        self._buffer = bytearray()
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            event = self._form._next()
            if isinstance(event, Data):
                self._buffer += event.data
                if not event.more_data:
                    self._done = True
            else:
                raise MalformedUpload("file part ended unexpectedly")
        if size < 0 or size >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
            return out
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out


class StreamingForm:
    """Parse a multipart body incrementally: `read_fields()` returns the text fields before
    the first file part and that file (or None); read the file's stream to the end."""

    def __init__(self, body: BinaryIO, boundary: bytes) -> None:
        if not boundary:
            raise MalformedUpload("multipart boundary missing")
        self._body = body
        # No max_form_memory_size: werkzeug applies it to every buffered chunk, file data
        # included; field sizes are limited in read_fields and the buffer in _next instead.
        self._decoder = MultipartDecoder(boundary, max_parts=MAX_PARTS)
        self._eof = False

    def _next(self):
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError as exc:  # werkzeug: "Invalid form-data cannot parse beyond ..."
                if self._eof:
                    raise MalformedUpload(TRUNCATED) from exc
                raise MalformedUpload(f"not a valid multipart form ({exc})") from exc
            if event is not NEED_DATA:
                return event
            if self._eof:
                raise MalformedUpload(TRUNCATED)
            if len(self._decoder.buffer) > MAX_BUFFERED:
                raise MalformedUpload("no multipart boundary where one was expected")
            chunk = self._body.read(READ_SIZE)
            if not chunk:
                self._eof = True
                self._decoder.receive_data(None)
            else:
                self._decoder.receive_data(chunk)

    def read_fields(self) -> tuple[dict[str, str], UploadedFile | None]:
        fields: dict[str, str] = {}
        try:
            while True:
                event = self._next()
                if isinstance(event, Field):
                    value = bytearray()
                    while True:
                        part = self._next()
                        if not isinstance(part, Data):
                            raise MalformedUpload("malformed form field")
                        value += part.data
                        if len(value) > MAX_FIELD_BYTES:
                            raise MalformedUpload(f"form field {event.name} too large")
                        if not part.more_data:
                            break
                    fields[event.name] = value.decode("utf-8", "replace")
                elif isinstance(event, File):
                    content_type = event.headers.get("Content-Type", "application/octet-stream")
                    stream = _FileStream(self)
                    return fields, UploadedFile(event.name, event.filename, content_type, stream)  # type: ignore[arg-type]
                elif isinstance(event, Epilogue):
                    return fields, None
        except ValueError as exc:  # werkzeug's RequestEntityTooLarge/parse errors included
            if isinstance(exc, MalformedUpload):
                raise
            raise MalformedUpload(str(exc)) from exc
