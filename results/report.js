// splitbrain report: draws a run from the JSON embedded in #sb-data. No libraries, no network.
// Every time in the data is in microseconds since the run began. All plots share one time view:
// Ctrl/Shift+wheel to zoom, drag to pan, double-click to reset.
(function () {
  'use strict';
  var errorBox = document.getElementById('sb-errors');
  function showError(text) {
    errorBox.style.display = 'block';
    var li = document.createElement('li');
    li.textContent = text;
    errorBox.appendChild(li);
  }
  window.addEventListener('error', function (e) { showError('script error: ' + e.message); });

  var D = JSON.parse(document.getElementById('sb-data').textContent);
  var O = D.ops;
  var N = O.p.length;
  var END = Math.max(D.meta.endUs, 1);
  var TYPES = ['ok', 'fail', 'info', 'pending'];
  var COLOR = { ok: '#2e9d4a', fail: '#d9363e', info: '#f0a020', pending: '#a66fc9' };
  var NODE_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b',
    '#e377c2', '#7f7f7f', '#bcbd22'];
  var ROLE_COLOR = { leader: '#1f4e99', candidate: '#f2b61e', 'pre-candidate': '#f7df8c',
    follower: '#c7d5ea' };
  var SNAP_COLOR = { taken: '#2a9d3f', installed: '#d62728', disk: '#8e44ad' };
  var view = { x0: 0, x1: END };
  var charts = [];
  var highlight = -1;  // op index marked by "jump to the first error"
  var tip = document.getElementById('sb-tip');

  // ---- helpers ----
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmtS(us) { return (us / 1e6).toFixed(us < 1e7 ? 3 : 2) + ' s'; }
  function fmtMs(us) { return us >= 1e5 ? (us / 1e3).toFixed(0) + ' ms' : (us / 1e3).toFixed(2) + ' ms'; }
  function wall(us) {
    if (D.meta.startWallMs === null) return '';
    return new Date(D.meta.startWallMs + us / 1e3).toISOString();
  }
  function opEnd(i) { return O.e[i] < 0 ? END : O.e[i]; }
  function opType(i) { return TYPES[O.t[i]]; }
  function opLabel(i) {
    var s = 'p' + O.p[i] + ' ' + D.fs[O.f[i]];
    if (O.k[i] >= 0) s += ' ' + D.keys[O.k[i]];
    if (O.v[i] !== '' && O.v[i] !== 'null') s += ' ' + O.v[i];
    if (O.r[i] !== '') s += ' \u2192 ' + O.r[i];
    return s;
  }
  function opDetail(i) {
    var lines = [opLabel(i), 'outcome: ' + (O.t[i] === 3 ? 'no completion (info)' : opType(i)),
      'invoke: ' + fmtS(O.s[i]) + '  ' + wall(O.s[i])];
    if (O.e[i] >= 0) {
      lines.push('complete: ' + fmtS(O.e[i]) + '  ' + wall(O.e[i]));
      lines.push('latency: ' + fmtMs(O.e[i] - O.s[i]));
    }
    if (O.n[i] >= 0) lines.push('answered by ' + D.nodes[O.n[i]]);
    lines.push('history.jsonl line ' + (O.l[i] + 1));
    var active = faultsAt(O.s[i]);
    if (active.length) lines.push('faults: ' + active.map(faultName).join('; '));
    return lines.join('\n');
  }
  function showTip(ev, text) {
    tip.textContent = text;
    tip.style.display = 'block';
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth - 8) x = ev.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight - 8) y = ev.clientY - tip.offsetHeight - 14;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.style.display = 'none'; }
  function lowerBound(arr, value, key) {
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (key(arr[mid]) < value) lo = mid + 1; else hi = mid; }
    return lo;
  }

  // ---- faults ----
  var F = D.faults;
  function faultName(f) {
    var s = f.fault;
    if (f.targets.length) s += ' ' + f.targets.join(',');
    if (f.unsupported) s += ' (unsupported)';
    return s;
  }
  function faultEnd(f) { return f.e < 0 ? END : f.e; }
  function faultsAt(t) {
    return F.filter(function (f) { return !f.unsupported && f.s <= t && t <= faultEnd(f); });
  }
  function faultColor(name) {
    // Disk faults (splitbrain-fs): one brown family, power loss and bitrot darker.
    if (/lose-unsynced|corrupt/.test(name)) return '#6b3d2e';
    if (/disk/.test(name)) return '#a0643c';
    if (/kill|crash/.test(name)) return '#d9363e';
    if (/pause|stop/.test(name)) return '#8c6bb1';
    if (/one-way/.test(name)) return '#17becf';
    if (/partition|isolate|bridge|ring|drop/.test(name)) return '#3182bd';
    if (/clock|skew/.test(name)) return '#e6550d';
    if (/loss|delay/.test(name)) return '#31a354';
    if (/slow/.test(name)) return '#bcbd22';
    if (/member|add|remove/.test(name)) return '#636363';
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return NODE_COLORS[h % NODE_COLORS.length];
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  // ---- a canvas on the shared time axis ----
  var LEFT = 96, RIGHT = 16, AXIS = 22;
  function TimeChart(container, height, draw, hover) {
    var c = el('canvas', { 'class': 'plot' });
    container.appendChild(c);
    var self = { canvas: c, ctx: c.getContext('2d'), h: height, w: 800 };
    self.x = function (t) { return LEFT + (t - view.x0) / (view.x1 - view.x0) * (self.w - LEFT - RIGHT); };
    self.t = function (x) { return view.x0 + (x - LEFT) / (self.w - LEFT - RIGHT) * (view.x1 - view.x0); };
    self.resize = function () {
      var dpr = window.devicePixelRatio || 1;
      self.w = Math.max(400, container.clientWidth || 1000);
      c.width = Math.round(self.w * dpr);
      c.height = Math.round(self.h * dpr);
      c.style.width = self.w + 'px';
      c.style.height = self.h + 'px';
      self.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    };
    self.draw = function () {
      var g = self.ctx;
      g.clearRect(0, 0, self.w, self.h);
      g.save();
      draw(self, g);
      g.restore();
    };
    var drag = null;
    c.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, x0: view.x0, x1: view.x1 }; });
    window.addEventListener('mouseup', function () { drag = null; });
    c.addEventListener('mousemove', function (ev) {
      var r = c.getBoundingClientRect();
      var mx = ev.clientX - r.left, my = ev.clientY - r.top;
      if (drag) {
        var dt = (ev.clientX - drag.x) / (self.w - LEFT - RIGHT) * (drag.x1 - drag.x0);
        setView(drag.x0 - dt, drag.x1 - dt);
        hideTip();
        return;
      }
      var text = hover && mx >= LEFT ? hover(self, mx, my) : null;
      if (text) showTip(ev, text); else hideTip();
    });
    c.addEventListener('mouseleave', hideTip);
    c.addEventListener('wheel', function (ev) {
      // A plain wheel scrolls the page; with Ctrl, Shift or Alt it zooms the time axis.
      if (!ev.ctrlKey && !ev.shiftKey && !ev.altKey) return;
      ev.preventDefault();
      var r = c.getBoundingClientRect();
      var at = self.t(Math.max(LEFT, ev.clientX - r.left));
      var k = ev.deltaY > 0 ? 1.25 : 0.8;
      setView(at - (at - view.x0) * k, at + (view.x1 - at) * k);
    }, { passive: false });
    c.addEventListener('dblclick', function () { setView(0, END); });
    self.resize();
    charts.push(self);
    return self;
  }
  function setView(a, b) {
    var span = Math.min(END, Math.max(b - a, 50));
    if (a < 0) a = 0;
    if (a + span > END) a = END - span;
    view.x0 = a;
    view.x1 = a + span;
    scheduleDraw();
  }
  var pending = false;
  function scheduleDraw() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; drawAll(); });
  }
  function drawAll() {
    charts.forEach(function (c) { c.draw(); });
    document.getElementById('sb-range').textContent =
      'showing ' + fmtS(view.x0) + ' \u2013 ' + fmtS(view.x1) + ' of ' + fmtS(END);
  }
  function niceStep(span, target) {
    var raw = span / target, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return p * (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10);
  }
  function timeAxis(ch, g, y) {
    g.strokeStyle = '#999';
    g.fillStyle = '#444';
    g.font = '11px sans-serif';
    g.textAlign = 'center';
    g.beginPath();
    g.moveTo(LEFT, y + 0.5);
    g.lineTo(ch.w - RIGHT, y + 0.5);
    var step = niceStep(view.x1 - view.x0, Math.max(2, (ch.w - LEFT) / 110));
    for (var t = Math.ceil(view.x0 / step) * step; t <= view.x1; t += step) {
      var x = Math.round(ch.x(t)) + 0.5;
      g.moveTo(x, y);
      g.lineTo(x, y + 4);
      g.fillText(step >= 1e6 ? (t / 1e6).toFixed(0) + ' s' : (t / 1e6).toFixed(step >= 1e5 ? 1 : 3) + ' s', x, y + 15);
    }
    g.stroke();
  }
  function shadeFaults(ch, g, top, bottom, labels) {
    g.font = '10px sans-serif';
    g.textAlign = 'left';
    F.forEach(function (f) {
      var x0 = Math.max(LEFT, ch.x(f.s)), x1 = Math.min(ch.w - RIGHT, ch.x(faultEnd(f)));
      if (x1 < LEFT || x0 > ch.w - RIGHT) return;
      var col = faultColor(f.fault);
      if (f.unsupported) {
        g.strokeStyle = col;
        g.setLineDash([3, 3]);
        g.beginPath(); g.moveTo(x0 + 0.5, top); g.lineTo(x0 + 0.5, bottom); g.stroke();
        g.setLineDash([]);
        return;
      }
      g.fillStyle = alpha(col, 0.12);
      g.fillRect(x0, top, Math.max(1, x1 - x0), bottom - top);
      g.fillStyle = alpha(col, 0.7);
      g.fillRect(x0, top, 1, bottom - top);
      if (labels && x1 - x0 > 40) {
        g.fillStyle = col;
        g.fillText(faultName(f), x0 + 3, top + 10, x1 - x0 - 6);
      }
    });
  }
  function clipPlot(ch, g) {
    g.beginPath();
    g.rect(LEFT, 0, ch.w - LEFT - RIGHT, ch.h);
    g.clip();
  }

  // ---- timeline: one lane per client slot ----
  // A process after `info` never invokes again; its successor takes a new id. Lanes are reused
  // by later processes once a process is done, so lanes = the most processes alive at once.
  var procFirst = {}, procLast = {}, procOrder = [];
  for (var i = 0; i < N; i++) {
    var p = O.p[i];
    if (!(p in procFirst)) { procFirst[p] = O.s[i]; procOrder.push(p); }
    procLast[p] = opEnd(i);
  }
  var laneFree = [], laneProcs = [], laneOf = {};
  procOrder.forEach(function (p) {
    var lane = -1;
    for (var j = 0; j < laneFree.length; j++) if (laneFree[j] < procFirst[p]) { lane = j; break; }
    if (lane < 0) { lane = laneFree.length; laneFree.push(0); laneProcs.push([]); }
    laneFree[lane] = procLast[p];
    laneProcs[lane].push(p);
    laneOf[p] = lane;
  });
  var lanes = laneProcs.map(function () { return []; });
  for (i = 0; i < N; i++) lanes[laneOf[O.p[i]]].push(i);
  var laneH = Math.max(3, Math.min(16, Math.floor(520 / Math.max(1, lanes.length))));
  var TL_TOP = 16;

  function drawTimeline(ch, g) {
    var bottom = TL_TOP + lanes.length * laneH;
    g.font = '10px sans-serif';
    g.fillStyle = '#555';
    g.textAlign = 'right';
    if (laneH >= 9) {
      lanes.forEach(function (_, j) {
        var ps = laneProcs[j];
        g.fillText('p' + ps[0] + (ps.length > 1 ? ' +' + (ps.length - 1) : ''), LEFT - 6, TL_TOP + j * laneH + laneH - 3);
      });
    } else {
      g.fillText(lanes.length + ' lanes', LEFT - 6, TL_TOP + 10);
    }
    clipPlot(ch, g);
    shadeFaults(ch, g, 0, bottom, true);
    var paths = [new Path2D(), new Path2D(), new Path2D(), new Path2D()];
    var scale = (ch.w - LEFT - RIGHT) / (view.x1 - view.x0);
    var gap = laneH > 4 ? 1 : 0;
    lanes.forEach(function (ops, j) {
      var y = TL_TOP + j * laneH;
      var k = lowerBound(ops, view.x0, function (o) { return opEnd(o); });
      for (; k < ops.length; k++) {
        var o = ops[k];
        if (O.s[o] > view.x1) break;
        var x0 = LEFT + (O.s[o] - view.x0) * scale, x1 = LEFT + (opEnd(o) - view.x0) * scale;
        paths[O.t[o]].rect(x0, y + gap, Math.max(1, x1 - x0), laneH - 2 * gap);
      }
    });
    for (var t = 0; t < 4; t++) { g.fillStyle = COLOR[TYPES[t]]; g.fill(paths[t]); }
    if (highlight >= 0) {
      var hx = ch.x(O.s[highlight]), hy = TL_TOP + laneOf[O.p[highlight]] * laneH;
      g.strokeStyle = '#000';
      g.lineWidth = 2;
      g.strokeRect(hx - 2, hy - 2, Math.max(4, ch.x(opEnd(highlight)) - hx + 4), laneH + 4);
      g.setLineDash([4, 3]);
      g.beginPath(); g.moveTo(hx, 0); g.lineTo(hx, bottom); g.stroke();
      g.setLineDash([]);
    }
    g.restore();
    g.save();
    timeAxis(ch, g, bottom + 2);
  }
  function hoverTimeline(ch, mx, my) {
    var j = Math.floor((my - TL_TOP) / laneH);
    if (j < 0 || j >= lanes.length) return null;
    var t = ch.t(mx), slack = 3 * (view.x1 - view.x0) / (ch.w - LEFT - RIGHT);
    var ops = lanes[j];
    var k = lowerBound(ops, t - slack, function (o) { return opEnd(o); });
    if (k < ops.length && O.s[ops[k]] <= t + slack) return opDetail(ops[k]);
    var active = faultsAt(t);
    return active.length ? 'at ' + fmtS(t) + ': ' + active.map(faultName).join('; ') : null;
  }

  // ---- faults and links lane ----
  var faultRows = [];
  F.forEach(function (f) {
    for (var r = 0; r < faultRows.length; r++) {
      if (faultRows[r].end < f.s) { faultRows[r].end = faultEnd(f); faultRows[r].faults.push(f); return; }
    }
    faultRows.push({ end: faultEnd(f), faults: [f] });
  });
  var linkNames = [], linkFaults = {};
  F.forEach(function (f) {
    // Cut links and delayed ones (issue 19) share a lane per direction; the fault's colour
    // tells them apart.
    f.links.concat(f.delayed || []).forEach(function (l) {
      var name = l[0] + '\u2192' + l[1];
      if (!(name in linkFaults)) { linkFaults[name] = []; linkNames.push(name); }
      linkFaults[name].push(f);
    });
  });
  linkNames.sort();
  var ROW = 14;
  function drawFaultLanes(ch, g) {
    var rows = faultRows.length, y0 = 4, y1 = y0 + rows * ROW + 8, bottom = y1 + linkNames.length * ROW;
    g.font = '10px sans-serif';
    g.textAlign = 'right';
    g.fillStyle = '#555';
    if (rows) g.fillText('faults', LEFT - 6, y0 + 10);
    linkNames.forEach(function (n, r) { g.fillText(n, LEFT - 6, y1 + r * ROW + 10); });
    if (!rows) g.fillText('no faults', LEFT - 6, 14);
    g.textAlign = 'left';
    g.fillStyle = '#888';
    if (linkNames.length) g.fillText('links cut or delayed (from \u2192 to)', 4, y1 - 1);
    clipPlot(ch, g);
    faultRows.forEach(function (row, r) {
      row.faults.forEach(function (f) {
        var x0 = ch.x(f.s), x1 = ch.x(faultEnd(f)), col = faultColor(f.fault);
        g.fillStyle = f.unsupported ? '#fff' : alpha(col, 0.85);
        g.strokeStyle = col;
        g.fillRect(x0, y0 + r * ROW + 1, Math.max(2, x1 - x0), ROW - 2);
        if (f.unsupported) g.strokeRect(x0, y0 + r * ROW + 1, Math.max(2, x1 - x0), ROW - 2);
        if (x1 - x0 > 30) {
          g.fillStyle = f.unsupported ? col : '#fff';
          g.fillText(faultName(f), Math.max(x0, LEFT) + 3, y0 + r * ROW + 10, x1 - Math.max(x0, LEFT) - 5);
        }
      });
    });
    linkNames.forEach(function (n, r) {
      g.fillStyle = '#f3f3f3';
      g.fillRect(LEFT, y1 + r * ROW + 1, ch.w, ROW - 2);
      linkFaults[n].forEach(function (f) {
        var x0 = ch.x(f.s), x1 = ch.x(faultEnd(f));
        g.fillStyle = faultColor(f.fault);
        g.fillRect(x0, y1 + r * ROW + 2, Math.max(2, x1 - x0), ROW - 4);
      });
    });
    g.restore();
    g.save();
    timeAxis(ch, g, bottom + 2);
  }
  function hoverFaults(ch, mx, my) {
    var t = ch.t(mx), y1 = 4 + faultRows.length * ROW + 8;
    var r = Math.floor((my - 4) / ROW), list = [];
    if (r >= 0 && r < faultRows.length) list = faultRows[r].faults;
    else if (my >= y1) {
      var name = linkNames[Math.floor((my - y1) / ROW)];
      if (name) list = linkFaults[name];
    }
    var slack = 3 * (view.x1 - view.x0) / (ch.w - LEFT - RIGHT);
    var hit = list.filter(function (f) { return f.s - slack <= t && t <= faultEnd(f) + slack; })[0];
    if (!hit) return null;
    var lines = ['fault #' + hit.id + ': ' + faultName(hit),
      'from ' + fmtS(hit.s) + '  ' + wall(hit.s),
      hit.e < 0 ? 'never ended' : 'to ' + fmtS(hit.e) + '  ' + wall(hit.e) + '  (' + fmtMs(hit.e - hit.s) + ')'];
    if (hit.links.length) lines.push('links cut: ' + hit.links.map(function (l) { return l[0] + '\u2192' + l[1]; }).join(' '));
    if (hit.delayed && hit.delayed.length) lines.push('links delayed: ' + hit.delayed.map(function (l) { return l[0] + '\u2192' + l[1]; }).join(' '));
    if (hit.detail) lines.push('detail: ' + hit.detail);
    return lines.join('\n');
  }

  // ---- latency and throughput ----
  var latOps = [];
  for (i = 0; i < N; i++) if (O.e[i] >= 0) latOps.push(i);
  var latMin = Infinity, latMax = 0;
  latOps.forEach(function (o) { var l = Math.max(1, O.e[o] - O.s[o]); if (l < latMin) latMin = l; if (l > latMax) latMax = l; });
  if (!latOps.length) { latMin = 1; latMax = 1000; }
  var lo10 = Math.floor(Math.log10(latMin)), hi10 = Math.max(lo10 + 1, Math.ceil(Math.log10(latMax)));
  var byComplete = latOps.slice().sort(function (a, b) { return O.e[a] - O.e[b]; });
  var PLOT_H = 220;
  function legend(g, x, y, items) {
    g.font = '11px sans-serif';
    g.textAlign = 'left';
    items.forEach(function (it) {
      g.fillStyle = it[1];
      g.fillRect(x, y - 8, 10, 10);
      g.fillStyle = '#333';
      g.fillText(it[0], x + 14, y + 1);
      x += g.measureText(it[0]).width + 30;
    });
  }
  function drawLatency(ch, g) {
    var top = 18, bottom = PLOT_H - AXIS;
    function y(us) { return bottom - (Math.log10(Math.max(1, us)) - lo10) / (hi10 - lo10) * (bottom - top); }
    g.font = '10px sans-serif';
    g.textAlign = 'right';
    g.strokeStyle = '#eee';
    for (var d = lo10; d <= hi10; d++) {
      var yy = Math.round(y(Math.pow(10, d))) + 0.5;
      g.fillStyle = '#555';
      g.fillText(fmtMs(Math.pow(10, d)), LEFT - 6, yy + 3);
      g.beginPath(); g.moveTo(LEFT, yy); g.lineTo(ch.w - RIGHT, yy); g.stroke();
    }
    legend(g, LEFT, 11, [['ok', COLOR.ok], ['fail', COLOR.fail], ['info', COLOR.info],
      ['p50', '#000'], ['p95', '#555'], ['p99', '#999'], ['max', '#c33']]);
    clipPlot(ch, g);
    shadeFaults(ch, g, top, bottom, false);
    var paths = [new Path2D(), new Path2D(), new Path2D()];
    var k = lowerBound(latOps, view.x0, function (o) { return O.s[o]; });
    for (; k < latOps.length; k++) {
      var o = latOps[k];
      if (O.s[o] > view.x1) break;
      paths[O.t[o]].rect(ch.x(O.s[o]) - 1, y(O.e[o] - O.s[o]) - 1, 2.2, 2.2);
    }
    g.globalAlpha = 0.55;
    for (var t = 0; t < 3; t++) { g.fillStyle = COLOR[TYPES[t]]; g.fill(paths[t]); }
    g.globalAlpha = 1;
    // Quantile lines over buckets of the view (ok operations, by invocation time).
    var B = Math.max(10, Math.min(120, Math.floor((ch.w - LEFT) / 8))), width = (view.x1 - view.x0) / B;
    var buckets = [];
    for (var b = 0; b < B; b++) buckets.push([]);
    k = lowerBound(latOps, view.x0, function (o) { return O.s[o]; });
    for (; k < latOps.length; k++) {
      o = latOps[k];
      if (O.s[o] > view.x1) break;
      if (O.t[o] !== 0) continue;
      buckets[Math.min(B - 1, Math.floor((O.s[o] - view.x0) / width))].push(O.e[o] - O.s[o]);
    }
    [[0.5, '#000'], [0.95, '#555'], [0.99, '#999'], [1, '#c33']].forEach(function (q) {
      g.strokeStyle = q[1];
      g.lineWidth = 1.5;
      g.beginPath();
      var started = false;
      buckets.forEach(function (bk, bi) {
        if (!bk.length) { started = false; return; }
        if (!bk.sorted) { bk.sort(function (a, c) { return a - c; }); bk.sorted = true; }
        var v = bk[Math.min(bk.length - 1, Math.floor(q[0] * bk.length))];
        var xx = ch.x(view.x0 + (bi + 0.5) * width);
        if (started) g.lineTo(xx, y(v)); else g.moveTo(xx, y(v));
        started = true;
      });
      g.stroke();
    });
    g.restore();
    g.save();
    timeAxis(ch, g, bottom + 2);
  }
  function hoverLatency(ch, mx) {
    var t = ch.t(mx), slack = 3 * (view.x1 - view.x0) / (ch.w - LEFT - RIGHT);
    var k = lowerBound(latOps, t - slack, function (o) { return O.s[o]; }), worst = -1;
    for (; k < latOps.length && O.s[latOps[k]] <= t + slack; k++) {
      var o = latOps[k];
      if (worst < 0 || O.e[o] - O.s[o] > O.e[worst] - O.s[worst]) worst = o;
    }
    return worst < 0 ? null : 'slowest operation here:\n' + opDetail(worst);
  }
  var rateMax = 1;
  function drawRate(ch, g) {
    var top = 18, bottom = PLOT_H - AXIS;
    var B = Math.max(10, Math.min(200, Math.floor((ch.w - LEFT) / 6))), width = (view.x1 - view.x0) / B;
    var counts = [[], [], []];
    for (var b = 0; b < B; b++) { counts[0].push(0); counts[1].push(0); counts[2].push(0); }
    var k = lowerBound(byComplete, view.x0, function (o) { return O.e[o]; });
    for (; k < byComplete.length; k++) {
      var o = byComplete[k];
      if (O.e[o] > view.x1) break;
      counts[O.t[o]][Math.min(B - 1, Math.floor((O.e[o] - view.x0) / width))]++;
    }
    // A sampled run keeps every okStride-th ok operation: scale the ok rate back up.
    counts[0] = counts[0].map(function (n) { return n * D.meta.okStride; });
    var perS = 1e6 / width, max = 1;
    counts.forEach(function (c) { c.forEach(function (n) { max = Math.max(max, n * perS); }); });
    rateMax = max;
    function y(r) { return bottom - r / max * (bottom - top); }
    var step = niceStep(max, 4);
    g.font = '10px sans-serif';
    g.textAlign = 'right';
    g.strokeStyle = '#eee';
    for (var r = 0; r <= max; r += step) {
      var yy = Math.round(y(r)) + 0.5;
      g.fillStyle = '#555';
      g.fillText(r.toFixed(step < 1 ? 1 : 0) + '/s', LEFT - 6, yy + 3);
      g.beginPath(); g.moveTo(LEFT, yy); g.lineTo(ch.w - RIGHT, yy); g.stroke();
    }
    legend(g, LEFT, 11, [['ok', COLOR.ok], ['fail', COLOR.fail], ['info', COLOR.info]]);
    clipPlot(ch, g);
    shadeFaults(ch, g, top, bottom, false);
    counts.forEach(function (c, t) {
      g.strokeStyle = COLOR[TYPES[t]];
      g.lineWidth = 1.5;
      g.beginPath();
      c.forEach(function (n, bi) {
        var xx = ch.x(view.x0 + (bi + 0.5) * width);
        if (bi) g.lineTo(xx, y(n * perS)); else g.moveTo(xx, y(n * perS));
      });
      g.stroke();
    });
    g.restore();
    g.save();
    timeAxis(ch, g, bottom + 2);
  }
  function hoverRate(ch, mx) {
    var t = ch.t(mx), w = (view.x1 - view.x0) / 50;
    var a = lowerBound(byComplete, t - w / 2, function (o) { return O.e[o]; });
    var b = lowerBound(byComplete, t + w / 2, function (o) { return O.e[o]; });
    var c = [0, 0, 0];
    for (var k = a; k < b; k++) c[O.t[byComplete[k]]]++;
    c[0] *= D.meta.okStride;
    var perS = 1e6 / w;
    return 'around ' + fmtS(t) + ' ' + wall(t) + '\nok ' + (c[0] * perS).toFixed(1) + '/s, fail ' +
      (c[1] * perS).toFixed(1) + '/s, info ' + (c[2] * perS).toFixed(1) + '/s';
  }

  // ---- Raft: roles and terms per node ----
  var R = D.raft;
  var raftSegs = R.map(function (node) {
    var segs = [], cur = null, starts = [], terms = [], commits = [], snaps = [];
    node.ev.forEach(function (e) {
      var t = e[0], kind = e[1];
      if (kind === 'start' || kind === 'role') {
        if (cur) { cur.e = t; segs.push(cur); }
        cur = { s: t, e: END, role: kind === 'start' ? 'follower' : e[3], term: e[2], leader: e[4] };
        if (kind === 'start') starts.push(t);
      }
      if (e[2] >= 0 && (kind === 'start' || kind === 'role')) terms.push([t, e[2]]);
      if (kind === 'commit') commits.push([t, e[5]]);
      // Snapshots taken, installed from the leader, restored from disk (issue 26).
      if (kind === 'snapshot' || kind === 'restore') {
        snaps.push({ t: t, kind: kind === 'snapshot' ? 'taken' : e[6] === 'disk' ? 'disk' : 'installed', index: e[5], term: e[2] });
      }
    });
    if (cur) segs.push(cur);
    return { id: node.id, segs: segs, starts: starts, terms: terms, commits: commits, snaps: snaps };
  });
  var leaderRows = [];
  raftSegs.forEach(function (n) {
    n.segs.forEach(function (s) {
      if (s.role !== 'leader') return;
      var item = { node: n.id, s: s.s, e: s.e, term: s.term };
      for (var r = 0; r < leaderRows.length; r++) {
        var last = leaderRows[r][leaderRows[r].length - 1];
        if (last.e <= item.s) { leaderRows[r].push(item); return; }
      }
      leaderRows.push([item]);
    });
  });
  leaderRows.forEach(function (row) { row.sort(function (a, b) { return a.s - b.s; }); });
  function nodeColor(id) {
    var idx = R.findIndex(function (n) { return n.id === id; });
    return NODE_COLORS[(idx < 0 ? 0 : idx) % NODE_COLORS.length];
  }
  var RL = 18;
  function drawRaft(ch, g) {
    var nLeader = Math.max(1, leaderRows.length), bottom = (nLeader + raftSegs.length) * RL + 8;
    g.font = '11px sans-serif';
    g.textAlign = 'right';
    g.fillStyle = '#333';
    g.fillText('leader', LEFT - 6, 13);
    raftSegs.forEach(function (n, j) { g.fillText(n.id, LEFT - 6, (nLeader + j) * RL + 21); });
    clipPlot(ch, g);
    shadeFaults(ch, g, 0, bottom, false);
    g.textAlign = 'left';
    leaderRows.forEach(function (row, r) {
      row.forEach(function (it) {
        var x0 = ch.x(it.s), x1 = ch.x(it.e);
        g.fillStyle = nodeColor(it.node);
        g.fillRect(x0, r * RL + 2, Math.max(1, x1 - x0), RL - 4);
        if (x1 - x0 > 34) { g.fillStyle = '#fff'; g.fillText(it.node + ' t' + it.term, Math.max(x0, LEFT) + 3, r * RL + 13); }
      });
    });
    raftSegs.forEach(function (n, j) {
      var y = (nLeader + j) * RL + 8;
      n.segs.forEach(function (s) {
        var x0 = ch.x(s.s), x1 = ch.x(s.e);
        if (x1 < LEFT || x0 > ch.w) return;
        g.fillStyle = ROLE_COLOR[s.role] || '#ddd';
        var hh = s.role === 'follower' ? 8 : RL - 4;
        g.fillRect(x0, y + (RL - hh) / 2, Math.max(1, x1 - x0), hh);
        if (x1 - x0 > 26 && s.term >= 0) {
          g.fillStyle = s.role === 'leader' ? '#fff' : '#333';
          g.fillText('t' + s.term, Math.max(x0, LEFT) + 3, y + 13);
        }
      });
      g.fillStyle = '#000';
      n.starts.forEach(function (t) { g.fillRect(ch.x(t) - 1, y, 2, RL); });
      n.snaps.forEach(function (s) {
        var x = ch.x(s.t), m = y + RL / 2;
        if (x < LEFT - 5 || x > ch.w + 5) return;
        g.fillStyle = SNAP_COLOR[s.kind];
        g.beginPath();
        if (s.kind === 'taken') { g.moveTo(x - 4, y + 1); g.lineTo(x + 4, y + 1); g.lineTo(x, y + 8); }
        else if (s.kind === 'installed') { g.moveTo(x, m - 6); g.lineTo(x + 5, m); g.lineTo(x, m + 6); g.lineTo(x - 5, m); }
        else { g.rect(x - 4, m - 4, 8, 8); }
        g.closePath();
        g.fill();
      });
    });
    g.restore();
    g.save();
    timeAxis(ch, g, bottom + 2);
  }
  function hoverRaft(ch, mx, my) {
    var t = ch.t(mx), nLeader = Math.max(1, leaderRows.length), r = Math.floor(my / RL);
    if (r < nLeader) {
      var it = (leaderRows[r] || []).filter(function (x) { return x.s <= t && t <= x.e; })[0];
      return it ? it.node + ' leader of term ' + it.term + '\nfrom ' + fmtS(it.s) + ' ' + wall(it.s) + '\nto ' + fmtS(it.e) : null;
    }
    var n = raftSegs[Math.floor((my - 8) / RL) - nLeader];
    if (!n) return null;
    var near = n.snaps.filter(function (x) { return Math.abs(ch.x(x.t) - mx) <= 5; })[0];
    if (near) {
      return n.id + ': snapshot ' + (near.kind === 'taken' ? 'taken' : near.kind === 'disk' ? 'restored from disk' : 'installed from the leader') +
        ' at index ' + near.index + ' (term ' + near.term + ')\n' + fmtS(near.t) + ' ' + wall(near.t);
    }
    var s = n.segs.filter(function (x) { return x.s <= t && t <= x.e; })[0];
    if (!s) return n.id + ': no events yet';
    return n.id + ': ' + s.role + ' in term ' + s.term + (s.leader ? ', leader ' + s.leader : '') +
      '\nsince ' + fmtS(s.s) + ' ' + wall(s.s);
  }
  var termMax = 1, commitMax = 1;
  raftSegs.forEach(function (n) {
    n.terms.forEach(function (x) { termMax = Math.max(termMax, x[1]); });
    n.commits.forEach(function (x) { commitMax = Math.max(commitMax, x[1]); });
  });
  function stepChart(field, max, label) {
    return function (ch, g) {
      var top = 18, bottom = ch.h - AXIS;
      function y(v) { return bottom - v / max * (bottom - top); }
      g.font = '10px sans-serif';
      g.textAlign = 'right';
      g.fillStyle = '#555';
      var step = Math.max(1, niceStep(max, 4));
      g.strokeStyle = '#eee';
      for (var v = 0; v <= max; v += step) {
        var yy = Math.round(y(v)) + 0.5;
        g.fillText(String(Math.round(v)), LEFT - 6, yy + 3);
        g.beginPath(); g.moveTo(LEFT, yy); g.lineTo(ch.w - RIGHT, yy); g.stroke();
      }
      g.fillText(label, LEFT - 6, 12);
      legend(g, LEFT, 11, raftSegs.map(function (n) { return [n.id, nodeColor(n.id)]; }));
      clipPlot(ch, g);
      shadeFaults(ch, g, top, bottom, false);
      raftSegs.forEach(function (n) {
        g.strokeStyle = nodeColor(n.id);
        g.lineWidth = 1.5;
        g.beginPath();
        n[field].forEach(function (pt, idx) {
          var xx = ch.x(pt[0]);
          if (idx) { g.lineTo(xx, y(n[field][idx - 1][1])); g.lineTo(xx, y(pt[1])); } else g.moveTo(xx, y(pt[1]));
        });
        var lastPt = n[field][n[field].length - 1];
        if (lastPt) g.lineTo(ch.x(END), y(lastPt[1]));
        g.stroke();
      });
      g.restore();
      g.save();
      timeAxis(ch, g, bottom + 2);
    };
  }

  // ---- the linearizability counterexample ----
  function pick(obj, names) {
    for (var k = 0; k < names.length; k++) if (obj && obj[names[k]] !== undefined && obj[names[k]] !== null) return obj[names[k]];
    return undefined;
  }
  var byLine = {};
  for (i = 0; i < N; i++) byLine[O.l[i]] = i;
  var sampled = D.meta.okStride > 1;
  // A checker's operation, whatever its shape, to an index into the history's operations.
  // The checker writes History::OpJson: {"index" (its op number, in invocation order),
  // "process", "f", "invoke_line" (1-based), "invoke_time" (ns), ...}. Bare numbers are indices.
  function matchOp(x) {
    function same(m) { return m >= 0 && m < N && (x.process === undefined || O.p[m] === x.process); }
    if (typeof x === 'number') return !sampled && x >= 0 && x < N ? x : -1;
    if (!x || typeof x !== 'object') return -1;
    if (typeof x.invoke_line === 'number' && byLine[x.invoke_line - 1] !== undefined && same(byLine[x.invoke_line - 1])) return byLine[x.invoke_line - 1];
    if (!sampled && typeof x.index === 'number' && same(x.index)) return x.index;
    var t = pick(x, ['invoke_time', 'invoke_ns', 'time']);
    if (x.process !== undefined) {
      var best = -1, bestD = Infinity;
      for (var k = 0; k < N; k++) {
        if (O.p[k] !== x.process) continue;
        if (x.f !== undefined && D.fs[O.f[k]] !== x.f) continue;
        var d = typeof t === 'number' ? Math.abs(O.s[k] - t / 1e3) : 0;
        if (d < bestD) { bestD = d; best = k; }
        if (typeof t !== 'number') break;
      }
      return best;
    }
    return -1;
  }
  function describe(x) {
    if (x === undefined) return '';
    if (typeof x === 'string') return x;
    var m = matchOp(x);
    if (m >= 0) return opLabel(m);
    return JSON.stringify(x);
  }
  function renderCounterexample() {
    var box = document.getElementById('counterexample');
    var checkers = (D.results && D.results.checkers) || {};
    var name = null, d = null;
    // A counterexample's details, whole or one level down (the lock checker's "mutex").
    function counterexampleIn(details) {
      if (!details || typeof details !== 'object') return null;
      if (pick(details, ['prefix', 'longest_prefix', 'op', 'failed_op']) !== undefined) return details;
      var found = null;
      Object.keys(details).forEach(function (k) {
        var v = details[k];
        if (found === null && v && typeof v === 'object' && !Array.isArray(v) &&
            pick(v, ['prefix', 'longest_prefix', 'op', 'failed_op']) !== undefined) found = v;
      });
      return found;
    }
    Object.keys(checkers).forEach(function (n) {
      var c = checkers[n];
      if (name !== null || !c || c.valid !== false) return;
      var found = counterexampleIn(c.details);
      if (n === 'linearizable' || found !== null) { name = n; d = found || c.details || {}; }
    });
    if (name === null) {
      box.appendChild(el('p', { 'class': 'muted' },
        checkers.linearizable ? 'The linearizability checker found no anomaly' +
        (checkers.linearizable.valid === 'unknown' ? ' but could not finish: the verdict is unknown.' : '.')
          : 'No linearizability checker ran.'));
      return -1;
    }
    var c = checkers[name];
    box.appendChild(el('p', { 'class': 'explanation' }, c.explanation || 'no explanation given'));
    var key = pick(d, ['key']);
    var involved = pick(d, ['concurrent', 'ops', 'operations', 'involved']) || [];
    var prefixLength = pick(d, ['prefix_length']);
    var prefix = pick(d, ['prefix', 'longest_prefix', 'linearizable_prefix', 'longest_linearizable_prefix']) || [];
    var failed = pick(d, ['op', 'failed_op', 'failing_op', 'unplaceable', 'cannot_place', 'culprit', 'blocked']);
    var needed = pick(d, ['needed_state', 'needed', 'required_state', 'expected_state', 'wanted_state']);
    var state = pick(d, ['state', 'prefix_state', 'state_after_prefix', 'actual_state', 'final_state']);
    if (!Array.isArray(involved)) involved = [];
    if (!Array.isArray(prefix)) prefix = [];
    var failIdx = matchOp(failed);
    var prefixSet = {}, involvedSet = {};
    prefix.forEach(function (x) { var m = matchOp(x); if (m >= 0) prefixSet[m] = true; });
    involved.forEach(function (x) { var m = matchOp(x); if (m >= 0) involvedSet[m] = true; });
    var facts = el('dl', { 'class': 'facts' });
    function fact(k, v) { if (v === undefined || v === '') return; facts.appendChild(el('dt', null, k)); facts.appendChild(el('dd', null, v)); }
    fact('checker', name);
    fact('key', key === undefined ? undefined : String(key));
    fact('operation that cannot be placed', describe(failed));
    if (failIdx >= 0) fact('when', 'invoked ' + fmtS(O.s[failIdx]) + ', completed ' + (O.e[failIdx] < 0 ? 'never' : fmtS(O.e[failIdx])) + '  ' + wall(O.s[failIdx]));
    fact('state it needed', needed === undefined ? undefined : (typeof needed === 'string' ? needed : JSON.stringify(needed)));
    fact('state after the longest linearizable prefix', state === undefined ? undefined : (typeof state === 'string' ? state : JSON.stringify(state)));
    if (typeof prefixLength !== 'number') prefixLength = prefix.length;
    fact('longest linearizable prefix', prefixLength + ' operation' + (prefixLength === 1 ? '' : 's') +
      (prefixLength > prefix.length ? ' (the last ' + prefix.length + ' in the data)' : '') +
      (prefix.length ? ': ' + prefix.slice(-8).map(describe).join(' ; ') + (prefix.length > 8 ? ' (last 8 shown)' : '') : ''));
    box.appendChild(facts);
    // The key's operations around the failure, from the history.
    var keyIdx = key === undefined ? -1 : D.keys.indexOf(String(key));
    var center = failIdx >= 0 ? failIdx : -1;
    var chosen = [];
    Object.keys(prefixSet).concat(Object.keys(involvedSet)).forEach(function (m) { chosen.push(+m); });
    if (center >= 0) {
      var before = [], after = [];
      for (var k = center - 1; k >= 0 && before.length < 24; k--) if (keyIdx < 0 || O.k[k] === keyIdx) before.push(k);
      for (k = center + 1; k < N && after.length < 12; k++) if (keyIdx < 0 || O.k[k] === keyIdx) after.push(k);
      chosen = chosen.concat(before, [center], after);
    }
    var seen = {};
    chosen = chosen.filter(function (m) { if (seen[m]) return false; seen[m] = true; return true; });
    chosen.sort(function (a, b) { return a - b; });
    if (center >= 0 && chosen.length > 60) {
      var at = chosen.indexOf(center);
      chosen = chosen.slice(Math.max(0, at - 40), at + 20);
    }
    if (chosen.length) {
      var procs = [];
      chosen.forEach(function (m) { if (procs.indexOf(O.p[m]) < 0) procs.push(O.p[m]); });
      procs.sort(function (a, b) { return a - b; });
      // Real-time order, not scale (as Porcupine draws it): every invocation and completion gets
      // its own slot, so short operations stay readable and overlaps stay exact.
      var times = [];
      chosen.forEach(function (m) { times.push(O.s[m], opEnd(m)); });
      times.sort(function (a, b) { return a - b; });
      times = times.filter(function (t, idx) { return idx === 0 || t !== times[idx - 1]; });
      var canvas = el('canvas', { 'class': 'plot', id: 'cx-canvas' });
      box.appendChild(canvas);
      var W = Math.max(500, box.clientWidth || 1000), LH = 26, H = procs.length * LH + 50;
      var dpr = window.devicePixelRatio || 1;
      canvas.width = W * dpr; canvas.height = H * dpr;
      canvas.style.width = W + 'px'; canvas.style.height = H + 'px';
      var g = canvas.getContext('2d');
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      var slot = (W - 90) / Math.max(1, times.length);
      function X(t) { return 70 + (lowerBound(times, t, function (v) { return v; }) + 0.5) * slot; }
      g.font = '11px sans-serif';
      F.forEach(function (f) {
        if (f.unsupported || faultEnd(f) < times[0] || f.s > times[times.length - 1]) return;
        var a = f.s <= times[0] ? 70 : X(f.s) - slot / 2;
        var b = faultEnd(f) >= times[times.length - 1] ? W - 20 : X(faultEnd(f)) - slot / 2;
        g.fillStyle = alpha(faultColor(f.fault), 0.12);
        g.fillRect(a, 0, b - a, H - 36);
        g.fillStyle = faultColor(f.fault);
        g.textAlign = 'left';
        g.fillText(faultName(f), a + 2, 10, Math.max(20, b - a - 4));
      });
      procs.forEach(function (p, r) { g.fillStyle = '#333'; g.textAlign = 'right'; g.fillText('p' + p, 62, 14 + r * LH + 16); });
      var boxes = [], failBox = null;
      chosen.forEach(function (m) {
        var r = procs.indexOf(O.p[m]), y = 14 + r * LH + 3, a = X(O.s[m]), b = X(opEnd(m));
        var col = m === failIdx ? '#d9363e' : prefixSet[m] ? '#2e9d4a' : involvedSet[m] ? '#5b8bd0' : '#bbbbbb';
        g.fillStyle = alpha(col, m === failIdx ? 0.9 : 0.75);
        g.fillRect(a, y, Math.max(2, b - a), LH - 6);
        if (m === failIdx) { g.strokeStyle = '#000'; g.lineWidth = 2; g.strokeRect(a, y, Math.max(2, b - a), LH - 6); }
        if (O.t[m] !== 0) { g.strokeStyle = COLOR[opType(m)]; g.lineWidth = 2; g.setLineDash([4, 2]); g.strokeRect(a, y, Math.max(2, b - a), LH - 6); g.setLineDash([]); }
        g.fillStyle = '#000';
        g.textAlign = 'left';
        var short = D.fs[O.f[m]] + ' ' + (O.v[m] !== 'null' ? O.v[m] : '') + (O.r[m] !== '' ? '\u2192' + O.r[m] : '');
        if (b - a > 24) g.fillText(short, a + 3, y + 14, b - a - 5);
        if (m === failIdx) failBox = [a, b, y, short];
        boxes.push([a, y, b, y + LH - 6, m]);
      });
      if (failBox) {
        // Name the culprit even when its bar is too narrow for text.
        var label = 'cannot be placed: ' + failBox[3];
        g.font = 'bold 11px sans-serif';
        g.textAlign = 'left';
        var tw = g.measureText(label).width;
        var lx = failBox[1] + 6 + tw < W - 20 ? failBox[1] + 6 : failBox[0] - 6 - tw;
        g.fillStyle = 'rgba(255,255,255,0.9)';
        g.fillRect(lx - 2, failBox[2] + 3, tw + 4, 14);
        g.fillStyle = '#b3121a';
        g.fillText(label, lx, failBox[2] + 14);
        g.font = '11px sans-serif';
      }
      g.fillStyle = '#555';
      g.textAlign = 'left';
      g.fillText('time runs left to right in real-time order (not to scale); hover a bar for times', 70, H - 22);
      legend(g, 70, H - 6, [['cannot be placed', '#d9363e'], ['in the longest linearizable prefix', '#2e9d4a'],
        ['concurrent with it', '#5b8bd0'], ['other ops on the key', '#bbbbbb']]);
      canvas.addEventListener('mousemove', function (ev) {
        var rc = canvas.getBoundingClientRect(), mx = ev.clientX - rc.left, my = ev.clientY - rc.top;
        var hit = boxes.filter(function (bx) { return bx[0] - 2 <= mx && mx <= Math.max(bx[2], bx[0] + 2) + 2 && bx[1] <= my && my <= bx[3]; })[0];
        if (hit) showTip(ev, opDetail(hit[4]) + (hit[4] === failIdx ? '\n\nTHE OPERATION THAT CANNOT BE PLACED' : prefixSet[hit[4]] ? '\n\nin the longest linearizable prefix' : ''));
        else hideTip();
      });
      canvas.addEventListener('mouseleave', hideTip);
      var table = el('table', { 'class': 'ops', id: 'cx-table' });
      var head = el('tr');
      ['line', 'process', 'operation', 'invoke', 'complete', 'outcome', 'role'].forEach(function (h) { head.appendChild(el('th', null, h)); });
      table.appendChild(head);
      chosen.forEach(function (m) {
        var tr = el('tr', { 'class': m === failIdx ? 'bad' : prefixSet[m] ? 'good' : '' });
        [String(O.l[m] + 1), 'p' + O.p[m], opLabel(m).replace(/^p\d+ /, ''), fmtS(O.s[m]),
          O.e[m] < 0 ? 'never' : fmtS(O.e[m]), O.t[m] === 3 ? 'info (no completion)' : opType(m),
          m === failIdx ? 'cannot be placed' : prefixSet[m] ? 'in prefix' : involvedSet[m] ? 'concurrent' : ''
        ].forEach(function (v) { tr.appendChild(el('td', null, v)); });
        table.appendChild(tr);
      });
      var det = el('details', { open: '' });
      det.appendChild(el('summary', null, 'operations drawn (' + chosen.length + ')'));
      det.appendChild(table);
      box.appendChild(det);
    }
    var raw = el('details');
    raw.appendChild(el('summary', null, 'the checker\'s details as data'));
    raw.appendChild(el('pre', null, JSON.stringify(d, null, 1).slice(0, 20000)));
    box.appendChild(raw);
    if (failIdx >= 0) {
      var show = el('a', { href: '#timeline', 'class': 'jump' }, 'show this operation in the timeline');
      show.addEventListener('click', function () { focusOp(failIdx); });
      box.insertBefore(show, box.children[1] || null);
    }
    return failIdx;
  }
  function focusOp(m) {
    highlight = m;
    var span = Math.max(20000, (opEnd(m) - O.s[m]) * 20);
    setView(O.s[m] - span / 2, O.s[m] + span / 2);
    drawAll();  // now, not at the next frame: the reader is about to look
  }

  // ---- build the page ----
  var tl = document.getElementById('timeline');
  TimeChart(tl, TL_TOP + lanes.length * laneH + AXIS + 4, drawTimeline, hoverTimeline);
  TimeChart(document.getElementById('faults'), 4 + faultRows.length * ROW + 8 + linkNames.length * ROW + AXIS + 6,
    drawFaultLanes, hoverFaults);
  TimeChart(document.getElementById('latency'), PLOT_H, drawLatency, hoverLatency);
  TimeChart(document.getElementById('rate'), PLOT_H, drawRate, hoverRate);
  if (raftSegs.length) {
    var raftBox = document.getElementById('raft');
    TimeChart(raftBox, (Math.max(1, leaderRows.length) + raftSegs.length) * RL + 8 + AXIS + 4, drawRaft, hoverRaft);
    TimeChart(raftBox, 150, stepChart('terms', termMax, 'term'), null);
    if (commitMax > 1) TimeChart(raftBox, 150, stepChart('commits', commitMax, 'commit'), null);
  } else {
    document.getElementById('raft').appendChild(el('p', { 'class': 'muted' }, 'No node event logs (nodes/*/events.jsonl) in this run.'));
  }
  var firstError = renderCounterexample();
  var jump = document.getElementById('jump-first-error');
  if (jump) {
    jump.addEventListener('click', function () { if (firstError >= 0) focusOp(firstError); });
  }
  document.getElementById('sb-reset').addEventListener('click', function () { highlight = -1; setView(0, END); });
  document.getElementById('sb-zoom-in').addEventListener('click', function () {
    var c = (view.x0 + view.x1) / 2, s = (view.x1 - view.x0) / 4; setView(c - s, c + s);
  });
  document.getElementById('sb-zoom-out').addEventListener('click', function () {
    var c = (view.x0 + view.x1) / 2, s = (view.x1 - view.x0); setView(c - s, c + s);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); drawAll(); });
  drawAll();
  document.body.setAttribute('data-rendered', 'ok');
  document.getElementById('sb-render-info').textContent = 'drawn ' + N + ' operations in ' +
    Math.round(performance.now()) + ' ms since the page began loading';
  if (sampled) {
    var note = el('p', { 'class': 'sample-note', id: 'sb-sampled' }, 'This run has ' + D.meta.totalOps +
      ' operations; the timeline and plots draw ' + N + ' of them: every ' + D.meta.okStride +
      'th ok operation, every fail and info, and all operations near the counterexample. ' +
      'Throughput scales the ok rate back up. The checkers saw every operation.');
    tl.parentNode.insertBefore(note, tl);
  }
})();
