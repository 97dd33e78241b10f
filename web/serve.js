// serve.js — the page of `musicgen serve`: the generation form, the job's
// progress (long poll), and a sample's view: players, piano roll (drawn
// here as SVG from sample.json and the notes the server parsed from the
// MIDI), spectrogram and download. No library, no external resource.
'use strict';

const LAYERS = ['beat', 'melody', 'harmony', 'bassline'];
const COLOURS = {beat: '#d9822b', melody: '#2b6cd9', harmony: '#2ba36b',
                 bassline: '#a32b9c'};
const ML = 80;          // left margin of the roll (lane names); the
const W = 1000;         // spectrogram is drawn at the same x and width
const SVGNS = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

function showError(msg) { $('error').textContent = msg || ''; }

async function api(url, opts) {
  const r = await fetch(url, Object.assign({cache: 'no-store'}, opts || {}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    throw new Error((body && body.error) || ('HTTP ' + r.status));
  }
  return body;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(s) {
  s = Math.round(s);
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}

// ---- the form ----

async function loadGenres() {
  const g = await api('api/genres');
  const box = $('genres');
  for (const name of g.genres) {
    const l = document.createElement('label');
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.value = name;
    c.name = 'genre';
    l.appendChild(c);
    l.appendChild(document.createTextNode(' ' + name));
    box.appendChild(l);
  }
}

function formQuery() {
  const q = new URLSearchParams();
  q.set('seed', $('seed').value.trim());
  q.set('index', $('index').value.trim());
  q.set('mode', $('mode').value);
  q.set('rate', $('rate').value);
  if ($('measures').value.trim()) q.set('measures', $('measures').value.trim());
  const g = [...document.querySelectorAll('input[name=genre]:checked')]
    .map((c) => c.value);
  if (g.length) q.set('genre', g.join(','));
  return q;
}

async function generate(ev) {
  if (ev) ev.preventDefault();
  showError('');
  $('go').disabled = true;
  try {
    let job = await api('api/generate?' + formQuery().toString(),
                        {method: 'POST'});
    $('progress').hidden = false;
    while (job.state === 'running') {
      $('phase').textContent = 'sample ' + $('index').value + ': ' +
        job.phase + ' (' + job.elapsed_seconds.toFixed(1) + ' s)';
      job = await api('api/job/' + job.id + '?wait=1');
    }
    $('progress').hidden = true;
    if (job.state === 'failed') throw new Error(job.error);
    history.replaceState(null, '', '?sample=' + encodeURIComponent(job.sample));
    await showSample(job.sample);
  } catch (e) {
    $('progress').hidden = true;
    showError(e.message);
  } finally {
    $('go').disabled = false;
  }
}

// ---- a sample ----

function players(ref, audio) {
  const box = $('players');
  box.replaceChildren();
  for (const f of audio) {
    const name = f === 'mix.wav' ? 'mix' : f.replace(/^stems\/|\.wav$/g, '');
    const label = document.createElement('span');
    label.textContent = name;
    const a = document.createElement('audio');
    a.controls = true;
    a.preload = 'metadata';
    a.dataset.file = f;
    a.dataset.loaded = '0';
    const dur = document.createElement('span');
    dur.className = 'k';
    a.addEventListener('loadedmetadata', () => {
      a.dataset.loaded = '1';
      dur.textContent = fmt(a.duration);
    });
    a.addEventListener('error', () => {
      a.dataset.loaded = 'error';
      dur.textContent = 'cannot load';
    });
    a.src = 'files/' + ref + '/' + f;
    box.append(label, a, dur);
  }
}

function drawRoll(sample, notes) {
  const roll = $('roll');
  roll.replaceChildren();
  const dur = sample.duration_seconds || 1;
  const x = (t) => ML + (t / dur) * W;
  const PART_H = 22, CHORD_H = 20, LANE_H = 80;
  const present = LAYERS.filter((l) => notes[l] && notes[l].length);
  const top = PART_H + CHORD_H;
  const H = top + LANE_H * Math.max(present.length, 1) + 16;
  roll.setAttribute('width', ML + W + 10);
  roll.setAttribute('height', H);
  roll.setAttribute('viewBox', '0 0 ' + (ML + W + 10) + ' ' + H);
  // arrangement parts
  const partColours = ['#5a6f8c', '#7c8f5a', '#8c5a6f', '#5a8c86', '#8c7a5a'];
  (sample.song_arrangement || []).forEach((p, i) => {
    const r = svg('rect', {x: x(p.start_seconds), y: 1,
      width: Math.max(1, x(p.end_seconds) - x(p.start_seconds)),
      height: PART_H - 3, fill: partColours[i % partColours.length],
      class: 'part'});
    r.appendChild(svg('title', {}, p.part + ' ' + p.start_seconds.toFixed(2)
                      + '–' + p.end_seconds.toFixed(2) + ' s'));
    roll.appendChild(r);
    roll.appendChild(svg('text', {x: x(p.start_seconds) + 3, y: PART_H - 7,
      class: 'part-name'}, p.part));
  });
  // chord labels
  for (const c of sample.chords || []) {
    roll.appendChild(svg('line', {x1: x(c.start_seconds), x2: x(c.start_seconds),
      y1: PART_H, y2: top, stroke: '#999'}));
    roll.appendChild(svg('text', {x: x(c.start_seconds) + 2,
      y: PART_H + CHORD_H - 6, class: 'chord'}, c.symbol || c.harte));
  }
  // beats and downbeats across the lanes
  const bottom = top + LANE_H * present.length;
  for (const t of sample.beat_times || []) {
    roll.appendChild(svg('line', {x1: x(t), x2: x(t), y1: top, y2: bottom,
      stroke: '#e3e3e3', class: 'beat'}));
  }
  for (const t of sample.downbeat_times || []) {
    roll.appendChild(svg('line', {x1: x(t), x2: x(t), y1: top, y2: bottom,
      stroke: '#9a9a9a', class: 'downbeat'}));
  }
  // one lane per layer, pitch range of its own
  present.forEach((layer, k) => {
    const y0 = top + k * LANE_H;
    roll.appendChild(svg('line', {x1: 0, x2: ML + W, y1: y0, y2: y0,
      stroke: '#ccc'}));
    roll.appendChild(svg('text', {x: 4, y: y0 + LANE_H / 2 + 4,
      class: 'lane-label'}, layer));
    const ns = notes[layer];
    let lo = 127, hi = 0;
    for (const n of ns) { lo = Math.min(lo, n[2]); hi = Math.max(hi, n[2]); }
    const span = Math.max(hi - lo + 1, 12);
    const nh = Math.max(1.5, (LANE_H - 6) / span);
    for (const n of ns) {
      const y = y0 + 3 + (hi - n[2]) * ((LANE_H - 6 - nh) / Math.max(span - 1, 1));
      roll.appendChild(svg('rect', {x: x(n[0]), y: y,
        width: Math.max(1, x(n[1]) - x(n[0])), height: nh,
        fill: COLOURS[layer], 'fill-opacity': 0.35 + 0.65 * n[3] / 127,
        class: 'note', 'data-layer': layer}));
    }
  });
  // time axis, every 5 s
  for (let t = 0; t <= dur; t += 5) {
    roll.appendChild(svg('text', {x: x(t), y: H - 3, class: 'lane-label'},
                         fmt(t)));
  }
}

async function showSample(ref) {
  showError('');
  const v = await api('api/view/' + ref);
  const s = v.sample;
  $('title').textContent = (ref.startsWith('ds/') ? 'dataset sample ' :
    'sample ') + s.sample_index + ' (seed ' + s.global_seed + ')';
  $('facts').textContent = [
    'genre ' + (s.genre || '-'), (s.key_label || s.key),
    (s.tempo_bpm ? s.tempo_bpm.toFixed(1) + ' BPM' : ''),
    s.time_signature, 'swing ' + s.swing,
    fmt(s.duration_seconds || 0), 'musicality ' + s.musicality_score,
    'split ' + s.split].filter(Boolean).join(' · ');
  players(ref, v.audio);
  $('download').href = 'api/tar/' + ref;
  drawRoll(s, v.notes);
  if (v.audio.includes('mix.wav')) {
    $('spectro').hidden = false;
    $('spectro').src = 'api/spectrogram/' + ref + '?width=' + W;
  } else {
    $('spectro').hidden = true;
  }
  $('result').hidden = false;
}

// ---- browsing a dataset ----

async function loadDataset() {
  const d = await api('api/dataset');
  if (!d.root) return;
  $('browse').hidden = false;
  $('dsroot').textContent = d.root;
  const sel = $('dsindex');
  for (const i of d.samples) {
    const o = document.createElement('option');
    o.value = i;
    o.textContent = String(i).padStart(6, '0');
    sel.appendChild(o);
  }
  const go = () => showSample('ds/' + sel.value).catch((e) => showError(e.message));
  sel.addEventListener('change', go);
  $('prev').addEventListener('click', () => {
    if (sel.selectedIndex > 0) { sel.selectedIndex--; go(); }
  });
  $('next').addEventListener('click', () => {
    if (sel.selectedIndex < sel.options.length - 1) { sel.selectedIndex++; go(); }
  });
}

// ---- start: the URL can fill the form and press the button (?run=1),
// or show a sample (?sample=job/1, ?sample=ds/42) ----

async function main() {
  $('gen').addEventListener('submit', generate);
  try {
    await loadGenres();
    await loadDataset();
  } catch (e) {
    showError(e.message);
  }
  const q = new URLSearchParams(location.search);
  for (const k of ['seed', 'index', 'mode', 'rate', 'measures']) {
    if (q.has(k)) $(k).value = q.get(k);
  }
  for (const g of (q.get('genre') || '').split(',').filter(Boolean)) {
    const c = document.querySelector('input[name=genre][value="' +
                                     CSS.escape(g) + '"]');
    if (c) c.checked = true;
  }
  if (q.get('run') === '1') {
    $('go').click();
  } else if (q.get('sample')) {
    showSample(q.get('sample')).catch((e) => showError(e.message));
  }
}

main();
