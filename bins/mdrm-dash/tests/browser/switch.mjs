// switch.mjs — forces bitrate switches in Shaka Player (headless Chromium) on a DASH ladder and
// reports the decoded heights seen after each switch. Reuses browser-play's server and page.
//
// Usage: node switch.mjs BROWSER_PLAY_DIR PACKAGE_DIR MANIFEST KID:KEY
// Prints JSON {ok, heights: [...], rungs: [...], errors: [...]}; exit 0 when every forced rung
// was decoded at its own height.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bp, dir, manifest, pair] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(path.join(bp, 'node_modules/playwright-core/index.mjs')));
const { startServer } = await import(pathToFileURL(path.join(bp, 'server.mjs')));
const [kid, key] = pair.split(':');
const server = await startServer({ root: dir, keys: { [kid]: key } });
const report = { ok: false, heights: [], rungs: [], errors: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
});
const watchdog = setTimeout(() => { console.log(JSON.stringify({ ...report, errors: ['timeout'] })); process.exit(3); }, 120000);
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/__harness/index.html`);
  await page.evaluate((cfg) => { window.bpStart(cfg); },
    { player: 'shaka', manifest: `${server.url}/${manifest}`, keys: { [kid]: key }, licenseUrl: `${server.url}/__clearkey` });
  await page.waitForFunction(() => document.getElementById('v').currentTime > 0.3, null, { timeout: 40000 });
  report.rungs = await page.evaluate(() => {
    const p = window.bpPlayer;
    p.configure({ abr: { enabled: false } });
    return [...new Set(p.getVariantTracks().map((t) => t.height))].sort((a, b) => a - b);
  });
  // Lowest, highest, then the middle rung: each must become the decoded size.
  const order = [report.rungs[0], report.rungs[report.rungs.length - 1], report.rungs[Math.floor(report.rungs.length / 2)]];
  for (const h of order) {
    await page.evaluate((height) => {
      const p = window.bpPlayer;
      const t = p.getVariantTracks().find((x) => x.height === height);
      p.selectVariantTrack(t, /* clearBuffer */ true);
    }, h);
    await page.waitForFunction((height) => document.getElementById('v').videoHeight === height, h, { timeout: 20000 });
    report.heights.push(await page.evaluate(() => document.getElementById('v').videoHeight));
  }
  const s = await page.evaluate(() => window.bpSample());
  report.errors = s.errors;
  report.ok = report.errors.length === 0 && report.heights.length === order.length && report.rungs.length >= 3;
} catch (e) {
  report.errors.push(String(e && e.message || e));
} finally {
  clearTimeout(watchdog);
  await browser.close();
  await server.close?.();
}
console.log(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);
