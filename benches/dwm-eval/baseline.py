#!/usr/bin/env python3
"""Baseline watermarks for dwm-eval, frame by frame: invisible-watermark (dwtDct, dwtDctSvd)
and blind-watermark, with a 32-bit payload; detection decodes every frame and takes a
per-bit majority vote over the excerpt.

    baseline.py embed METHOD INPUT OUTPUT PAYLOAD START SECONDS PRESET
    baseline.py detect METHOD VIDEO PAYLOAD      -> JSON {"ber": .., "frames": ..}

Runs in the virtual environment made by the README's set-up line (numpy, opencv, PyWavelets,
invisible-watermark, blind-watermark). invisible-watermark imports torch and onnxruntime for
its RivaGAN model at import time; only the DWT methods are used here, so stubs stand in.
"""
import json
import subprocess
import sys
import types

import numpy as np

for _m in ("torch", "onnxruntime", "onnx"):
    sys.modules.setdefault(_m, types.ModuleType(_m))

from imwatermark import WatermarkDecoder, WatermarkEncoder  # noqa: E402


def bits_of(payload):
    return [(payload >> (31 - i)) & 1 for i in range(32)]


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "csv=p=0", path], capture_output=True, text=True, check=True)
    w, h = out.stdout.strip().split(",")[:2]
    return int(w), int(h)


def frames(path, start=None, seconds=None, every=1):
    w, h = probe(path)
    cmd = ["ffmpeg", "-nostdin", "-v", "error"]
    if start is not None:
        cmd += ["-ss", start, "-t", seconds]
    cmd += ["-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    n = 0
    while True:
        buf = p.stdout.read(w * h * 3)
        if len(buf) < w * h * 3:
            break
        if n % every == 0:
            yield np.frombuffer(buf, np.uint8).reshape(h, w, 3).copy()
        n += 1
    p.wait()


def blind_wm():
    from blind_watermark import WaterMark, bw_notes
    bw_notes.close()
    return WaterMark(password_img=1, password_wm=1, processes=None)


def embed(method, src, dst, payload, start, seconds, preset):
    w, h = probe(src)
    enc = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
                            "-s", f"{w}x{h}", "-r", "25", "-i", "-", "-pix_fmt", "yuv420p", "-c:v", "libx264",
                            "-preset", preset, "-crf", "16", dst], stdin=subprocess.PIPE)
    bits = bits_of(payload)
    if method == "blind-watermark":
        bwm = blind_wm()
    else:
        e = WatermarkEncoder()
        e.set_watermark("bits", bits)
    for f in frames(src, start, seconds):
        if method == "blind-watermark":
            bwm.read_img(img=f)
            bwm.read_wm(np.array(bits, dtype=bool), mode="bit")
            out = bwm.embed()
            out = np.clip(out, 0, 255).astype(np.uint8)
        else:
            out = e.encode(f, method)
        enc.stdin.write(out.tobytes())
    enc.stdin.close()
    if enc.wait() != 0:
        sys.exit("encoder failed")


def detect(method, path, payload):
    bits = bits_of(payload)
    votes = np.zeros(32)
    n = 0
    if method == "blind-watermark":
        bwm = blind_wm()
    else:
        d = WatermarkDecoder("bits", 32)
    for f in frames(path, every=25):  # one frame per second
        if method == "blind-watermark":
            got = bwm.extract(embed_img=f, wm_shape=32, mode="bit")
            got = [1 if v > 0.5 else 0 for v in got]
        else:
            got = [int(v) for v in d.decode(f, method)]
        votes += np.array(got)
        n += 1
    final = [1 if v > n / 2 else 0 for v in votes]
    ber = sum(int(a != b) for a, b in zip(final, bits)) / 32.0
    print(json.dumps({"ber": ber, "frames": n}))


if __name__ == "__main__":
    cmd, method = sys.argv[1], sys.argv[2]
    if cmd == "embed":
        embed(method, sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8])
    else:
        detect(method, sys.argv[3], int(sys.argv[4]))
