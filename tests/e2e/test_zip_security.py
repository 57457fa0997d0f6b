"""Hostile packages: zip-slip and zip bombs are refused and nothing is written."""
import io
import os
import struct
import zipfile
import zlib

import pytest

from conftest import ROLE, unique, zip_bytes


def snapshot(data_dir):
    return sorted(p for p in (str(x) for x in data_dir.rglob("*")) if "/logs.db" not in p
                  and "kindling.db" not in p)


def raw_zip(entries):
    """A zip whose names are written as given (zipfile would normalise some of them)."""
    out = io.BytesIO()
    central = b""
    for name, data, mode in entries:
        nb = name.encode()
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        cdata = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data)
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(cdata),
                              len(data), len(nb), 0) + nb + cdata)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, 0, 8, 0, 0, crc,
                               len(cdata), len(data), len(nb), 0, 0, 0, 0, mode << 16,
                               offset) + nb
    cd_off = out.tell()
    out.write(central)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                          len(central), cd_off, 0))
    return out.getvalue()


@pytest.mark.parametrize("name", ["../../escaped.txt", "a/../../escaped.txt", "/etc/escaped",
                                  "..", "./../escaped.txt"])
def test_zip_slip_is_refused(lam, server, name):
    before = snapshot(server.data_dir)
    z = raw_zip([("ok.py", b"x = 1\n", 0o100644), (name, b"pwned", 0o100644)])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=unique("slip"), Runtime="python3.11", Handler="ok.h",
                            Role=ROLE, Code={"ZipFile": z})
    assert "Could not unzip uploaded file" in str(e.value)
    assert snapshot(server.data_dir) == before
    assert not (server.data_dir.parent / "escaped.txt").exists()
    assert not os.path.exists("/etc/escaped")


def test_escaping_symlink_is_refused(lam, server):
    before = snapshot(server.data_dir)
    z = raw_zip([("link", b"../../../../etc/passwd", 0o120777), ("ok.py", b"", 0o100644)])
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_function(FunctionName=unique("link"), Runtime="python3.11", Handler="ok.h",
                            Role=ROLE, Code={"ZipFile": z})
    assert snapshot(server.data_dir) == before


def test_zip_bomb_is_refused(lam, server):
    before = snapshot(server.data_dir)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("zeros.bin", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB zipped
                f.write(chunk)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName=unique("bomb"), Runtime="python3.11", Handler="a.b",
                            Role=ROLE, Code={"ZipFile": buf.getvalue()})
    assert "Unzipped size must be smaller than 262144000 bytes" in str(e.value) or \
        "Could not unzip" in str(e.value)
    assert snapshot(server.data_dir) == before


def test_zip_over_50mb_is_refused(lam):
    blob = os.urandom(51 * 1024 * 1024)
    z = zip_bytes({"big.bin": blob})
    with pytest.raises(Exception) as e:
        lam.create_function(FunctionName=unique("huge"), Runtime="python3.11", Handler="a.b",
                            Role=ROLE, Code={"ZipFile": z})
    assert "RequestEntityTooLargeException" in str(e.value) or "52428800" in str(e.value)
