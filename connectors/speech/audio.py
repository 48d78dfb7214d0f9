"""Reading an audio file's length without decoding it: Ogg (Opus, Vorbis — Telegram and WhatsApp voice notes)
from its pages, any other format through PyAV when the ``voice`` extra is installed. Nothing is written to disk."""

from __future__ import annotations

import io
import struct

from genius_loci.core.speech import Audio, SpeechError

_PAGE = struct.Struct("<4sBBqIIIB")  # capture, version, type, granule position, serial, sequence, crc, segments


def ogg_seconds(data: bytes) -> float:
    """The length of an Ogg Opus or Vorbis stream (its last granule position over its sample rate)."""
    pos, rate, pre_skip, last = 0, 0, 0, -1
    first = True
    while pos + _PAGE.size <= len(data):
        capture, _, _, granule, _, _, _, segments = _PAGE.unpack_from(data, pos)
        if capture != b"OggS":
            raise SpeechError("unreadable", "broken Ogg page")
        table = data[pos + _PAGE.size: pos + _PAGE.size + segments]
        body = pos + _PAGE.size + segments
        size = sum(table)
        if body + size > len(data):
            raise SpeechError("unreadable", "truncated Ogg page")
        if first:
            packet = data[body: body + size]
            if packet.startswith(b"OpusHead") and len(packet) >= 12:
                rate, pre_skip = 48_000, struct.unpack_from("<H", packet, 10)[0]
            elif packet.startswith(b"\x01vorbis") and len(packet) >= 16:
                rate = struct.unpack_from("<I", packet, 12)[0]
            else:
                raise SpeechError("unreadable", "an Ogg stream that is neither Opus nor Vorbis")
            first = False
        if granule >= 0:
            last = granule
        pos = body + size
    if first or rate <= 0:
        raise SpeechError("unreadable", "no Ogg stream")
    return max(0.0, (last - pre_skip) / rate) if last >= 0 else 0.0


def measure(audio: Audio) -> float | None:
    """The audio's length in seconds; None when the format cannot be read without a decoder here."""
    if audio.data[:4] == b"OggS":
        return ogg_seconds(audio.data)
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(audio.data), mode="r") as container:
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            stream = next(iter(container.streams.audio), None)
            if stream is None:
                raise SpeechError("unreadable", "no audio stream")
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return None
    except SpeechError:
        raise
    except Exception as exc:
        raise SpeechError("unreadable", type(exc).__name__) from exc
