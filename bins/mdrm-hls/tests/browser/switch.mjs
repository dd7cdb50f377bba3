// switch.mjs — forces rung switches in hls.js (headless Chromium) on an HLS ladder and reports
// the decoded heights seen after each switch. Reuses browser-play's server and page.
//
// Usage: node switch.mjs BROWSER_PLAY_DIR PACKAGE_DIR MASTER_PLAYLIST
// Prints JSON {ok, rungs: [...], heights: [...], errors: [...]}; exit 0 when every forced rung
// was decoded at its own height (AES-128 keys come from the playlists' key URIs).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bp, dir, manifest] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(path.join(bp, 'node_modules/playwright-core/index.mjs')));
const { startServer } = await import(pathToFileURL(path.join(bp, 'server.mjs')));
const server = await startServer({ root: dir, keys: {} });
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
    { player: 'hlsjs', manifest: `${server.url}/${manifest}`, keys: {}, licenseUrl: `${server.url}/__clearkey` });
  await page.waitForFunction(() => document.getElementById('v').currentTime > 0.3, null, { timeout: 40000 });
  report.rungs = await page.evaluate(() => window.bpPlayer.levels.map((l) => l.height));
  // Lowest, highest, then the middle rung (by height): hls.currentLevel switches at once.
  const byHeight = report.rungs.map((h, i) => [h, i]).sort((a, b) => a[0] - b[0]);
  const order = [byHeight[0], byHeight[byHeight.length - 1], byHeight[Math.floor(byHeight.length / 2)]];
  for (const [h, i] of order) {
    await page.evaluate((level) => { window.bpPlayer.currentLevel = level; }, i);
    await page.waitForFunction((height) => document.getElementById('v').videoHeight === height, h, { timeout: 30000 });
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
