// serve_drive.js — drives `musicgen serve`'s page in headless Chromium
// (Debian's) over the DevTools protocol, with node's standard library only
// (a minimal WebSocket client: masked client frames, server frames of any
// length, continuation frames). It uses the page as a person would: it
// opens the URL, fills the form, presses Generate, waits for the result,
// then inspects the DOM, the audio elements and a screenshot; a bad seed
// must show a message on the page. Prints one JSON object of findings;
// the shell test judges them.
//   node serve_drive.js URL SCREENSHOT.png
'use strict';
const {spawn} = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const [url, shot] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
const chrome = spawn('chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
  '--no-first-run', '--mute-audio', '--autoplay-policy=no-user-gesture-required',
  '--remote-debugging-port=0', '--user-data-dir=' + profile,
  '--window-size=1200,1300', 'about:blank'], {stdio: ['ignore', 'ignore', 'pipe']});
chrome.stderr.resume();

function fail(msg) {
  console.error('serve_drive: ' + msg);
  try { chrome.kill('SIGKILL'); } catch (e) { /* gone */ }
  process.exit(1);
}
setTimeout(() => fail('timed out'), 150000).unref();

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function devtoolsPort() {
  const f = path.join(profile, 'DevToolsActivePort');
  for (let i = 0; i < 600; i++) {
    if (fs.existsSync(f)) {
      const lines = fs.readFileSync(f, 'utf8').split('\n');
      if (lines[0]) return Number(lines[0]);
    }
    await sleep(50);
  }
  fail('chromium did not open its DevTools port');
}

function getJSON(port, p) {
  return new Promise((res, rej) => {
    http.get({host: '127.0.0.1', port, path: p}, (r) => {
      let b = '';
      r.on('data', (d) => { b += d; });
      r.on('end', () => { try { res(JSON.parse(b)); } catch (e) { rej(e); } });
    }).on('error', rej);
  });
}

// ---- a minimal WebSocket client ----
function connect(wsUrl) {
  const u = new URL(wsUrl);
  return new Promise((res, rej) => {
    const req = http.request({host: u.hostname, port: u.port, path: u.pathname,
      headers: {Connection: 'Upgrade', Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64')}});
    req.on('upgrade', (resp, sock) => res(sock));
    req.on('error', rej);
    req.end();
  });
}

class Session {
  constructor(sock) {
    this.sock = sock; this.buf = Buffer.alloc(0); this.parts = [];
    this.id = 0; this.pending = new Map(); this.waiters = [];
    sock.on('data', (d) => this.onData(d));
  }
  send(method, params) {
    const id = ++this.id;
    const payload = Buffer.from(JSON.stringify({id, method, params: params || {}}));
    const mask = crypto.randomBytes(4);
    let head;
    if (payload.length < 126) {
      head = Buffer.from([0x81, 0x80 | payload.length]);
    } else if (payload.length < 65536) {
      head = Buffer.alloc(4); head[0] = 0x81; head[1] = 0x80 | 126;
      head.writeUInt16BE(payload.length, 2);
    } else {
      head = Buffer.alloc(10); head[0] = 0x81; head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    this.sock.write(Buffer.concat([head, mask, payload]));
    return new Promise((res, rej) => this.pending.set(id, {res, rej}));
  }
  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = this.buf[0] & 0x80, op = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f, off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2); off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2)); off = 10;
      }
      if (this.buf.length < off + len) return;
      const body = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (op === 1 || op === 0) this.parts.push(Buffer.from(body));
      if (fin && (op === 1 || op === 0)) {
        const msg = JSON.parse(Buffer.concat(this.parts).toString('utf8'));
        this.parts = [];
        this.onMessage(msg);
      }
    }
  }
  onMessage(m) {
    if (m.id && this.pending.has(m.id)) {
      const p = this.pending.get(m.id); this.pending.delete(m.id);
      if (m.error) p.rej(new Error(JSON.stringify(m.error))); else p.res(m.result);
    }
  }
  async eval(expr) {
    const r = await this.send('Runtime.evaluate',
      {expression: expr, awaitPromise: true, returnByValue: true});
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
    return r.result.value;
  }
  async until(expr, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await this.eval(expr)) return true;
      await sleep(200);
    }
    return false;
  }
}

async function main() {
  const port = await devtoolsPort();
  const targets = await getJSON(port, '/json/list');
  const page = targets.find((t) => t.type === 'page');
  const s = new Session(await connect(page.webSocketDebuggerUrl));
  await s.send('Page.enable');
  await s.send('Runtime.enable');
  const out = {};

  // 1. a person fills the form and presses Generate
  await s.send('Page.navigate', {url});
  if (!await s.until("document.querySelectorAll('input[name=genre]').length > 0", 20000))
    fail('the genre list never appeared');
  await s.eval(`(() => {
    document.getElementById('seed').value = '7';
    document.getElementById('index').value = '3';
    document.getElementById('rate').value = '22050';
    document.getElementById('measures').value = 'intro=1,verse=1,chorus=1,bridge=1,outro=1';
    document.querySelector('input[name=genre][value=jazz]').checked = true;
    document.getElementById('go').click();
    return true; })()`);
  out.progress_seen = await s.until("!document.getElementById('progress').hidden", 10000);
  out.result_shown = await s.until("!document.getElementById('result').hidden", 90000);
  out.error_text = await s.eval("document.getElementById('error').textContent");
  // the players must load their WAVs (metadata parsed by the browser)
  await s.until(`[...document.querySelectorAll('audio')].every(a => a.dataset.loaded !== '0')`, 20000);
  out.audio = await s.eval(`[...document.querySelectorAll('audio')].map(a =>
      ({file: a.dataset.file, loaded: a.dataset.loaded, duration: a.duration,
        src: a.currentSrc}))`);
  await s.until("document.getElementById('spectro').complete", 20000);
  out.dom = await s.eval(`({
    notes: Object.fromEntries(['beat','melody','harmony','bassline'].map(l =>
      [l, document.querySelectorAll('#roll rect.note[data-layer=' + l + ']').length])),
    chords: document.querySelectorAll('#roll text.chord').length,
    beats: document.querySelectorAll('#roll line.beat').length,
    downbeats: document.querySelectorAll('#roll line.downbeat').length,
    parts: document.querySelectorAll('#roll rect.part').length,
    spectro_w: document.getElementById('spectro').naturalWidth,
    title: document.getElementById('title').textContent,
    download: document.getElementById('download').getAttribute('href'),
    location: location.search,
    scripts: [...document.scripts].map(x => x.src)})`);
  const png = await s.send('Page.captureScreenshot', {format: 'png'});
  fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));

  // 2. a bad seed: the server's message shows on the page
  await s.eval(`(() => { document.getElementById('seed').value = '12x';
    document.getElementById('go').click(); return true; })()`);
  await s.until("document.getElementById('error').textContent !== ''", 10000);
  out.bad_seed_error = await s.eval("document.getElementById('error').textContent");
  console.log(JSON.stringify(out));
  chrome.kill('SIGTERM');
  process.exit(0);
}
main().catch((e) => fail(e.stack || String(e)));
