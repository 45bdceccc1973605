// The Graph tab's chart, drawn on two stacked canvases: the series on the
// bottom one (redrawn on data, resize, mode and visibility changes), the
// hover crosshair on the top one (redrawn on every mouse move, cheap).
// Samples are placed on the query's step grid, so stacking and hovering
// index arrays instead of searching timestamps.

import { h, formatValue, seriesName, num, formatTime, timeParts, zoneLabel } from "./util.js";

/** Distinct colours: golden-angle hues, two lightness levels. */
function color(i) {
  const hue = (i * 137.508 + 210) % 360;
  const light = i % 2 ? 38 : 48;
  return `hsl(${hue.toFixed(1)}, 68%, ${light}%)`;
}

/** Round tick values between lo and hi, about `count` of them. */
function niceTicks(lo, hi, count) {
  const span = hi - lo;
  const raw = span / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => span / s <= count) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
  21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000];

const pad = (n) => String(n).padStart(2, "0");

function timeLabel(sec, interval) {
  const [, mo, day, hr, mi, se] = timeParts(sec * 1000);
  if (interval >= 86400) return `${pad(mo)}-${pad(day)}`;
  const hm = `${pad(hr)}:${pad(mi)}`;
  return interval < 60 ? `${hm}:${pad(se)}` : hm;
}

export class Chart {
  constructor() {
    this.base = h("canvas", { role: "img", "aria-label": "Graph of the query result" });
    this.over = h("canvas", { "aria-hidden": "true" });
    this.tip = h("div", { class: "tooltip", hidden: true });
    this.box = h("div", { class: "chart" }, this.base, this.over, this.tip);
    this.legend = h("div", { class: "legend", role: "group", "aria-label": "Series (click to show or hide)" });
    this.el = h("div", {}, this.box, this.legend);
    this.series = [];
    this.stacked = false;
    this.over.addEventListener("mousemove", (e) => this.hover(e));
    this.over.addEventListener("mouseleave", () => this.unhover());
    this.width = 0;
    new ResizeObserver(() => {
      if (this.box.clientWidth !== this.width) this.draw();
    }).observe(this.box);
  }

  /** `result`: a matrix; `start`, `end`, `step` in seconds. */
  setData(result, start, end, step) {
    const n = Math.max(1, Math.round((end - start) / step) + 1);
    this.start = start;
    this.end = end;
    this.step = step;
    this.n = n;
    this.series = result.map((r, i) => {
      const ys = new Float64Array(n).fill(NaN);
      for (const [t, v] of r.values || []) {
        const k = Math.round((t - start) / step);
        if (k >= 0 && k < n) ys[k] = num(v);
      }
      // Native histograms are drawn by their count.
      for (const [t, hist] of r.histograms || []) {
        const k = Math.round((t - start) / step);
        if (k >= 0 && k < n) ys[k] = num(hist.count);
      }
      return { metric: r.metric, name: seriesName(r.metric), ys, color: color(i), visible: true };
    });
    this.buildLegend();
    this.draw();
  }

  setStacked(stacked) {
    this.stacked = stacked;
    this.draw();
  }

  buildLegend() {
    this.legend.replaceChildren(...this.series.map((s) => {
      const b = h("button", { type: "button", "aria-pressed": "true", title: "Show or hide this series" },
        h("span", { class: "swatch" }), h("span", { class: "series", text: s.name }));
      b.firstChild.style.background = s.color;
      b.addEventListener("click", () => {
        s.visible = !s.visible;
        b.setAttribute("aria-pressed", String(s.visible));
        this.draw();
      });
      return b;
    }));
  }

  /** The y values drawn: the samples, or running sums when stacked. */
  drawn() {
    const shown = this.series.filter((s) => s.visible);
    if (!this.stacked) return shown.map((s) => ({ s, ys: s.ys, lo: null }));
    const acc = new Float64Array(this.n);
    return shown.map((s) => {
      const lo = Float64Array.from(acc);
      const ys = new Float64Array(this.n);
      for (let k = 0; k < this.n; k++) {
        const v = s.ys[k];
        if (Number.isFinite(v)) {
          acc[k] += v;
          ys[k] = acc[k];
        } else {
          ys[k] = NaN;
        }
      }
      return { s, ys, lo };
    });
  }

  draw() {
    const w = this.box.clientWidth;
    const hgt = this.box.clientHeight;
    this.width = w;
    if (!w || !hgt || this.start === undefined) return;
    const dpr = window.devicePixelRatio || 1;
    for (const c of [this.base, this.over]) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hgt * dpr);
      c.style.width = w + "px";
      c.style.height = hgt + "px";
    }
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim();
    const grid = css.getPropertyValue("--grid").trim();
    const ctx = this.base.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    ctx.font = "11px system-ui, sans-serif";

    const lines = this.drawn();
    let lo = Infinity, hi = -Infinity;
    for (const l of lines) {
      for (const v of l.ys) {
        if (Number.isFinite(v)) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    if (this.stacked && lo > 0) lo = 0;
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
    const yTicks = niceTicks(lo, hi, Math.max(2, Math.floor(hgt / 50)));
    lo = Math.min(lo, yTicks[0]);
    hi = Math.max(hi, yTicks[yTicks.length - 1]);
    const labels = yTicks.map(formatValue);
    const left = Math.ceil(Math.max(...labels.map((t) => ctx.measureText(t).width))) + 12;
    const plot = { x: left, y: 8, w: Math.max(10, w - left - 12), h: Math.max(10, hgt - 30) };
    this.plot = plot;
    this.lo = lo;
    this.hi = hi;
    this.lines = lines;
    const span = this.end - this.start || 1;
    const X = (k) => plot.x + (this.n === 1 ? plot.w / 2 : (k * this.step) / span * plot.w);
    const Y = (v) => plot.y + plot.h - ((v - lo) / (hi - lo)) * plot.h;
    this.X = X;
    this.Y = Y;

    // Grid and axes.
    ctx.strokeStyle = grid;
    ctx.fillStyle = fg;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.beginPath();
    yTicks.forEach((v, i) => {
      const y = Math.round(Y(v)) + 0.5;
      ctx.moveTo(plot.x, y);
      ctx.lineTo(plot.x + plot.w, y);
      ctx.fillText(labels[i], plot.x - 6, y);
    });
    const maxTicks = Math.max(2, Math.floor(plot.w / 90));
    const interval = TIME_STEPS.find((s) => span / s <= maxTicks) || span / maxTicks;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let t = Math.ceil(this.start / interval) * interval; t <= this.end; t += interval) {
      const x = Math.round(plot.x + ((t - this.start) / span) * plot.w) + 0.5;
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
      ctx.fillText(timeLabel(t, interval), x, plot.y + plot.h + 6);
    }
    ctx.stroke();

    // Series.
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y - 1, plot.w, plot.h + 2);
    ctx.clip();
    ctx.lineWidth = 1.5;
    ctx.lineJoin = "round";
    for (const l of lines) {
      const ys = l.ys;
      if (l.lo) {
        // Area between the previous running sum and this one, per run of
        // present samples.
        ctx.globalAlpha = 0.35;
        ctx.fillStyle = l.s.color;
        let k = 0;
        while (k < this.n) {
          while (k < this.n && !Number.isFinite(ys[k])) k++;
          const from = k;
          while (k < this.n && Number.isFinite(ys[k])) k++;
          if (k - from < 1) continue;
          ctx.beginPath();
          ctx.moveTo(X(from), Y(ys[from]));
          for (let j = from + 1; j < k; j++) ctx.lineTo(X(j), Y(ys[j]));
          for (let j = k - 1; j >= from; j--) ctx.lineTo(X(j), Y(l.lo[j]));
          ctx.closePath();
          ctx.fill();
        }
        ctx.globalAlpha = 1;
      }
      ctx.strokeStyle = l.s.color;
      ctx.fillStyle = l.s.color;
      ctx.beginPath();
      let pen = false;
      for (let k = 0; k < this.n; k++) {
        const v = ys[k];
        if (!Number.isFinite(v)) { pen = false; continue; }
        const x = X(k), y = Y(v);
        if (pen) {
          ctx.lineTo(x, y);
        } else {
          ctx.moveTo(x, y);
          // A lone sample would draw nothing: mark it with a dot.
          if (!(k + 1 < this.n && Number.isFinite(ys[k + 1]))) ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
        }
        pen = true;
      }
      ctx.stroke();
    }
    ctx.restore();
    this.unhover();
  }

  hover(e) {
    if (!this.plot || !this.lines) return;
    const rect = this.over.getBoundingClientRect();
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    const p = this.plot;
    if (mx < p.x || mx > p.x + p.w || this.lines.length === 0) return this.unhover();
    const span = this.end - this.start || 1;
    const k = this.n === 1 ? 0 : Math.min(this.n - 1, Math.max(0, Math.round(((mx - p.x) / p.w) * span / this.step)));
    let best = null, dist = Infinity;
    for (const l of this.lines) {
      const v = l.ys[k];
      if (!Number.isFinite(v)) continue;
      const d = Math.abs(this.Y(v) - my);
      if (d < dist) { dist = d; best = l; }
    }
    const ctx = this.over.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.over.width, this.over.height);
    const x = Math.round(this.X(k)) + 0.5;
    ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue("--muted").trim();
    ctx.beginPath();
    ctx.moveTo(x, p.y);
    ctx.lineTo(x, p.y + p.h);
    ctx.stroke();
    const t = this.start + k * this.step;
    if (!best) {
      this.tip.hidden = true;
      return;
    }
    const y = this.Y(best.ys[k]);
    ctx.fillStyle = best.s.color;
    ctx.beginPath();
    ctx.arc(x, y, 4, 0, 2 * Math.PI);
    ctx.fill();
    const value = best.s.ys[k];
    this.tip.replaceChildren(
      h("div", { class: "muted", text: formatTime(t * 1000) + " " + zoneLabel() }),
      h("div", {}, h("strong", { text: "value: " }), formatValue(value),
        this.stacked ? h("span", { class: "muted", text: ` (stacked ${formatValue(best.ys[k])})` }) : null),
      h("div", { class: "series", text: best.s.name }));
    this.tip.hidden = false;
    const tw = this.tip.offsetWidth;
    this.tip.style.left = (x + 12 + tw > this.box.clientWidth ? x - 12 - tw : x + 12) + "px";
    this.tip.style.top = Math.max(0, Math.min(y - 10, this.box.clientHeight - this.tip.offsetHeight)) + "px";
  }

  unhover() {
    this.tip.hidden = true;
    const ctx = this.over.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.over.width, this.over.height);
  }
}
