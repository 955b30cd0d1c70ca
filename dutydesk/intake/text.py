"""Reading an import file's bytes within limits, and decoding text the way partners send it.

UTF-8 (with or without a byte-order mark) is tried first, and UTF-16 with its byte-order
mark; a file that is not valid UTF-8 is read as Windows-1252, which is what Excel on
Windows writes for "CSV", but only when it looks like it: bytes that Windows-1252 leaves
undefined, NUL bytes (UTF-16 without a byte-order mark) or runs of high bytes typical of
a multi-byte encoding (Shift-JIS, GBK, Big5, EUC) refuse the file by name instead of
reading it as nonsense.
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
        raise FileRefused(
            path.name, f"is {size:,} bytes; files over {limits.max_file_bytes:,} bytes are refused"
        )
    if size == 0:
        raise FileRefused(path.name, "is empty")
    return path.read_bytes()


_SAVE_AS = "save it as UTF-8 (Excel: 'CSV UTF-8') and import it again"


def decode(data: bytes, file: str) -> tuple[str, str]:
    """The text and the encoding it was read as (``utf-8``, ``utf-8-sig``, ``utf-16`` or
    ``cp1252``); ``FileRefused`` naming the problem otherwise."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise FileRefused(file, f"is UTF-32 text, which is not accepted; {_SAVE_AS}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as err:
            raise FileRefused(
                file, f"starts as UTF-16 text but byte {err.start} cannot be read"
            ) from None
    if b"\x00" in data[:65536]:
        raise FileRefused(
            file,
            "contains NUL bytes: it is not text (or is UTF-16 without a "
            f"byte-order mark); {_SAVE_AS}",
        )
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as err:
        raise FileRefused(
            file,
            f"is neither UTF-8 nor Windows-1252 text (byte {err.start} "
            f"cannot be read; another encoding?); {_SAVE_AS}",
        ) from None
    if _looks_multibyte(data):
        raise FileRefused(
            file,
            "is not UTF-8, and its bytes look like a multi-byte encoding "
            "(such as Shift-JIS, GBK, Big5 or EUC), not Windows-1252; "
            f"{_SAVE_AS}",
        )
    return text, "cp1252"


def _looks_multibyte(data: bytes) -> bool:
    """Windows-1252 text has its accented letters one at a time ("Siobhán", "Müller");
    Shift-JIS, GBK, Big5 and EUC write each character as two bytes, most of them both
    high. Many adjacent high bytes therefore mean "not Windows-1252"."""
    high = pairs = 0
    previous_high = False
    for byte in data[:1_000_000]:
        is_high = byte >= 0x80
        if is_high:
            high += 1
            if previous_high:
                pairs += 1
        previous_high = is_high
    return high >= 8 and pairs >= high * 0.3
