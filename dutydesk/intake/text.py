"""Reading an import file's bytes within limits, and decoding text the way partners send it.

UTF-8 (with or without a byte-order mark) is tried first; a file that is not valid UTF-8
is read as Windows-1252, which is what Excel on Windows writes for "CSV". A file that is
neither is refused with the byte offset where decoding failed.
"""

from __future__ import annotations

from pathlib import Path

from .model import LIMITS, FileRefused, Limits


def read_bytes(path: Path, limits: Limits = LIMITS) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise FileRefused(path.name, f"cannot be read: {err.strerror}") from None
    if size > limits.max_file_bytes:
        raise FileRefused(path.name, f"is {size:,} bytes; files over "
                                     f"{limits.max_file_bytes:,} bytes are refused")
    if size == 0:
        raise FileRefused(path.name, "is empty")
    return path.read_bytes()


def decode(data: bytes, file: str) -> tuple[str, str]:
    """The text and the encoding it was read as (``utf-8``, ``utf-8-sig`` or ``cp1252``)."""
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as err:
        raise FileRefused(file, f"is neither UTF-8 nor Windows-1252 text "
                                f"(byte {err.start} cannot be read)") from None
