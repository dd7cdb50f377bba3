#!/usr/bin/env python3
"""dwm-eval: the distributor-watermark evaluation of ../shared/docs/dwm.md.

Makes (or reuses) test clips, embeds random DWM IDs with `mdrm-dwm embed`, applies the attack
table with ffmpeg to 30 s excerpts starting at random times, detects with `mdrm-dwm detect`,
and prints a table: per attack the raw bit error rate before error correction, ID correct %,
wrong ID %, "no watermark" %, mean confidence; per clip PSNR/SSIM (luma) of the marked copy
against the unmarked master re-encoded with the same settings. False alarms: detection on
unmarked 30 s excerpts and on marked excerpts with a wrong key. The open-source baseline
(invisible-watermark dwtDct / dwtDctSvd, blind-watermark) is measured by the same script
(--baseline), frame by frame with the same 32-bit payload and a per-bit majority vote.

Everything is cached under --work; delete files there to redo a stage. Python 3 standard
library only (the baseline runs in the virtual environment given by --baseline-python).

    benches/dwm-eval/dwm_eval.py --work target/dwm-eval            # full evaluation
    benches/dwm-eval/dwm_eval.py --quick --work target/dwm-eval-q  # small smoke run
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("MDRM_SHARED", ROOT.parent / "shared"))

SITE_ID = "EVAL"
SITE_KEY = "dwm-eval site key 0123456789"
ACCESS_KEY = "ZXZhbC1hY2Nlc3M="
WRONG_SITE_KEY = "a different key 9876543210"

# Attack table of dwm.md (height-independent where the table says "same size").
def attacks(w, h, preset):
    x264 = f"-c:v libx264 -preset {preset}"
    return {
        "A0": None,
        "A1": f"{x264} -crf 23",
        "A2": f"-vf scale=-2:480 {x264} -b:v 1M -maxrate 1M -bufsize 2M",
        "A3": f"-c:v libx265 -preset {preset} -crf 28 -x265-params log-level=error",
        "A4": f"-vf crop=iw*0.95:ih*0.95,scale={w}:{h} {x264} -crf 23",
        "A5": f"-vf scale={w}:{h * 800 // 1080 // 2 * 2},pad={w}:{h}:0:{(h - h * 800 // 1080 // 2 * 2) // 2} {x264} -crf 23",
        "A6": f"-vf eq=brightness=0.05:contrast=1.15:gamma=1.1 {x264} -crf 23",
        "A7": f"-vf fps=30 {x264} -crf 23",
        "A8": f"-vf crop=iw*0.97:ih*0.97,scale=-2:720,fps=30 {x264} -crf 26",
        "A9": f"-vf perspective=x0=20:y0=12:x1=W-8:y1=0:x2=0:y2=H-6:x3=W-14:y3=H-18,gblur=sigma=1,noise=alls=8:allf=t,scale=-2:720 {x264} -crf 26",
        "A10": "blend",
    }

ATTACK_NAMES = {
    "A0": "none (decode of the marked file)",
    "A1": "H.264 CRF 23, same size",
    "A2": "480p at 1 Mbit/s",
    "A3": "H.265 CRF 28",
    "A4": "crop 5% + scale back",
    "A5": "letter-box 1920x800 in 1080",
    "A6": "brightness/contrast/gamma",
    "A7": "25 -> 30 fps",
    "A8": "crop 3%, 720p, 30 fps, CRF 26",
    "A9": "camcorder-like (perspective, blur, noise, 720p)",
    "A10": "two recipients averaged",
}

def clip_sources(w, h, seconds):
    """(name, lavfi filtergraph or input args) of natural-looking test clips."""
    still = f"mandelbrot=s={2 * w}x{2 * h}:maxiter=400:start_x=-0.743643887037151:start_y=0.13182590420533:start_scale=0.01:end_scale=0.01"
    peers = SHARED / "testmedia" / "peers" / "source_h264_aac_360p_10s.mp4"
    return [
        ("C1-fractal-zoom", ["-f", "lavfi", "-i",
            f"mandelbrot=s={w}x{h}:r=25:maxiter=160:start_scale=3:end_scale=0.15,noise=alls=5:allf=t"]),
        ("C2-life-organic", ["-f", "lavfi", "-i",
            f"life=s={w // 4}x{h // 4}:mold=25:ratio=0.08:life_color=#d8c8a0:death_color=#202830:rate=25,"
            f"scale={w}x{h}:flags=bicubic,gblur=sigma=2,noise=alls=4:allf=t"]),
        ("C3-dark-gradient", ["-f", "lavfi", "-i",
            f"gradients=s={w}x{h}:speed=0.008:c0=0x0c0c18:c1=0x283040:c2=0x141c10:nb_colors=3:rate=25[g];"
            f"cellauto=s={w // 2}x{h // 2}:rule=110:rate=25:scroll=1,scale={w}x{h},gblur=sigma=3,format=yuv420p[c];"
            f"[g]format=yuv420p[g2];[g2][c]blend=all_mode=screen:all_opacity=0.12,noise=alls=3:allf=t"]),
        ("C4-ken-burns", ["-f", "lavfi", "-i", f"{still},loop=loop=-1:size=1,"
            f"zoompan=z='1.0+0.0015*on':x='iw/2-(iw/zoom/2)+60*sin(on/90)':y='ih/2-(ih/zoom/2)+30*cos(on/70)':d=1:s={w}x{h}:fps=25,"
            "noise=alls=4:allf=t"]),
        ("C5-upscaled-testsrc2", ["-stream_loop", "-1", "-i", str(peers), "-vf",
            f"scale={w}:{h}:flags=lanczos,noise=alls=2:allf=t"]),
        ("C6-cellular", ["-f", "lavfi", "-i",
            f"cellauto=s={w // 3}x{h // 3}:rule=30:rate=25:scroll=1,scale={w}x{h}:flags=bicubic,gblur=sigma=1.2,"
            f"hue=h=t*9:s=0.6,noise=alls=4:allf=t"]),
    ]

DEADLINES = {}


def out_of_time(stage):
    """True once the stage's --stop-after-min time has passed: cached results are still used."""
    return stage in DEADLINES and time.time() > DEADLINES[stage]


def run(cmd, check_ok=False):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 and not check_ok:
        raise RuntimeError(f"command failed ({r.returncode}): {' '.join(map(str, cmd))}\n{r.stderr[-2000:]}")
    return r

def ff(args):
    return run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"] + args)

def log(msg):
    print(f"[dwm-eval {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

def make_clips(work, n, w, h, seconds):
    out = []
    for name, src in clip_sources(w, h, seconds)[:n]:
        p = work / "clips" / f"{name}.mp4"
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            log(f"making {p.name}")
            tmp = p.with_suffix(".tmp.mp4")
            vf = []
            if "-vf" in src:  # a filter on a file input goes after all the inputs
                i = src.index("-vf")
                src, vf = src[:i] + src[i + 2:], src[i:i + 2]
            ff(src + ["-f", "lavfi", "-i", "sine=f=330:r=48000"] + vf + ["-t", str(seconds), "-map", "0:v", "-map", "1:a",
                      "-r", "25", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "faster", "-crf", "16",
                      "-g", "50", "-c:a", "aac", "-b:a", "96k", "-shortest", str(tmp)])
            tmp.rename(p)
        out.append(p)
    return out

def write_credentials(path, site_key):
    path.write_text(f"site_id={SITE_ID}\nsite_key={site_key}\naccess_key={ACCESS_KEY}\n")

def write_registry(path, names_ids):
    """A registry holding the chosen random IDs (format mdrm-dwm-registry/1, docs/dwm.md)."""
    mac = hmac.new(ACCESS_KEY.encode(), b"mdrm-dwm/v1/registry-owner/" + SITE_ID.encode(), hashlib.sha256)
    db = {"format": "mdrm-dwm-registry/1", "owner": {"site_id": SITE_ID, "access_check": mac.hexdigest()},
          "next_id": max(i for _, i in names_ids) + 1,
          "recipients": [{"name": n, "dwm_id": i, "registered": "2026-01-01T00:00:00Z"} for n, i in names_ids],
          "jobs": []}
    path.write_text(json.dumps(db, indent=1))

def ffmpeg_quality(ref, test):
    """Luma PSNR and SSIM of `test` against `ref` (ffmpeg psnr/ssim filters)."""
    r = run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(test), "-i", str(ref), "-lavfi",
             "[0:v][1:v]psnr;[0:v][1:v]ssim", "-f", "null", "-"])
    psnr = float(re.search(r"PSNR y:([\d.]+|inf)", r.stderr).group(1).replace("inf", "99"))
    ssim = float(re.search(r"SSIM Y:([\d.]+)", r.stderr).group(1))
    return psnr, ssim

def detect(args, path, creds, registry, expect=None, extra=(), full=True):
    """`mdrm-dwm detect`; `full=False` is what a user runs: stop at the first identification."""
    cmd = [str(args.bin), "-q", "--json", "--credentials", str(creds), "--registry", str(registry),
           "detect"] + (["--full"] if full else []) + [str(path)] + list(extra)
    if expect:
        cmd += ["--expect-id", str(expect)]
    t = time.time()
    r = run(cmd, check_ok=True)
    if r.returncode != 0:
        raise RuntimeError(f"detect failed: {r.stderr[-1000:]}")
    d = json.loads(r.stdout)
    d["_seconds"] = time.time() - t
    return d

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "target" / "dwm-eval")
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "release" / "mdrm-dwm")
    ap.add_argument("--clips", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=40)
    ap.add_argument("--excerpt", type=int, default=30)
    ap.add_argument("--ids", type=int, default=8)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--attacks", default="A0,A1,A2,A3,A4,A5,A6,A7,A8,A9,A10")
    ap.add_argument("--preset", default="veryfast", help="x264/x265 preset for embedding and attacks")
    ap.add_argument("--false-alarms", type=int, default=100)
    ap.add_argument("--full", action=argparse.BooleanOptionalAction, default=True,
                    help="attack trials: analyse the whole excerpt (--full, default) or stop at the "
                         "first identification like a user's `detect` (--no-full, faster)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--baseline", action="store_true", help="also measure the open-source baseline")
    ap.add_argument("--baseline-python", type=Path, default=ROOT / "target" / "dwm-eval-venv" / "bin" / "python")
    ap.add_argument("--baseline-clips", type=int, default=3)
    ap.add_argument("--baseline-seconds", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="2 clips of 16 s at 960x540, 2 IDs, 3 attacks")
    ap.add_argument("--stop-after-min", default="",
                    help="T1,T2,T3: minutes from the start after which no new attack trial (T1), false-alarm "
                         "run (T2) or baseline clip (T3) starts; the table shows what was measured (its trial "
                         "counts say so). Default: no limit")
    args = ap.parse_args()
    if args.stop_after_min:
        t1, t2, t3 = (time.time() + float(m) * 60 for m in args.stop_after_min.split(","))
        DEADLINES.update({"trials": t1, "false": t2, "baseline": t3})
    if args.quick:
        args.clips, args.seconds, args.excerpt, args.ids = 2, 16, 12, 2
        args.width, args.height, args.attacks, args.false_alarms = 960, 540, "A0,A2,A3", 4
    rnd = random.Random(args.seed)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    clips = make_clips(work, args.clips, args.width, args.height, args.seconds)
    creds, wrong, reg = work / "credentials", work / "credentials-wrong", work / "registry.json"
    write_credentials(creds, SITE_KEY)
    write_credentials(wrong, WRONG_SITE_KEY)
    plan_path = work / "plan.json"
    if plan_path.exists():
        plan = json.loads(plan_path.read_text())
    else:
        plan = {"recipients": [], "excerpts": {}}
        used = set()
        for c in clips:
            for k in range(args.ids):
                while True:
                    i = rnd.randrange(1, 2**32)
                    if i not in used:
                        used.add(i)
                        break
                plan["recipients"].append({"clip": c.stem, "name": f"{c.stem[:2]}-r{k}", "id": i})
        plan_path.write_text(json.dumps(plan, indent=1))
    write_registry(reg, [(r["name"], r["id"]) for r in plan["recipients"]])
    atk = attacks(args.width, args.height, args.preset)
    chosen = [a for a in args.attacks.split(",") if a]
    results = {"trials": [], "quality": {}, "false_alarms": [], "wrong_key": [], "timing": {}}

    # Embed (one job per clip, all its recipients) and the unmarked same-settings encode.
    t0 = time.time()
    for c in clips:
        names = [r["name"] for r in plan["recipients"] if r["clip"] == c.stem]
        outdir = work / "marked" / c.stem
        outdir.mkdir(parents=True, exist_ok=True)
        job = outdir / "job.json"
        job.write_text(json.dumps({"account_id": "eval", "content_id": c.stem, "input": str(c.resolve()),
                                   "output": str((outdir / f"{c.stem}.mp4").resolve()), "recipients": names}))
        if not all(any(outdir.glob(f"{c.stem}_{n}_*.mp4")) for n in names):
            log(f"embedding {len(names)} IDs into {c.name}")
            run([str(args.bin), "-q", "--credentials", str(creds), "--registry", str(reg), "embed", str(job),
                 "--preset", args.preset])
        plain = work / "plain" / f"{c.stem}.mp4"
        if not plain.exists():
            plain.parent.mkdir(parents=True, exist_ok=True)
            ff(["-i", str(c), "-map", "0", "-c", "copy", "-c:v", "libx264", "-preset", args.preset, "-crf", "16",
                str(plain)])
    results["timing"]["embed_s"] = time.time() - t0

    def marked_of(r):
        return next((work / "marked" / r["clip"]).glob(f"{r['clip']}_{r['name']}_{r['id']}.mp4"))

    # Quality of every marked copy against the unmarked same-settings encode.
    for c in clips:
        q = []
        for r in [r for r in plan["recipients"] if r["clip"] == c.stem]:
            cache = work / "quality" / f"{r['name']}.json"
            if not cache.exists():
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps(ffmpeg_quality(work / "plain" / f"{c.stem}.mp4", marked_of(r))))
            q.append(json.loads(cache.read_text()))
        results["quality"][c.stem] = {"psnr": sum(p for p, _ in q) / len(q), "ssim": sum(s for _, s in q) / len(q),
                                      "psnr_min": min(p for p, _ in q), "ssim_min": min(s for _, s in q)}

    # Quality of the watermark alone: embed losslessly (x264 -crf 0) into a 10 s excerpt of each
    # master and compare with the master's decode (no encoder noise in the figure).
    for c in clips:
        cache = work / "quality" / f"dsp-{c.stem}.json"
        if not cache.exists():
            d = work / "dsp" / c.stem
            d.mkdir(parents=True, exist_ok=True)
            cut = d / "cut.mp4"
            # A lossless re-encode of the first 250 frames: a stream-copy cut can end on a
            # P-frame whose B-frames were cut off (a timestamp gap the comparison would
            # misalign on).
            ff(["-i", str(c), "-frames:v", "250", "-map", "0:v", "-c:v", "libx264", "-crf", "0",
                "-preset", "ultrafast", str(cut)])
            r0 = next(r for r in plan["recipients"] if r["clip"] == c.stem)
            (d / "job.json").write_text(json.dumps({"account_id": "eval", "content_id": "dsp", "input": str(cut.resolve()),
                                                    "output": str((d / "ll.mp4").resolve()), "recipients": [r0["name"]]}))
            run([str(args.bin), "-q", "--credentials", str(creds), "--registry", str(reg), "embed",
                 str(d / "job.json"), "--crf", "0", "--preset", "ultrafast"])
            ll = next(d.glob("ll_*.mp4"))
            cache.write_text(json.dumps(ffmpeg_quality(cut, ll)))
            for f in d.iterdir():
                f.unlink()
        p, s_ = json.loads(cache.read_text())
        results["quality"][c.stem].update({"dsp_psnr": p, "dsp_ssim": s_})

    # Attacks on 30 s excerpts at random times, then detection.
    t0 = time.time()
    # Round robin over the clips (first recipient of every clip, then the second, ...), so a
    # time-limited run still covers every clip.
    rank = {}
    for r in plan["recipients"]:
        rank[r["name"]] = sum(1 for x in plan["recipients"][: plan["recipients"].index(r)] if x["clip"] == r["clip"])
    for r in sorted(plan["recipients"], key=lambda r: rank[r["name"]]):
        start = plan["excerpts"].setdefault(r["name"], rnd.uniform(0, max(0.0, args.seconds - args.excerpt - 0.5)))
        for a in chosen:
            out = work / "attacked" / a / f"{r['name']}.mp4"
            res_path = work / "detect" / a / f"{r['name']}.json"
            if not res_path.exists() and out_of_time("trials"):
                continue
            if not res_path.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                src = ["-ss", f"{start:.3f}", "-t", str(args.excerpt), "-i", str(marked_of(r))]
                if a == "A0":
                    out = marked_of(r)  # the marked file itself, decoded over the excerpt
                elif a == "A10":
                    peers = [p for p in plan["recipients"] if p["clip"] == r["clip"]]
                    other = peers[(peers.index(r) + 1) % len(peers)]
                    ff(src + ["-ss", f"{start:.3f}", "-t", str(args.excerpt), "-i", str(marked_of(other)),
                              "-filter_complex", "[0:v][1:v]blend=all_mode=average", "-c:v", "libx264",
                              "-preset", args.preset, "-crf", "23", str(out)])
                    r = dict(r, colluder=other["id"])
                else:
                    ff(src + ["-map", "0:v"] + atk[a].split() + [str(out)])
                extra = ["--start", f"{start:.3f}", "--duration", str(args.excerpt)] if a == "A0" else []
                d = detect(args, out, creds, reg, expect=r["id"], extra=extra, full=args.full)
                d["_expected"] = r["id"]
                d["_colluder"] = r.get("colluder")
                res_path.parent.mkdir(parents=True, exist_ok=True)
                res_path.write_text(json.dumps(d))
                if a != "A0":
                    out.unlink()
                r = next(x for x in plan["recipients"] if x["name"] == r["name"])
            d = json.loads(res_path.read_text())
            results["trials"].append({"attack": a, "name": r["name"], **d})
        plan_path.write_text(json.dumps(plan, indent=1))
        log(f"{r['name']}: done")
    results["timing"]["attacks_detect_s"] = time.time() - t0

    # False alarms: unmarked excerpts (plain encodes, several attacks) and marked with a wrong key.
    t0 = time.time()
    for r in plan["recipients"]:
        cache = work / "false" / f"wrong-key-{r['name']}.json"
        if not cache.exists() and out_of_time("false"):
            continue
        if not cache.exists():
            cache.parent.mkdir(parents=True, exist_ok=True)
            start = plan["excerpts"][r["name"]]
            d = detect(args, marked_of(r), wrong, work / "registry-wrong.json",
                       extra=["--start", f"{start:.3f}", "--duration", str(args.excerpt)])
            cache.write_text(json.dumps(d))
        results["wrong_key"].append(json.loads(cache.read_text()))
    for k in range(args.false_alarms):
        c = clips[k % len(clips)]
        cache = work / "false" / f"unmarked-{k}.json"
        if not cache.exists() and out_of_time("false"):
            continue
        if not cache.exists():
            cache.parent.mkdir(parents=True, exist_ok=True)
            start = rnd.uniform(0, max(0.0, args.seconds - args.excerpt - 0.5))
            # Mostly the unmarked encode itself (the case where a false alarm would matter most),
            # every fifth excerpt attacked like a leak.
            a = "A0" if k % 5 != 4 else ["A1", "A2", "A4", "A6", "A8"][k // 5 % 5]
            src = work / "plain" / f"{c.stem}.mp4"
            if a == "A0":
                d = detect(args, src, creds, reg, extra=["--start", f"{start:.3f}", "--duration", str(args.excerpt)])
            else:
                tmp = work / "false" / f"unmarked-{k}.mp4"
                ff(["-ss", f"{start:.3f}", "-t", str(args.excerpt), "-i", str(src), "-map", "0:v"] + atk[a].split() + [str(tmp)])
                d = detect(args, tmp, creds, reg)
                tmp.unlink()
            d["_attack"] = a
            cache.write_text(json.dumps(d))
        results["false_alarms"].append(json.loads(cache.read_text()))
    results["timing"]["false_alarms_s"] = time.time() - t0
    results["timing"]["total_s"] = time.time() - t_start
    results["config"] = {k: str(v) for k, v in vars(args).items()}
    if args.baseline:
        results["baseline"] = run_baseline(args, work, clips, chosen, atk, rnd)
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(render(results, args, chosen))

def ensure_baseline_venv(python):
    """Creates the baseline's virtual environment when missing: numpy, OpenCV (headless),
    PyWavelets, and the two watermark packages without their deep-learning extras (only their
    DWT methods run; invisible-watermark's RivaGAN needs torch/onnxruntime, stubbed out)."""
    if python.exists():
        return
    venv = python.parent.parent
    log(f"creating the baseline virtual environment in {venv}")
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "install", "-q"]
    run(pip + ["numpy", "opencv-python-headless", "PyWavelets"])
    run(pip + ["--no-deps", "invisible-watermark", "blind-watermark"])


def run_baseline(args, work, clips, chosen, atk, rnd):
    """Runs benches/dwm-eval/baseline.py (in the venv) per clip, method and attack."""
    script = Path(__file__).with_name("baseline.py")
    ensure_baseline_venv(args.baseline_python)
    out = {}
    for method in ["dwtDct", "dwtDctSvd", "blind-watermark"]:
        rows = []
        for c in clips[: args.baseline_clips]:
            cache = work / "baseline" / method / f"{c.stem}.json"
            if not cache.exists() and out_of_time("baseline"):
                continue
            if not cache.exists():
                cache.parent.mkdir(parents=True, exist_ok=True)
                payload = rnd.randrange(1, 2**32)
                start = rnd.uniform(0, max(0.0, args.seconds - args.baseline_seconds - 0.5))
                log(f"baseline {method} on {c.name}")
                marked = work / "baseline" / method / f"{c.stem}-marked.mp4"
                plain = work / "baseline" / method / f"{c.stem}-plain.mp4"
                run([str(args.baseline_python), str(script), "embed", method, str(c), str(marked), str(payload),
                     f"{start:.3f}", str(args.baseline_seconds), args.preset])
                ff(["-ss", f"{start:.3f}", "-t", str(args.baseline_seconds), "-i", str(c), "-map", "0:v",
                    "-c:v", "libx264", "-preset", args.preset, "-crf", "16", str(plain)])
                res = {"payload": payload, "quality": ffmpeg_quality(plain, marked), "attacks": {}}
                for a in [x for x in chosen if x not in ("A10",)]:
                    att = work / "baseline" / method / f"{c.stem}-{a}.mp4"
                    if a == "A0":
                        att = marked
                    else:
                        ff(["-i", str(marked), "-map", "0:v"] + atk[a].split() + [str(att)])
                    r = run([str(args.baseline_python), str(script), "detect", method, str(att), str(payload)])
                    res["attacks"][a] = json.loads(r.stdout)
                    if att != marked:
                        att.unlink()
                cache.write_text(json.dumps(res))
            rows.append(json.loads(cache.read_text()))
        out[method] = rows
    return out

def pct(n, d):
    return f"{100.0 * n / d:.0f}%" if d else "-"

def render(res, args, chosen):
    lines = []
    cfg = res["config"]
    lines.append(f"dwm-eval: {args.clips} clips of {args.seconds} s at {args.width}x{args.height}, "
                 f"{args.ids} random IDs each, {args.excerpt} s excerpts, preset {args.preset}\n")
    lines.append("| attack | trials | raw BER | ID correct | wrong ID | no watermark | mark unreadable | mean confidence | detect s |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for a in chosen:
        ts = [t for t in res["trials"] if t["attack"] == a]
        if not ts:
            continue
        n = len(ts)
        correct = sum(1 for t in ts if t["dwm_id"] == t["_expected"] or (a == "A10" and t["dwm_id"] == t.get("_colluder")))
        wrong = sum(1 for t in ts if t["dwm_id"] is not None and t["dwm_id"] not in (t["_expected"], t.get("_colluder")))
        none = sum(1 for t in ts if t["verdict"] == "no_watermark")
        unread = sum(1 for t in ts if t["verdict"] == "mark_unreadable")
        ber = sum(t["raw_ber_expected"] for t in ts) / n
        conf = [t["confidence"] for t in ts if t["dwm_id"] is not None]
        secs = sum(t["_seconds"] for t in ts) / n
        lines.append(f"| {a} {ATTACK_NAMES[a]} | {n} | {ber:.3f} | {pct(correct, n)} | {wrong} | {pct(none, n)} | "
                     f"{pct(unread, n)} | {(sum(conf) / len(conf)) if conf else 0:.10f} | {secs:.1f} |")
    # Per clip and attack: IDs correct / trials (where a content type is weak shows here).
    clips = sorted({t["name"].split("-r")[0] for t in res["trials"]})
    if clips:
        lines.append("")
        lines.append("| clip | " + " | ".join(a for a in chosen) + " |")
        lines.append("|---|" + "---|" * len(chosen))
        for c in clips:
            cells = []
            for a in chosen:
                ts = [t for t in res["trials"] if t["attack"] == a and t["name"].split("-r")[0] == c]
                ok = sum(1 for t in ts if t["dwm_id"] in (t["_expected"], t.get("_colluder")) and t["dwm_id"] is not None)
                cells.append(f"{ok}/{len(ts)}" if ts else "-")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
    fa = res["false_alarms"]
    wk = res["wrong_key"]
    lines.append("")
    lines.append(f"False alarms: {sum(1 for d in fa if d['dwm_id'] is not None)} IDs and "
                 f"{sum(1 for d in fa if d['verdict'] == 'mark_unreadable')} 'mark present' claims on {len(fa)} unmarked excerpts; "
                 f"{sum(1 for d in wk if d['dwm_id'] is not None)} IDs on {len(wk)} marked excerpts read with a wrong key.")
    lines.append("")
    lines.append("| clip | encoded: PSNR Y (mean / min) | encoded: SSIM Y (mean / min) | watermark alone: PSNR Y / SSIM Y |")
    lines.append("|---|---|---|---|")
    for c, q in res["quality"].items():
        lines.append(f"| {c} | {q['psnr']:.2f} / {q['psnr_min']:.2f} dB | {q['ssim']:.4f} / {q['ssim_min']:.4f} | "
                     f"{q.get('dsp_psnr', 0):.2f} dB / {q.get('dsp_ssim', 0):.4f} |")
    if "baseline" in res:
        lines.append("")
        lines.append(f"Baseline (frame by frame, 32-bit payload, per-bit majority vote over {args.baseline_seconds} s excerpts):")
        lines.append("")
        lines.append("| method | attack | trials | raw BER | ID correct | wrong ID | PSNR Y / SSIM Y |")
        lines.append("|---|---|---|---|---|---|---|")
        for m, rows in res["baseline"].items():
            for a in [x for x in chosen if x != "A10"]:
                rs = [r["attacks"][a] for r in rows if a in r["attacks"]]
                if not rs:
                    continue
                n = len(rs)
                ok = sum(1 for r in rs if r["ber"] == 0)
                q = rows[0]["quality"]
                lines.append(f"| {m} | {a} | {n} | {sum(r['ber'] for r in rs) / n:.3f} | {pct(ok, n)} | {n - ok} | "
                             f"{sum(r['quality'][0] for r in rows) / len(rows):.2f} / {sum(r['quality'][1] for r in rows) / len(rows):.4f} |")
    t = res["timing"]
    lines.append("")
    lines.append(f"Time: embedding {t['embed_s'] / 60:.1f} min, attacks + detection {t['attacks_detect_s'] / 60:.1f} min, "
                 f"false alarms {t['false_alarms_s'] / 60:.1f} min, total {t['total_s'] / 60:.1f} min.")
    return "\n".join(lines)

if __name__ == "__main__":
    main()
