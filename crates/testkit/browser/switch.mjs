// switch.mjs — forces rung switches through a player's API in headless Chromium and reports the
// decoded heights seen after each switch. Reuses browser-play's server and page (its
// `window.bpStart`, `window.bpPlayer` and `window.bpSample`).
//
// Usage: node switch.mjs BROWSER_PLAY_DIR PLAYER PACKAGE_DIR MANIFEST [KID:KEY]
//   PLAYER  shaka (DASH, ClearKey key given) or hlsjs (HLS, keys from the playlists' key URIs)
// Prints JSON {ok, rungs: [...], heights: [...], errors: [...]}; exit 0 when the lowest, the
// highest and then the middle rung were each decoded at their own height.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bp, player, dir, manifest, pair] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(path.join(bp, 'node_modules/playwright-core/index.mjs')));
const { startServer } = await import(pathToFileURL(path.join(bp, 'server.mjs')));
const keys = {};
if (pair) { const [kid, key] = pair.split(':'); keys[kid] = key; }
const server = await startServer({ root: dir, keys });
const report = { ok: false, rungs: [], heights: [], errors: [] };
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
    { player, manifest: `${server.url}/${manifest}`, keys, licenseUrl: `${server.url}/__clearkey` });
  await page.waitForFunction(() => document.getElementById('v').currentTime > 0.3, null, { timeout: 40000 });
  // The rungs' heights, in the player's own order (its index selects the rung).
  report.rungs = await page.evaluate((p) => (p === 'hlsjs'
    ? window.bpPlayer.levels.map((l) => l.height)
    : window.bpPlayer.getVariantTracks().map((t) => t.height)), player);
  const heights = [...new Set(report.rungs)].sort((a, b) => a - b);
  const order = [heights[0], heights[heights.length - 1], heights[Math.floor(heights.length / 2)]];
  for (const h of order) {
    await page.evaluate(([p, height]) => {
      const pl = window.bpPlayer;
      if (p === 'hlsjs') {
        pl.currentLevel = pl.levels.findIndex((l) => l.height === height);
      } else {
        pl.configure({ abr: { enabled: false } });
        pl.selectVariantTrack(pl.getVariantTracks().find((t) => t.height === height), /* clearBuffer */ true);
      }
    }, [player, h]);
    await page.waitForFunction((height) => document.getElementById('v').videoHeight === height, h, { timeout: 30000 });
    report.heights.push(await page.evaluate(() => document.getElementById('v').videoHeight));
  }
  report.rungs = heights;
  const s = await page.evaluate(() => window.bpSample());
  report.errors = s.errors;
  report.ok = report.errors.length === 0 && report.heights.length === order.length && heights.length >= 3;
} catch (e) {
  report.errors.push(String(e && e.message || e));
} finally {
  clearTimeout(watchdog);
  await browser.close();
  await server.close?.();
}
console.log(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);
