#!/usr/bin/env node
// csl-scenario.mjs — the browser part of mdrm-server's ClearKey + CSL test: Shaka Player in
// headless Chromium, each tab a "device" of one user, against the real license server.
//
// Usage: node csl-scenario.mjs --dir DIR --manifest PATH --tokens FILE --lease-ms N
//                              [--license-url URL] [--timeout S] [--chromium PATH] --out FILE
//   --dir DIR          packaged output, served at http://127.0.0.1:<free port>/media/
//   --manifest PATH    manifest path under DIR
//   --tokens FILE      JSON array of 3 license tokens (devices 1, 2, 3), same user
//   --lease-ms N       the server's lease (renewal interval + grace), to wait for a slot to free
//   --license-url URL  configure Shaka's ClearKey server (default: the manifest's dashif:laurl)
//   --node-modules DIR playwright-core and shaka-player (default: $NODE_MODULES_DIR, else the
//                      node_modules of ../shared/tools/browser-play installed in target/browser-play
//                      by scripts/deps/browser-play.sh: same pinned versions, nothing to install)
//   --out FILE         the JSON report (facts only; the Rust test asserts on them)
//
// Steps: device 1 and 2 play and renew by heartbeat; device 3 is refused; device 1 stops
// (tab closed, no goodbye); after one lease device 3 starts again and plays; device 2 keeps
// renewing throughout. Exit 0 when the report is written, 2 on usage errors, 3 when the
// browser or harness fails.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const die = (msg, code = 2) => { process.stderr.write(`csl-scenario: ${msg}\n`); process.exit(code); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function args(argv) {
  const o = { timeout: 40, chromium: process.env.CHROMIUM || '/usr/bin/chromium', nodeModules: process.env.NODE_MODULES_DIR };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? die(`${argv[i - 1]} needs a value`);
    switch (argv[i]) {
      case '--dir': o.dir = path.resolve(v()); break;
      case '--manifest': o.manifest = v(); break;
      case '--tokens': o.tokens = JSON.parse(fs.readFileSync(v(), 'utf8')); break;
      case '--lease-ms': o.leaseMs = Number(v()); break;
      case '--license-url': o.licenseUrl = v(); break;
      case '--timeout': o.timeout = Number(v()); break;
      case '--chromium': o.chromium = v(); break;
      case '--node-modules': o.nodeModules = v(); break;
      case '--out': o.out = v(); break;
      default: die(`unknown argument ${argv[i]}`);
    }
  }
  if (!o.dir || !o.manifest || !o.out || !Array.isArray(o.tokens) || o.tokens.length !== 3 || !(o.leaseMs > 0)) {
    die('need --dir, --manifest, --tokens (3), --lease-ms and --out');
  }
  o.nodeModules = path.resolve(o.nodeModules || path.join(HERE, '../../../../target/browser-play/node_modules'));
  return o;
}

const TYPES = { '.mpd': 'application/dash+xml', '.mp4': 'video/mp4', '.m4s': 'video/mp4', '.m4a': 'audio/mp4',
  '.m4v': 'video/mp4', '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

// Static files with byte ranges (on-demand DASH reads index and segments by range).
function serveFile(req, res, file) {
  let st;
  try { st = fs.statSync(file); } catch { res.writeHead(404); return res.end(); }
  if (!st.isFile()) { res.writeHead(404); return res.end(); }
  const headers = { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' };
  let start = 0, end = st.size - 1, status = 200;
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
  if (m && (m[1] || m[2])) {
    if (m[1] === '') start = Math.max(0, st.size - Number(m[2]));
    else { start = Number(m[1]); if (m[2]) end = Math.min(Number(m[2]), st.size - 1); }
    if (start > end) { res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }); return res.end(); }
    status = 206; headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  }
  headers['Content-Length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(file, { start, end }).pipe(res);
}

function inside(base, rel) {
  const p = path.resolve(base, '.' + path.posix.normalize('/' + rel));
  return p.startsWith(base + path.sep) ? p : null;
}

function startStatic(o) {
  const shaka = path.join(o.nodeModules, 'shaka-player/dist/shaka-player.compiled.js');
  const server = http.createServer((req, res) => {
    let p;
    try { p = decodeURIComponent(new URL(req.url, 'http://x').pathname); } catch { res.writeHead(400); return res.end(); }
    if (p === '/__lib/shaka.js') return serveFile(req, res, shaka);
    if (p.startsWith('/__page/')) return serveFile(req, res, inside(path.join(HERE, 'page'), p.slice(8)) || '');
    if (p.startsWith('/media/')) return serveFile(req, res, inside(o.dir, p.slice(7)) || '');
    res.writeHead(404); res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const o = args(process.argv.slice(2));
  if (!fs.existsSync(o.chromium)) die(`no browser at ${o.chromium}`, 3);
  const { chromium } = await import(pathToFileURL(path.join(o.nodeModules, 'playwright-core/index.mjs')).href);
  const hardLimit = (60 + 6 * o.timeout + (4 * o.leaseMs) / 1000) * 1000;
  setTimeout(() => die(`no result after ${hardLimit / 1000} s`, 3), hardLimit).unref();
  const server = await startStatic(o);
  const base = `http://127.0.0.1:${server.address().port}`;
  const manifestUrl = `${base}/media/${o.manifest.split('/').map(encodeURIComponent).join('/')}`;
  const report = { manifestUrl, licenseUrl: o.licenseUrl || null, leaseMs: o.leaseMs, timeline: [] };
  const mark = (what, extra = {}) => report.timeline.push({ what, at: Date.now(), ...extra });
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: o.chromium, headless: true, timeout: 60000,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
    });
    report.browser = 'Chromium ' + browser.version();
    const context = await browser.newContext({ viewport: { width: 640, height: 360 } });

    const device = async (name, token) => {
      const page = await context.newPage();
      const consoleErrors = [];
      page.on('console', (m) => { if (m.type() === 'error' && consoleErrors.length < 20) consoleErrors.push(m.text().slice(0, 300)); });
      page.on('pageerror', (e) => consoleErrors.push(String(e.message).slice(0, 300)));
      await page.goto(`${base}/__page/index.html`);
      const sessionId = `${name}-${Math.random().toString(36).slice(2, 12)}`;
      await page.evaluate((cfg) => { document.getElementById('v').loop = true; return window.mdrm.start(cfg); },
        { manifestUrl, licenseUrl: o.licenseUrl, token, sessionId });
      mark(`${name} started`, { sessionId });
      return { name, page, sessionId, consoleErrors, sample: () => page.evaluate(() => window.mdrm.sample()) };
    };
    // Wait until `pred(sample)` or an error or the timeout; returns the last sample.
    const until = async (d, pred, seconds = o.timeout) => {
      const t0 = Date.now();
      let s = await d.sample();
      while (Date.now() - t0 < seconds * 1000 && !pred(s)) { await sleep(200); s = await d.sample(); }
      return s;
    };
    const playing = (s) => s.errors.length > 0 || (s.firstPlayingAt !== null && s.currentTime > 1 && s.decodedFrames > 0);
    const renewedTwice = (s) => s.errors.length > 0 || s.heartbeats.filter((h) => h.status === 200).length >= 2;

    const d1 = await device('device-1', o.tokens[0]);
    report.device1Start = await until(d1, playing);
    mark('device-1 playing');
    const d2 = await device('device-2', o.tokens[1]);
    report.device2Start = await until(d2, playing);
    mark('device-2 playing');
    const d3 = await device('device-3', o.tokens[2]);
    report.device3Refused = await until(d3, (s) => s.errors.length > 0 || playing(s), 20);
    mark('device-3 answered');
    report.device1Renewals = await until(d1, renewedTwice, o.timeout + (3 * o.leaseMs) / 1000);
    report.device2Renewals = await until(d2, renewedTwice, o.timeout + (3 * o.leaseMs) / 1000);
    mark('device-1 stops renewing (tab closed)');
    await d1.page.close();
    await sleep(o.leaseMs + 1000);
    mark('one lease later: device-3 tries again');
    await d3.page.close();
    const d3b = await device('device-3-retry', o.tokens[2]);
    report.device3Admitted = await until(d3b, playing);
    report.device3AdmittedRenewals = await until(d3b, (s) => s.errors.length > 0 || s.heartbeats.filter((h) => h.status === 200).length >= 1,
      o.timeout + (2 * o.leaseMs) / 1000);
    report.device2End = await d2.sample();
    mark('end');
    report.consoleErrors = { device1: d1.consoleErrors, device2: d2.consoleErrors, device3: d3.consoleErrors, device3retry: d3b.consoleErrors };
    fs.writeFileSync(o.out, JSON.stringify(report, null, 2));
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
  }
}

main().catch((e) => { process.stderr.write(`csl-scenario: ${e.stack || e}\n`); process.exit(3); });
