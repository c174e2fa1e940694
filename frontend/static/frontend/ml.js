// The ML page: snapshots, fine-tuning jobs (live progress and loss curve over ws/finetune/<id>/),
// model versions with metrics, promotion to a project. Everything goes through the REST API.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("ml-config").textContent);
  const $ = (id) => document.getElementById(id);
  const sockets = new Map();

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function api(method, path, body) {
    const res = await fetch(cfg.api + path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) {
      const err = (data && data.error) || {};
      const detail = (err.details || []).map((d) => d.message).join("; ");
      throw new Error(detail || err.message || `HTTP ${res.status}`);
    }
    return data;
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "–" : String(text);
    return td;
  }

  function pct(x) { return x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`; }

  function lossCurve(history) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "loss");
    svg.setAttribute("viewBox", "0 0 100 30");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "training loss");
    if (history.length > 1) {
      const losses = history.map((p) => p[1]);
      const lo = Math.min(...losses), hi = Math.max(...losses), span = hi - lo || 1;
      const last = history[history.length - 1][0] || 1;
      const pts = history.map(([s, l]) => `${(100 * s) / last},${28 - (26 * (l - lo)) / span}`).join(" ");
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", pts);
      line.setAttribute("fill", "none");
      line.setAttribute("stroke", "#1d4ed8");
      line.setAttribute("stroke-width", "1.5");
      line.setAttribute("vector-effect", "non-scaling-stroke");
      svg.appendChild(line);
    }
    return svg;
  }

  function jobRow(job) {
    const tr = document.createElement("tr");
    tr.dataset.job = job.id;
    tr.appendChild(cell(job.name));
    const st = cell(job.status);
    st.className = `status-${job.status}`;
    tr.appendChild(st);
    const prog = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = job.total_steps || 1;
    bar.value = job.step || 0;
    prog.append(bar, ` ${job.step}/${job.total_steps || "?"}`);
    tr.appendChild(prog);
    const loss = document.createElement("td");
    loss.append(lossCurve(job.loss_history || []), ` ${job.loss === null ? "–" : job.loss.toFixed(3)}`);
    tr.appendChild(loss);
    tr.appendChild(cell(job.eta_seconds === null ? null : `${Math.round(job.eta_seconds)} s`));
    tr.appendChild(cell(job.result || job.error || null));
    const actions = document.createElement("td");
    if (job.status === "queued" || job.status === "running") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = "Cancel";
      b.addEventListener("click", async () => {
        try { await api("POST", `/export/finetune-jobs/${job.id}/cancel`); await loadJobs(); } catch (e) { alert(e.message); }
      });
      actions.appendChild(b);
      watch(job.id);
    }
    tr.appendChild(actions);
    return tr;
  }

  function watch(id) {
    if (sockets.has(id)) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}${cfg.ws}${id}/`);
    sockets.set(id, ws);
    ws.onmessage = () => loadJobs();  // progress, finished, cancelled: redraw from the API
    ws.onclose = () => sockets.delete(id);
  }

  async function loadSnapshots() {
    const data = await api("GET", "/export/snapshots?page_size=50");
    const body = $("snapshots"), select = $("job-snapshot");
    body.replaceChildren();
    select.replaceChildren();
    for (const s of data.results) {
      const tr = document.createElement("tr");
      for (const v of [s.id, s.project, s.format, s.row_count, s.status, (s.sha256 || "").slice(0, 12)]) tr.appendChild(cell(v));
      const dl = document.createElement("td");
      if (s.status === "ready") {
        const a = document.createElement("a");
        a.href = `${cfg.api}/export/snapshots/${s.id}/download`;
        a.textContent = "download";
        dl.appendChild(a);
        if (s.format === "jsonl") select.appendChild(new Option(`#${s.id} (${s.row_count} rows)`, s.id));
      }
      tr.appendChild(dl);
      body.appendChild(tr);
    }
    if (!data.results.length) body.replaceChildren(Object.assign(document.createElement("tr"), { innerHTML: "<td colspan=7>No snapshots yet.</td>" }));
  }

  async function loadJobs() {
    const data = await api("GET", "/export/finetune-jobs?page_size=50");
    $("jobs").replaceChildren(...data.results.map(jobRow));
    if (!data.results.length) $("jobs").replaceChildren(Object.assign(document.createElement("tr"), { innerHTML: "<td colspan=7>No jobs yet.</td>" }));
  }

  function renderVersions() {
    const body = $("versions");
    body.replaceChildren();
    for (const v of cfg.versions) {
      const tr = document.createElement("tr");
      for (const x of [v.name, v.kind, v.status, v.quantization, v.parent, pct(v.accuracy), pct(v.macro_f1),
        v.ece === null || v.ece === undefined ? null : v.ece.toFixed(3), v.delta_accuracy === null || v.delta_accuracy === undefined ? null : `${(100 * v.delta_accuracy).toFixed(1)} pts`]) tr.appendChild(cell(x));
      const td = document.createElement("td");
      if (v.status !== "retired") {
        const sel = document.createElement("select");
        sel.setAttribute("aria-label", `Project to serve ${v.name}`);
        for (const p of cfg.projects) sel.appendChild(new Option(`${p.name}${p.model === v.name ? " (serving)" : ""}`, p.id));
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = "Promote";
        b.addEventListener("click", async () => {
          try {
            await api("PUT", `/projects/${sel.value}/model`, { model_version: v.name });
            b.textContent = "Promoted";
          } catch (e) { alert(e.message); }
        });
        td.append(sel, b);
      }
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  $("new-job").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const steps = $("job-steps").value;
    const body = { snapshot: Number($("job-snapshot").value), name: $("job-name").value.trim() };
    if ($("job-parent").value.trim()) body.parent_model = $("job-parent").value.trim();
    if (steps) body.config = { max_steps: Number(steps) };
    $("job-error").hidden = true;
    try { await api("POST", "/export/finetune-jobs", body); ev.target.reset(); await loadJobs(); }
    catch (e) { $("job-error").textContent = e.message; $("job-error").hidden = false; }
  });

  renderVersions();
  loadSnapshots().catch((e) => { $("snapshots").textContent = e.message; });
  loadJobs().catch((e) => { $("jobs").textContent = e.message; });
})();
