"""What an attached file really is, judged on its bytes, and the clean copy of it that is kept.

A photo is decoded and encoded again from its pixels, so nothing of the file as sent survives but
the picture: not its EXIF (with the GPS location), XMP, comments, PNG text chunks or thumbnails,
nor anything hidden among them. A PDF is kept as sent, so one that could act when opened
(scripts, launch or open actions, attached files) is refused. The name a file was sent with is
never consulted. This module is the only user of Pillow.
"""
from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from math import ceil

from PIL import Image, ImageCms, ImageOps

try:  # HEIC, the iPhone's own format, through libheif; without it HEIC is refused like any other type.
    import pillow_heif
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    pillow_heif = None
else:
    pillow_heif.register_heif_opener()

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Decoding needs about 3 bytes a pixel, twice over while the orientation is applied: 50 million
# pixels (more than most phone cameras save) keeps one upload to a few hundred MB of memory.
MAX_PIXELS = 50_000_000

NOT_EVIDENCE = "Attach a photo (JPEG, PNG or HEIC) or a PDF"
EMPTY = "The file is empty: attach the photo or PDF again"
HIDDEN = ("This file holds more than a photo (something is hidden in it or added after the picture), "
          "so it cannot be kept: attach a screenshot of the photo instead")
BROKEN_PHOTO = ("This photo cannot be read: it may be damaged or incomplete. "
                "Attach it again or attach a screenshot of it")
TOO_MANY_PIXELS = "This photo is too big to process (over 50 megapixels): attach a smaller copy of it"
BROKEN_PDF = "This PDF is incomplete or cannot be read: save it again as a PDF and attach that"
ACTIVE_PDF = ("This PDF contains scripts, actions or attached files, so it cannot be kept: "
              "print it to a new PDF and attach that")
HIDDEN_PDF = "This PDF has another file hidden in it, so it cannot be kept: print it to a new PDF and attach that"


class EvidenceError(ValueError):
    """A file that cannot be kept; the message says why, for the caseworker."""


def size_in_words(size: int) -> str:
    """Like "340 KB" or "2.5 MB" (of 1024s, as file managers count)."""
    if size < 1024 * 1024:
        return f"{ceil(size / 1024)} KB"
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def too_large(max_bytes: int) -> str:
    return f"The file is larger than {size_in_words(max_bytes)}: attach a smaller copy of it"


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    kind: str  # "photo" or "pdf"
    content_type: str
    extension: str


# Major brands of HEIF files holding HEVC pictures (ISO/IEC 23008-12).
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS and pillow_heif is not None:
        return "heic"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def clean(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Cleaned:
    """The file to keep, or EvidenceError saying why this one cannot be kept."""
    if not data:
        raise EvidenceError(EMPTY)
    if len(data) > max_bytes:
        raise EvidenceError(too_large(max_bytes))
    kind = _sniff(data)
    if kind is None:
        raise EvidenceError(NOT_EVIDENCE)
    if kind == "pdf":
        _check_pdf(data)
        return Cleaned(data, "pdf", "application/pdf", "pdf")
    _check_no_hidden_file(data, kind)
    return _photo(data, kind)


# --- photos --------------------------------------------------------------------------------------

class _Broken(Exception):
    pass


class _Extra(Exception):
    pass


# Another format's start inside a photo: a PDF, a web page, a ZIP (a document, an app, an archive).
_HIDDEN_START = re.compile(rb"%PDF-|<script|<html|PK\x03\x04", re.IGNORECASE)


def _check_no_hidden_file(data: bytes, kind: str) -> None:
    """Refuse a polyglot: bytes after the picture's end, or another format's start among its
    headers and metadata. The compressed picture data itself is not searched: its bytes are as good
    as random, so a four-byte ZIP header turns up by chance in about one large photo in a thousand,
    and no byte of it is kept anyway (the picture is encoded again)."""
    walk = {"jpeg": _jpeg_parts, "png": _png_parts, "heic": _heif_parts}[kind]
    try:
        end, picture_data = walk(data)
    except _Broken:
        raise EvidenceError(BROKEN_PHOTO) from None
    except _Extra:
        raise EvidenceError(HIDDEN) from None
    if end != len(data):
        raise EvidenceError(HIDDEN)
    outside, last = [], 0
    for start, stop in picture_data:
        outside.append(data[last:start])
        last = stop
    outside.append(data[last:])
    if any(_HIDDEN_START.search(part) for part in outside):
        raise EvidenceError(HIDDEN)


def _jpeg_parts(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Where the JPEG ends (just after its EOI marker) and where its compressed scans lie, by walking
    its segments: an EOI inside the EXIF thumbnail is skipped over with the segment holding it."""
    i, n, scans = 2, len(data), []
    while i < n:
        if data[i] != 0xFF:
            raise _Broken
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return i, scans
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length follows these
            continue
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2 or i + length > n:
            raise _Broken
        i += length
        if marker == 0xDA:  # start of scan: compressed data up to the next marker
            start = i
            while True:
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= n:
                    raise _Broken
                follower = data[i + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7:  # a stuffed byte, a restart marker
                    i += 2
                elif follower == 0xFF:
                    i += 1
                else:
                    break
            scans.append((start, i))
    raise _Broken


def _png_parts(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Where the PNG ends (after its IEND chunk) and where its compressed IDAT data lies."""
    i, n, idat = 8, len(data), []
    while i + 12 <= n:
        length, chunk = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8]
        end = i + 12 + length
        if end > n:
            raise _Broken
        if chunk == b"IDAT":
            idat.append((i + 8, i + 8 + length))
        i = end
        if chunk == b"IEND":
            return i, idat
    raise _Broken


def _heif_parts(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """HEIF has no end marker: its top-level boxes must cover the file exactly. The media data box
    holds the compressed pictures."""
    i, n, media = 0, len(data), []
    while i < n:
        if i + 8 > n:
            raise _Extra
        size, box, header = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8], 8
        if not re.fullmatch(rb"[a-z0-9 ]{4}", box, re.IGNORECASE):
            raise _Extra  # not a box: something added after the picture
        if size == 1:
            size, header = int.from_bytes(data[i + 8:i + 16], "big"), 16
        elif size == 0:
            size = n - i
        if size < header or i + size > n:
            raise _Broken
        if box == b"mdat":
            media.append((i + header, i + size))
        i += size
    return i, media


_FORMATS = {"jpeg": "JPEG", "png": "PNG", "heic": "HEIF"}
_PNG_MODES = {"1", "L", "LA", "I;16", "P", "RGB", "RGBA"}  # what Pillow writes as PNG unchanged


def _photo(data: bytes, kind: str) -> Cleaned:
    try:
        with Image.open(io.BytesIO(data), formats=[_FORMATS[kind]]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceError(TOO_MANY_PIXELS)
            image.load()
            picture = _in_srgb(ImageOps.exif_transpose(image), image.info.get("icc_profile"))
        return _encoded(picture, kind)
    except EvidenceError:
        raise
    except Image.DecompressionBombError:
        raise EvidenceError(TOO_MANY_PIXELS) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise EvidenceError(BROKEN_PHOTO) from None


def _encoded(picture: Image.Image, kind: str) -> Cleaned:
    # Only the pixels go on: every other key (exif, xmp, comment, icc_profile, text chunks) stays
    # behind, since Pillow writes some of them back out when they are left in `info`.
    picture.info = {key: value for key, value in picture.info.items() if key == "transparency"}
    out = io.BytesIO()
    if kind == "png":
        if picture.mode not in _PNG_MODES:
            picture = picture.convert("RGBA")
        picture.save(out, "PNG")
        return Cleaned(out.getvalue(), "photo", "image/png", "png")
    # HEIC is kept as JPEG: every computer and phone opens that, and few open HEIC.
    if picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    picture.save(out, "JPEG", quality=92)
    return Cleaned(out.getvalue(), "photo", "image/jpeg", "jpg")


def _in_srgb(picture: Image.Image, icc: bytes | None) -> Image.Image:
    """The picture in sRGB: without its colour profile (which goes with the rest of the metadata), a
    phone's wide-gamut photo would look paler than it is, and the colour of a bruise is evidence."""
    if not icc:
        return picture
    try:
        return ImageCms.profileToProfile(picture, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
                                         outputMode="RGBA" if "A" in picture.mode else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture  # a profile that does not fit the picture: its colours as they are


# --- PDFs ----------------------------------------------------------------------------------------

# Keys that make a PDF do something when opened: run JavaScript, start a program, act on opening,
# or carry files of its own. A name ends at whitespace or a delimiter (/JSON is not /JS).
_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|OpenAction)(?=[\s()<>\[\]{}/%]|$)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
# Decompressed object streams read at most this much in all: a small PDF cannot make us inflate gigabytes.
INFLATE_BUDGET = 256 * 1024 * 1024


def _names(data: bytes) -> bytes:
    # "/J#61vaScript" is "/JavaScript": a name may spell any of its bytes as #xx.
    return _NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), data)


def _check_pdf(data: bytes) -> None:
    if not re.match(rb"%PDF-[12]\.\d", data) or not data.rstrip(b" \t\r\n\f\x00").endswith(b"%%EOF") \
            or b"startxref" not in data:
        raise EvidenceError(BROKEN_PDF)
    # A ZIP reader looks for its directory's end in the last 64 KiB: a PDF with one there is both.
    if b"PK\x05\x06" in data[-(65536 + 22):]:
        raise EvidenceError(HIDDEN_PDF)
    if _ACTIVE.search(_names(data)):
        raise EvidenceError(ACTIVE_PDF)
    _check_object_streams(data)


def _check_object_streams(data: bytes) -> None:
    """Objects may sit compressed inside object streams, where a search of the file cannot see
    their keys: each object stream is inflated and searched too."""
    budget = INFLATE_BUDGET
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        opening = data.rfind(b"obj", max(0, match.start() - 4096), match.start())
        if opening < 0 or b"/ObjStm" not in _names(data[opening:match.start()]):
            continue
        inflater, position, tail = zlib.decompressobj(), match.end(), b""
        try:
            while not inflater.eof:
                pending = inflater.unconsumed_tail or view[position:position + 65536]
                if not inflater.unconsumed_tail:
                    position += 65536
                if not pending:
                    raise EvidenceError(BROKEN_PDF)
                piece = inflater.decompress(pending, 1 << 20)
                budget -= len(piece)
                if budget < 0:
                    raise EvidenceError(BROKEN_PDF)
                if _ACTIVE.search(_names(tail + piece)):
                    raise EvidenceError(ACTIVE_PDF)
                tail = piece[-64:]  # a key split between two pieces is still found
        except zlib.error:
            # Not Flate: nothing here can read what it holds, so it cannot be vouched for.
            raise EvidenceError(BROKEN_PDF) from None
