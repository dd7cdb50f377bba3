// The test player: Shaka Player with the license token in the pallycon-customdata-v2 header,
// one session id per playback (mdrm-session-id), and the application heartbeat that ClearKey
// needs for concurrent stream limiting: the license request is repeated, with the renewal
// ticket of the last answer, every mdrm-renew-after seconds. A refused heartbeat stops playback.
/* global shaka */
'use strict';

window.mdrm = {
  state: null,

  async start({ manifestUrl, licenseUrl, token, sessionId }) {
    const st = this.state = {
      sessionId, token, licenseRequests: [], licenseAnswers: [], heartbeats: [], errors: [],
      ticket: null, renewAfterMs: null, licenseUrlUsed: null, lastBody: null,
      stoppedByRefusal: false, firstPlayingAt: null, lib: 'shaka-player ' + shaka.Player.version,
    };
    shaka.polyfill.installAll();
    const video = document.getElementById('v');
    const player = this.player = new shaka.Player();
    await player.attach(video);
    const cfg = { drm: { retryParameters: { maxAttempts: 1 } } };
    if (licenseUrl) cfg.drm.servers = { 'org.w3.clearkey': licenseUrl };
    player.configure(cfg);
    const LICENSE = shaka.net.NetworkingEngine.RequestType.LICENSE;
    const net = player.getNetworkingEngine();
    net.registerRequestFilter((type, request) => {
      if (type !== LICENSE) return;
      request.headers['pallycon-customdata-v2'] = token;
      request.headers['mdrm-session-id'] = sessionId;
      st.licenseUrlUsed = request.uris[0];
      st.lastBody = new Uint8Array(request.body.slice ? request.body.slice(0) : request.body.buffer.slice(0));
      st.licenseRequests.push({ url: request.uris[0], at: Date.now() });
    });
    net.registerResponseFilter((type, response) => {
      if (type !== LICENSE) return;
      this.onLicenseAnswer(response.status, (n) => response.headers[n]);
    });
    player.addEventListener('error', (e) => st.errors.push(describeError(e.detail)));
    video.addEventListener('playing', () => { if (st.firstPlayingAt === null) st.firstPlayingAt = Date.now(); });
    player.load(manifestUrl).then(() => video.play()).catch((e) => st.errors.push(describeError(e)));
  },

  onLicenseAnswer(status, header) {
    const st = this.state;
    st.ticket = header('mdrm-renewal-ticket') || st.ticket;
    const after = parseFloat(header('mdrm-renew-after'));
    st.renewAfterMs = Number.isFinite(after) ? after * 1000 : null;
    st.licenseAnswers.push({ status, at: Date.now(), streams: header('mdrm-streams-current'), session: header('mdrm-session-id') });
    this.schedule();
  },

  schedule() {
    const st = this.state;
    clearTimeout(this.timer);
    if (st.renewAfterMs !== null && !st.stoppedByRefusal) this.timer = setTimeout(() => this.heartbeat(), st.renewAfterMs);
  },

  async heartbeat() {
    const st = this.state;
    const headers = { 'content-type': 'application/json', 'pallycon-customdata-v2': st.token, 'mdrm-session-id': st.sessionId };
    if (st.ticket) headers['mdrm-renewal-ticket'] = st.ticket;
    const rec = { at: Date.now() };
    try {
      const res = await fetch(st.licenseUrlUsed, { method: 'POST', headers, body: st.lastBody });
      rec.status = res.status;
      rec.streams = res.headers.get('mdrm-streams-current');
      if (res.ok) {
        rec.keys = (await res.json()).keys.length;
        st.heartbeats.push(rec);
        this.onLicenseAnswerFromFetch(res);
        return;
      }
      rec.body = await res.json().catch(() => null);
    } catch (e) {
      rec.error = String(e);
    }
    st.heartbeats.push(rec);
    if (rec.status === 403 || rec.status === 401) {
      // Refused: the application enforces the decision.
      st.stoppedByRefusal = true;
      await this.player.unload().catch(() => {});
    } else {
      this.timer = setTimeout(() => this.heartbeat(), 1000);
    }
  },

  onLicenseAnswerFromFetch(res) {
    const st = this.state;
    st.ticket = res.headers.get('mdrm-renewal-ticket') || st.ticket;
    const after = parseFloat(res.headers.get('mdrm-renew-after'));
    st.renewAfterMs = Number.isFinite(after) ? after * 1000 : st.renewAfterMs;
    this.schedule();
  },

  sample() {
    const v = document.getElementById('v');
    const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
    const st = this.state || {};
    return {
      currentTime: v.currentTime, paused: v.paused, readyState: v.readyState,
      decodedFrames: (q.totalVideoFrames || 0) - (q.droppedVideoFrames || 0),
      videoWidth: v.videoWidth, firstPlayingAt: st.firstPlayingAt, lib: st.lib,
      sessionId: st.sessionId, licenseUrlUsed: st.licenseUrlUsed,
      licenseRequests: st.licenseRequests, licenseAnswers: st.licenseAnswers,
      heartbeats: st.heartbeats, errors: st.errors, stoppedByRefusal: st.stoppedByRefusal,
      keySystem: this.player && this.player.keySystem ? this.player.keySystem() : null,
    };
  },
};

// A Shaka error, with the HTTP status and JSON body of a refused license request.
function describeError(e) {
  const out = { code: e && e.code, category: e && e.category, message: e && e.message ? String(e.message) : undefined };
  const inner = e && Array.isArray(e.data) ? e.data.find((d) => d && d.code === 1001) : null;
  if (inner && Array.isArray(inner.data)) {
    out.httpStatus = inner.data[1];
    try { out.body = JSON.parse(inner.data[2]); } catch { out.body = inner.data[2]; }
  }
  return out;
}
