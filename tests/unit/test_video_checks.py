"""Checks of a video message's values, pure (no database): lengths, links, and files
recognised by extension, declared type and first bytes; streaming to disk."""

from __future__ import annotations

import io

import pytest

from sessions.core import ProgrammeError
from sessions.videos import (
    VideoTooLarge,
    check_file,
    check_url,
    format_duration,
    parse_duration,
    sniff,
    store_file,
)

#: The first bytes of real files: an ISO base media `ftyp` box, an EBML header.
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00qt  " + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2:30", 150), ("02:05", 125), ("0:01", 1), ("30:00", 1800), ("150", 150), (" 45 ", 45)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give the length"),
        ("0", "from 1 second to 30 minutes"),
        ("0:00", "from 1 second to 30 minutes"),
        ("30:01", "from 1 second to 30 minutes"),
        ("1801", "from 1 second to 30 minutes"),
        ("2:75", "Seconds go from 00 to 59"),
        ("1.5", "minutes:seconds"),
        ("-5", "minutes:seconds"),
        ("two minutes", "minutes:seconds"),
        ("1:2:3", "minutes:seconds"),
        ("９０", "minutes:seconds"),
        ("9" * 50, "minutes:seconds"),
    ],
)
def test_bad_durations(text, message):
    with pytest.raises(ProgrammeError) as caught:
        parse_duration(text)
    assert message in str(caught.value) and caught.value.field == "duration"


def test_format_duration():
    assert [format_duration(s) for s in (0, 5, 65, 1800, None)] == [
        "0:00",
        "0:05",
        "1:05",
        "30:00",
        "0:00",
    ]


@pytest.mark.parametrize("url", ["https://example.org/v.mp4", "http://x.org/watch?v=1"])
def test_good_links(url):
    assert check_url(f" {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.org/v.mp4",
        "ftp://example.org/v.mp4",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.org/",
        "https://x.org/" + "a" * 500,
    ],
)
def test_bad_links(url):
    with pytest.raises(ProgrammeError) as caught:
        check_url(url)
    assert caught.value.field == "url"


@pytest.mark.parametrize(
    ("head", "name", "declared", "expected"),
    [
        (MP4, "message.mp4", "video/mp4", ("mp4", "video/mp4")),
        (MP4, "Message.M4V", "application/octet-stream", ("m4v", "video/mp4")),
        (MOV, "message.mov", "video/quicktime", ("mov", "video/quicktime")),
        (WEBM, "message.webm", "video/webm", ("webm", "video/webm")),
        (WEBM, "message.mkv", "", ("mkv", "video/x-matroska")),
    ],
)
def test_good_files(head, name, declared, expected):
    assert check_file(head, name, declared) == expected


@pytest.mark.parametrize(
    ("head", "name", "declared", "message"),
    [
        (b"Hello, this is not a video at all.\n" * 3, "renamed.mp4", "video/mp4", "not match"),
        (b"Hello, this is not a video at all.\n" * 3, "renamed.webm", "", "not match"),
        (b"", "empty.mp4", "video/mp4", "empty"),
        (MP4, "message.txt", "text/plain", "Choose an MP4"),
        (MP4, "message", "video/mp4", "Choose an MP4"),
        (MP4, "message.mp4.exe", "video/mp4", "Choose an MP4"),
        (MP4, "message.mp4", "text/plain", "sent as text/plain"),
        (WEBM, "message.mp4", "video/mp4", "not match"),
        (MP4, "message.webm", "video/webm", "not match"),
        (b"\x00\x00\x00\x00ftypisom", "short.mp4", "video/mp4", "not match"),
    ],
)
def test_refused_files(head, name, declared, message):
    with pytest.raises(ProgrammeError) as caught:
        check_file(head, name, declared)
    assert message in str(caught.value) and caught.value.field == "file"


def test_sniff():
    assert (sniff(MP4), sniff(MOV), sniff(WEBM), sniff(b"GIF89a" * 4)) == (
        "isobmff",
        "isobmff",
        "ebml",
        None,
    )


def test_store_file_streams_under_a_random_name(tmp_path):
    data = MP4 + b"x" * (3 * 1024 * 1024 + 17)
    name, size = store_file(io.BytesIO(data), "mp4", len(data), tmp_path / "videos")
    assert size == len(data) and name.endswith(".mp4") and len(name) == 36
    assert (tmp_path / "videos" / name).read_bytes() == data
    again, _ = store_file(io.BytesIO(data), "mp4", len(data), tmp_path / "videos")
    assert again != name


def test_store_file_over_the_limit_leaves_nothing(tmp_path):
    with pytest.raises(VideoTooLarge) as caught:
        store_file(io.BytesIO(b"x" * 5000), "mp4", 4999, tmp_path)
    assert caught.value.status == 413 and caught.value.field == "file"
    assert list(tmp_path.iterdir()) == []
