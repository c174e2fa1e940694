/* Quorum vendor dashboard: charts (throughput, quality, cost, SLA) for a date range and vendor,
 * vendor scorecards with trends, a drill-down to annotators, notices, and live updates over the
 * /ws/quality/ socket (it only says "counters moved"; the page then re-reads the rollup API). */
"use strict";

(() => {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const api = config.api;
  const $ = (sel) => document.querySelector(sel);
  const SVG = "http://www.w3.org/2000/svg";
  const W = 600;
  const H = 160;
  const PAD = { l: 36, r: 8, t: 8, b: 18 };

  const state = { start: "", end: "", vendor: config.fixed_vendor === null ? "" : String(config.fixed_vendor), project: "", selected: null };

  function isoDaysBefore(iso, days) {
    const d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() - days);
    return d.toISOString().slice(0, 10);
  }
  state.end = config.today;
  state.start = isoDaysBefore(config.today, 13);
  $("#f-start").value = state.start;
  $("#f-end").value = state.end;
  if (state.vendor) $("#f-vendor").value = state.vendor;

  const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const num = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString());
  const secs = (ms) => (ms === null || ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`);
  const fixed = (v, d = 3) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));

  function query(extra = {}) {
    const q = new URLSearchParams();
    q.set("start", state.start);
    q.set("end", state.end);
    const vendor = extra.vendor !== undefined ? extra.vendor : state.vendor;
    if (vendor !== "" && vendor !== null) q.set("vendor", vendor);
    if (state.project) q.set("project", state.project);
    return q.toString();
  }

  async function getJSON(path) {
    const res = await fetch(`${api}${path}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.json();
  }

  function el(name, attrs = {}, parent = null) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function frame(svg, max, fmt) {
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "none");
    el("line", { class: "axis", x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }, svg);
    for (const f of [0.5, 1]) {
      const y = H - PAD.b - f * (H - PAD.t - PAD.b);
      el("line", { class: "axis", x1: PAD.l, y1: y, x2: W - PAD.r, y2: y }, svg);
      const t = el("text", { class: "tick", x: 2, y: y + 3 }, svg);
      t.textContent = fmt(max * f);
    }
  }

  function bars(svg, values, cls, fmt, labels) {
    const max = Math.max(1e-9, ...values);
    frame(svg, max, fmt);
    const n = values.length;
    const step = (W - PAD.l - PAD.r) / Math.max(1, n);
    values.forEach((v, i) => {
      const h = (v / max) * (H - PAD.t - PAD.b);
      const rect = el("rect", { class: `bar ${cls}`, x: PAD.l + i * step + 1, y: H - PAD.b - h, width: Math.max(1, step - 2), height: h }, svg);
      const title = el("title", {}, rect);
      title.textContent = `${labels[i]}: ${fmt(v)}`;
    });
    svg.dataset.points = String(n);
  }

  function lines(svg, seriesList, labels) {
    frame(svg, 1, (v) => `${Math.round(v * 100)}%`);
    const n = labels.length;
    const step = (W - PAD.l - PAD.r) / Math.max(1, n - 1);
    let points = 0;
    for (const { values, cls } of seriesList) {
      let d = "";
      values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const x = PAD.l + i * step;
        const y = H - PAD.b - v * (H - PAD.t - PAD.b);
        d += `${d ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
        el("circle", { cx: x, cy: y, r: 2.5, class: `line ${cls}` }, svg);
        points += 1;
      });
      if (d) el("path", { d, class: `line ${cls}` }, svg);
    }
    svg.dataset.points = String(points);
  }

  function mean(values) {
    const xs = values.filter((v) => v !== null && v !== undefined);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  }

  function paintCharts(data) {
    const days = data.series.map((s) => s.day);
    bars($("#chart-throughput svg"), data.series.map((s) => s.submitted), "", (v) => Math.round(v).toLocaleString(), days);
    $("#chart-throughput [data-figure]").textContent = `${num(data.totals.submitted)} submitted`;
    lines($("#chart-quality svg"), [
      { values: data.series.map((s) => s.gold_accuracy), cls: "" },
      { values: data.series.map((s) => s.rework_rate), cls: "rework" },
    ], days);
    $("#chart-quality [data-figure]").textContent = `gold ${pct(mean(data.series.map((s) => s.gold_accuracy)))} · rework ${pct(mean(data.series.map((s) => s.rework_rate)))}`;
    const costs = data.series.map((s) => Number(s.cost));
    bars($("#chart-cost svg"), costs, "cost", (v) => v.toFixed(2), days);
    $("#chart-cost [data-figure]").textContent = costs.reduce((a, b) => a + b, 0).toFixed(2);
    lines($("#chart-sla svg"), [{ values: data.series.map((s) => s.sla_compliance), cls: "sla" }], days);
    $("#chart-sla [data-figure]").textContent = pct(mean(data.series.map((s) => s.sla_compliance)));
    for (const [k, v] of Object.entries(data.totals)) {
      const cell = root.querySelector(`[data-total='${k}']`);
      if (cell) cell.textContent = num(v);
    }
  }

  function trendCell(trend) {
    if (!trend || trend.submitted === null || trend.submitted === undefined) return "–";
    const arrow = trend.submitted > 0 ? "▲" : trend.submitted < 0 ? "▼" : "■";
    const cls = trend.submitted > 0 ? "trend-up" : trend.submitted < 0 ? "trend-down" : "";
    return `<span class="${cls}" title="change against the previous period">${arrow} ${num(trend.submitted)}</span>`;
  }

  function text(s) {
    const d = document.createElement("div");
    d.textContent = s;
    return d.innerHTML;
  }

  function paintScorecards(cards) {
    const body = $("#scorecards tbody");
    body.replaceChildren();
    for (const c of cards) {
      const tr = document.createElement("tr");
      tr.dataset.vendor = String(c.vendor);
      tr.tabIndex = 0;
      tr.setAttribute("aria-selected", String(state.selected === c.vendor));
      tr.innerHTML = `<td>${text(c.name)}</td><td class="num">${num(c.submitted)}</td><td class="num">${num(c.throughput_per_day)}</td>
        <td class="num">${secs(c.median_handling_ms)}</td><td class="num">${pct(c.gold_accuracy)}</td><td class="num">${fixed(c.agreement_alpha)}</td>
        <td class="num">${pct(c.sla_compliance)}</td><td class="num">${pct(c.rework_rate)}</td><td class="num">${text(c.cost)}</td>
        <td class="num">${c.cost_per_accepted === null ? "–" : text(c.cost_per_accepted)}</td><td class="num">${trendCell(c.trend)}</td>`;
      const pick = () => {
        state.selected = c.vendor;
        for (const row of body.querySelectorAll("tr")) row.setAttribute("aria-selected", String(row === tr));
        loadAnnotators();
      };
      tr.addEventListener("click", pick);
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter") pick();
      });
      body.appendChild(tr);
    }
  }

  async function loadAnnotators() {
    const vendor = state.selected !== null ? String(state.selected) : state.vendor;
    const body = $("#annotators tbody");
    try {
      const data = await getJSON(`/quality/annotators?${query({ vendor })}`);
      body.replaceChildren();
      for (const a of data.results) {
        const tr = document.createElement("tr");
        tr.dataset.annotator = String(a.annotator);
        const status = a.paused_in.length ? `<span class="paused">paused</span>` : "active";
        tr.innerHTML = `<td>${text(a.username)}</td><td class="num">${num(a.submitted)}</td><td class="num">${secs(a.median_handling_ms)}</td>
          <td class="num">${pct(a.gold_accuracy)}</td><td class="num">${fixed(a.cohen_kappa)}</td><td class="num">${pct(a.rework_rate)}</td><td>${status}</td>`;
        body.appendChild(tr);
      }
      root.dataset.drill = vendor || "all";
    } catch (e) {
      body.innerHTML = `<tr><td colspan="7" class="error">${text(String(e))}</td></tr>`;
    }
  }

  async function loadNotices() {
    try {
      const data = await getJSON("/quality/notices");
      const list = $("#notices");
      list.replaceChildren();
      for (const n of data.results) {
        const li = document.createElement("li");
        li.textContent = `${n.created_at.slice(0, 16).replace("T", " ")} · ${n.message}`;
        list.appendChild(li);
      }
      if (!data.results.length) list.innerHTML = `<li class="muted empty">No notices.</li>`;
    } catch {
      /* leave as is */
    }
  }

  let loading = null;
  async function load() {
    root.dataset.state = "loading";
    try {
      const data = await getJSON(`/quality/dashboard?${query()}`);
      paintCharts(data);
      paintScorecards(data.scorecards);
      await Promise.all([loadAnnotators(), loadNotices()]);
      root.dataset.state = "ready";
      root.dataset.loads = String(Number(root.dataset.loads || 0) + 1);
    } catch (e) {
      root.dataset.state = "error";
      $("#scorecards tbody").innerHTML = `<tr><td colspan="11" class="error">${text(String(e))}</td></tr>`;
    }
  }

  function reloadSoon() {
    if (loading) return;
    loading = setTimeout(() => {
      loading = null;
      load();
    }, 800);
  }

  $("#filters").addEventListener("submit", (e) => {
    e.preventDefault();
    state.start = $("#f-start").value || state.start;
    state.end = $("#f-end").value || state.end;
    if (config.fixed_vendor === null) state.vendor = $("#f-vendor").value;
    state.project = $("#f-project").value;
    state.selected = null;
    load();
  });

  const live = $("#live");
  function setLive(s) {
    live.dataset.live = s;
    live.textContent = s;
  }
  function watch(delay = 1000) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}${config.ws}`);
    } catch {
      setLive("offline");
      return;
    }
    ws.addEventListener("open", () => {
      setLive("live");
      delay = 1000;
    });
    ws.addEventListener("message", (m) => {
      let event;
      try {
        event = JSON.parse(m.data);
      } catch {
        return;
      }
      if (event.type === "quality.changed" || event.type === "quality.notice") reloadSoon();
    });
    ws.addEventListener("close", (e) => {
      setLive("offline");
      if (e.code !== 4403) setTimeout(() => watch(Math.min(delay * 2, 30000)), delay + Math.random() * 500);
    });
  }

  load();
  watch();
})();
