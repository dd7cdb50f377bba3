#!/usr/bin/env python3
"""verify-ncg.py: an independent checker for mdrm's open NCG container (docs/ncg-format.md).

Written from the specification only (Python standard library for HKDF/HMAC, the `openssl`
command for AES-128-CTR), so it shares no code with crates/ncg. It parses the header, checks
the key check value, the header MAC and every block tag, decrypts the body with
`openssl enc -d -aes-128-ctr` and, with --original, compares the result with the original file.

Usage: verify-ncg.py FILE.ncg --key KEY [--original FILE] [--output FILE]
  KEY: the 32-byte CEK (AES key then IV) as base64 or 64 hex digits.
Prints the header as JSON on stdout. Exit status 0 when everything checks out, 1 otherwise.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys
import tempfile

MAGIC = bytes([0x89, 0x4E, 0x43, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
TAG_LEN = 16


def fail(msg):
    print(f"verify-ncg: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def hkdf(ikm, info, length):
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()  # RFC 5869 extract, no salt
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def parse_key(text):
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None)
    if len(raw) != 32:
        fail(f"key must be 32 bytes, got {len(raw)}")
    return raw


class Cur:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def take(self, n, what):
        if self.pos + n > len(self.data):
            fail(f"header field {what} runs past the header")
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def uint(self, n, what):
        return int.from_bytes(self.take(n, what), "big")

    def text(self, n, what):
        try:
            return self.take(n, what).decode("utf-8")
        except UnicodeDecodeError:
            fail(f"{what} is not UTF-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--key", required=True)
    ap.add_argument("--original")
    ap.add_argument("--output")
    args = ap.parse_args()
    cek = parse_key(args.key)

    with open(args.file, "rb") as f:
        data_prefix = f.read(32)
        if len(data_prefix) < 32 or data_prefix[:8] != MAGIC:
            fail("magic bytes missing")
        major, minor = data_prefix[8], data_prefix[9]
        if major != 1:
            fail(f"unsupported major version {major}")
        header_len = struct.unpack(">I", data_prefix[12:16])[0]
        f.seek(0)
        header = f.read(header_len)
        if len(header) != header_len:
            fail("truncated header")

        kcv = hkdf(cek, b"mdrm-ncg v1 key check", 16)
        if header[16:32] != kcv:
            fail("key check value differs (wrong key)")
        c = Cur(header, 32)
        suite = c.uint(1, "cipher suite")
        block_size = c.uint(4, "block size")
        size = c.uint(8, "original size")
        packaged_at = c.uint(8, "packaging time")
        file_id = c.take(16, "file id")
        key_id = c.take(16, "key id")
        site_id = c.take(4, "site id")
        cid = c.text(c.uint(1, "cid length"), "content id")
        url = c.text(c.uint(2, "url length"), "license url")
        name = c.text(c.uint(2, "name length"), "original name")
        mime = c.text(c.uint(1, "mime length"), "mime type")
        ext_len = c.uint(4, "extension area length")
        ext = Cur(c.take(ext_len, "extension area"))
        extensions = []
        while ext.pos < len(ext.data):
            kind = ext.uint(2, "extension type")
            extensions.append({"type": kind, "value": ext.take(ext.uint(2, "extension length"), "extension value").hex()})
        mac = c.take(32, "header mac")
        if c.pos != header_len:
            fail("header fields do not end at the header length")

        k_header = hkdf(cek, b"mdrm-ncg v1 header mac" + file_id, 32)
        k_block = hkdf(cek, b"mdrm-ncg v1 block tag" + file_id, 32)
        expect = hmac.new(k_header, header[:16] + header[32:header_len - 32], hashlib.sha256).digest()
        if not hmac.compare_digest(expect, mac):
            fail("header MAC differs")
        if suite != 1:
            fail(f"unknown cipher suite {suite}")
        if block_size & (block_size - 1) or not 4096 <= block_size <= 16 << 20:
            fail(f"invalid block size {block_size}")

        blocks = -(-size // block_size)
        f.seek(0, 2)
        if f.tell() != header_len + size + TAG_LEN * blocks:
            fail(f"file length {f.tell()} != {header_len + size + TAG_LEN * blocks}")
        f.seek(header_len)

        out_path = args.output
        tmp = None
        if out_path is None:
            tmp = tempfile.NamedTemporaryFile(prefix="verify-ncg-", delete=False)
            tmp.close()
            out_path = tmp.name
        try:
            dec = subprocess.Popen(
                ["openssl", "enc", "-d", "-aes-128-ctr", "-nopad", "-K", cek[:16].hex(),
                 "-iv", cek[16:].hex(), "-out", out_path],
                stdin=subprocess.PIPE)
            ciphertext_hash = hashlib.sha256()
            for i in range(blocks):
                n = min(block_size, size - i * block_size)
                ct = f.read(n)
                tag = f.read(TAG_LEN)
                t = hmac.new(k_block, mac + struct.pack(">Q", i) + ct, hashlib.sha256).digest()[:TAG_LEN]
                if not hmac.compare_digest(t, tag):
                    dec.kill()
                    fail(f"tag of block {i} differs")
                ciphertext_hash.update(ct)
                dec.stdin.write(ct)
            dec.stdin.close()
            if dec.wait() != 0:
                fail("openssl failed")
            if args.original:
                with open(out_path, "rb") as out, open(args.original, "rb") as original:
                    while True:
                        a, b = out.read(1 << 20), original.read(1 << 20)
                        if a != b:
                            fail("decrypted content differs from the original")
                        if not a:
                            break
        finally:
            if tmp is not None:
                os.unlink(out_path)

    print(json.dumps({
        "version": f"{major}.{minor}", "block_size": block_size, "original_size": size,
        "packaged_at": packaged_at, "file_id": file_id.hex(),
        "key_id": key_id.hex() if struct.unpack(">H", header[10:12])[0] & 1 else None,
        "site_id": site_id.decode("utf-8", "replace"), "content_id": cid, "license_url": url,
        "original_name": name, "mime_type": mime, "extensions": extensions, "blocks": blocks,
        "body_sha256_without_tags": ciphertext_hash.hexdigest(),
    }, indent=1))


if __name__ == "__main__":
    main()
