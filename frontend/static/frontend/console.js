/* Quorum moderation console: review case after case from the keyboard.
 *
 * Talks to the review API (queue, claim, heartbeat, decide, release, my wellness) with the session
 * cookie, and listens on ws/review/ for live case events (a case taken by someone else, new cases,
 * decisions, escalations). Case content arrives only through the claim API, which serves the
 * item's redacted text. SLA and lease timers tick here, against the server's clock.
 *
 * Decisions in at most two keystrokes: A allow, R remove, G age-gate (restrict), E escalate, then
 * Enter to confirm (remove and age-gate cite the case's category) or a policy code's number to cite
 * that code and confirm at once. Plain modern JS, no build step.
 */
"use strict";

(() => {
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const $ = (id) => document.getElementById(id);
  const el = {
    root: $("console"),
    caseCard: $("case"),
    caseId: $("case-id"),
    caseSla: $("case-sla"),
    leaseLeft: $("lease-left"),
    meta: $("case-meta"),
    warning: $("case-warning"),
    note: $("case-note"),
    media: $("media"),
    mediaBtn: $("media-btn"),
    mediaImg: $("media-img"),
    content: $("content"),
    reveal: $("reveal"),
    revealDialog: $("reveal-dialog"),
    revealForm: $("reveal-form"),
    revealReason: $("reveal-reason"),
    notice: $("notice"),
    codes: Array.from(document.querySelectorAll(".code-btn")),
    actions: Array.from(document.querySelectorAll(".action-btn")),
    rationale: $("rationale"),
    confirm: $("confirm"),
    release: $("release"),
    next: $("next"),
    pending: $("pending"),
    toast: $("toast"),
    history: $("history"),
    queue: document.querySelector("#queue tbody"),
    breakBanner: $("break-banner"),
    breakLeft: $("break-left"),
    wellness: $("wellness"),
    live: $("live"),
    status: $("status"),
    counts: Object.fromEntries(Array.from(document.querySelectorAll("[data-count]")).map((n) => [n.dataset.count, n])),
  };

  const categories = cfg.policy.categories;
  const byCode = new Map(categories.map((c) => [c.code, c]));
  const byIndex = new Map(categories.map((c) => [c.index, c]));
  const ACTION_KEYS = new Map(cfg.actions.map((a) => [a.key.toLowerCase(), a.action]));
  const ACTION_TITLE = new Map(cfg.actions.map((a) => [a.action, a.title]));
  const CITES = new Set(["remove", "restrict"]); // actions that must cite a policy code
  const HEARTBEAT_MS = Math.min(60, Math.max(10, Math.floor(cfg.lease_seconds / 3))) * 1000;
  const IDLE_MS = 5 * 60 * 1000;
  const EMPTY_RETRY_MS = 20 * 1000;
  const SOON_MS = 15 * 60 * 1000;
  // Server time minus client time: SLA timers count against the server's clock.
  const skew = Date.parse(cfg.server_now) - Date.now();
  const serverNow = () => Date.now() + skew;

  const state = {
    cur: null, // {case, lease, codes: Set, leaseUntil (ms), clientKey, activeMs, since, lost}
    pending: null, // the chosen action, waiting for Enter or a code
    digits: "",
    busy: false,
    breakUntil: 0,
    lastInput: Date.now(),
    mine: 0,
    rows: new Map(), // case id -> queue row
    emptyTimer: 0,
  };

  // --- HTTP -----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `Request failed (${status})`);
      this.status = status;
      this.code = err.code || "";
      this.error = err;
    }
  }

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : cfg.csrf_token;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const url = path.startsWith("/api/") ? path : cfg.api + path;
    const res = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return { status: 204, data: null };
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.status === 401) window.location.assign(`/login/?next=${encodeURIComponent(location.pathname)}`);
    if (!res.ok) throw new ApiError(res.status, data);
    return { status: res.status, data };
  }

  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // --- messages -------------------------------------------------------------------------------

  function announce(message) {
    el.status.textContent = "";
    requestAnimationFrame(() => (el.status.textContent = message));
  }

  let toastTimer = 0;
  function toast(message, kind = "info", ms = 4000) {
    el.toast.textContent = message;
    el.toast.dataset.kind = kind;
    clearTimeout(toastTimer);
    if (ms) toastTimer = setTimeout(() => (el.toast.textContent = ""), ms);
  }

  function notice(message) {
    el.notice.hidden = !message;
    el.notice.textContent = message || "";
  }

  function setState(name) {
    el.root.dataset.state = name;
    el.caseCard.setAttribute("aria-busy", String(name === "loading" || name === "saving"));
    const working = name === "working" && state.cur !== null && !state.cur.lost;
    for (const b of [...el.actions, ...el.codes, el.rationale, el.release, el.reveal]) b.disabled = !working;
    el.confirm.disabled = !working || !state.pending;
    el.next.disabled = state.cur !== null || name === "break" || name === "loading";
  }

  // --- time -----------------------------------------------------------------------------------

  function clock(ms) {
    const neg = ms < 0;
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    const body = h ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
    return neg ? `−${body}` : body;
  }

  function paintSla(node, dueIso) {
    const left = Date.parse(dueIso) - serverNow();
    node.textContent = left <= 0 ? `${clock(left)} late` : clock(left);
    node.dataset.breached = String(left <= 0);
    node.dataset.soon = String(left > 0 && left < SOON_MS);
  }

  function tick() {
    for (const node of document.querySelectorAll("[data-due]")) paintSla(node, node.dataset.due);
    const cur = state.cur;
    if (cur) {
      paintSla(el.caseSla, cur.case.due_at);
      el.leaseLeft.textContent = clock(Math.max(0, cur.leaseUntil - Date.now()));
    } else {
      el.caseSla.textContent = "--:--";
      el.caseSla.dataset.breached = "false";
      el.leaseLeft.textContent = "--:--";
    }
    el.counts.breached.textContent = String(
      Array.from(state.rows.values()).filter((r) => Date.parse(r.dataset.dueIso) <= serverNow()).length,
    );
    if (state.breakUntil) {
      const left = state.breakUntil - serverNow();
      if (left <= 0) endBreak();
      else el.breakLeft.textContent = clock(left);
    }
  }

  // --- the queue ------------------------------------------------------------------------------

  function categoryName(code) {
    const c = byCode.get(code);
    return c ? `${code} ${c.name}` : code;
  }

  function queueRow(c) {
    const tr = document.createElement("tr");
    tr.dataset.caseId = String(c.id);
    tr.dataset.dueIso = c.due_at;
    const idCell = document.createElement("td");
    const link = document.createElement("a");
    link.href = `/console/cases/${c.id}/`;
    link.textContent = `#${c.id}`;
    idCell.append(link);
    if (c.is_qa) idCell.append(" ", Object.assign(document.createElement("span"), { className: "badge", textContent: "QA" }));
    const cat = document.createElement("td");
    cat.textContent = c.category;
    cat.title = categoryName(c.category);
    const sev = document.createElement("td");
    sev.append(Object.assign(document.createElement("span"), { className: "sev", textContent: String(c.severity) }));
    sev.firstChild.dataset.sev = String(c.severity);
    const tier = document.createElement("td");
    tier.textContent = ["", "L1", "L2", "Spec"][c.tier] || String(c.tier);
    const sla = document.createElement("td");
    sla.className = "sla";
    sla.dataset.due = c.due_at;
    paintSla(sla, c.due_at);
    tr.append(idCell, cat, sev, tier, sla);
    markTaken(tr, c.state === "in_review" && c.leased_until && Date.parse(c.leased_until) > serverNow(), c.assignee);
    return tr;
  }

  function markTaken(tr, taken, by) {
    tr.dataset.taken = String(Boolean(taken) && by !== cfg.me.id);
    tr.dataset.mine = String(Boolean(taken) && by === cfg.me.id);
    tr.title = taken ? (by === cfg.me.id ? "You are reviewing this case" : "Being reviewed by someone else") : "";
  }

  function dropRow(caseId) {
    const row = state.rows.get(caseId);
    if (row) row.remove();
    state.rows.delete(caseId);
  }

  function renderQueue(list) {
    state.rows.clear();
    const rows = list.map((c) => {
      const tr = queueRow(c);
      state.rows.set(c.id, tr);
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.innerHTML = '<td colspan="5" class="muted">Nothing waiting at your tier.</td>';
      rows.push(tr);
    }
    el.queue.replaceChildren(...rows);
    el.counts.waiting.textContent = String(list.filter((c) => c.state !== "in_review").length);
    tick();
  }

  async function loadQueue() {
    try {
      const { data } = await api("GET", "/cases/queue?limit=50");
      renderQueue(data || []);
    } catch (e) {
      toast(`Could not load the queue: ${e.message}`, "error");
    }
  }

  let queueTimer = 0;
  function refreshQueueSoon() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(loadQueue, 600);
  }

  async function loadWellness() {
    try {
      const { data } = await api("GET", "/review/me/wellness");
      const parts = data.exposure.filter((e) => e.cap !== null || e.items).map((e) => (e.cap !== null ? `${e.category} ${e.items}/${e.cap}` : `${e.category} ${e.items}`));
      let text = parts.length ? `Today: ${parts.join(" · ")}` : "";
      if (data.capped.length) text += ` — daily limit reached for ${data.capped.join(", ")}: no more of those today.`;
      el.wellness.textContent = text;
      if (data.break_until) startBreak(data.break_until);
    } catch {
      /* the wellness line is informative only */
    }
  }

  // --- breaks ---------------------------------------------------------------------------------

  function startBreak(untilIso) {
    state.breakUntil = Date.parse(untilIso);
    el.breakBanner.hidden = false;
    setState("break");
    announce("Break time: new cases resume after the break.");
    tick();
  }

  function endBreak() {
    state.breakUntil = 0;
    el.breakBanner.hidden = true;
    if (!state.cur) setState("idle");
    announce("Break over: press N for the next case.");
  }

  // --- the case -------------------------------------------------------------------------------

  function chip(text, title) {
    const span = document.createElement("span");
    span.className = "chip";
    span.textContent = text;
    if (title) span.title = title;
    return span;
  }

  // Media from imported data: only web links and inline images become an <img> (never javascript:).
  function safeMedia(value) {
    if (!value || typeof value !== "string") return "";
    if (/^data:image\/(png|jpe?g|gif|webp|svg\+xml)[;,]/i.test(value)) return value;
    try {
      const url = new URL(value, location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
    } catch {
      return "";
    }
  }

  function renderHistory(history) {
    if (!history || !history.length) {
      el.history.replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: "None." }));
      return;
    }
    el.history.replaceChildren(
      ...history.map((h) => {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = `/console/cases/${h.id}/`;
        a.textContent = `Case #${h.id}`;
        const last = (h.decisions || []).filter((d) => d.action !== "escalate").pop();
        const outcome = last ? `${ACTION_TITLE.get(last.action) || last.action}${last.policy_codes.length ? ` (${last.policy_codes.join(", ")})` : ""}` : h.state;
        li.append(a, ` · ${categoryName(h.category)} · sev ${h.severity} · ${outcome} · ${new Date(h.created_at).toLocaleDateString()}`);
        return li;
      }),
    );
  }

  function show({ lease, case: c }) {
    clearTimeout(state.emptyTimer);
    const defaultCodes = byCode.has(c.category) ? [c.category] : [];
    state.cur = {
      case: c,
      lease,
      codes: new Set(defaultCodes),
      leaseUntil: Date.now() + Number(lease.seconds_left || 0) * 1000,
      clientKey: uuid4(),
      activeMs: 0,
      since: document.visibilityState === "visible" ? performance.now() : null,
      lost: false,
    };
    state.pending = null;
    state.digits = "";
    el.caseId.textContent = `#${c.id}`;
    el.caseCard.dataset.caseId = String(c.id);
    const chips = [
      chip(categoryName(c.category), "Category reported"),
      chip(`severity ${c.severity}`),
      chip(["", "L1", "L2", "Specialist"][c.tier] || `tier ${c.tier}`),
      chip(c.source.replace(/_/g, " ")),
    ];
    if (c.report_count > 1) chips.push(chip(`${c.report_count} reports`));
    if (c.is_appeal) chips.push(Object.assign(document.createElement("span"), { className: "badge", textContent: "Appeal" }));
    if (c.is_qa) chips.push(Object.assign(document.createElement("span"), { className: "badge", textContent: "QA · blind" }));
    if (c.content.source_system) chips.push(chip(c.content.source_system));
    el.meta.replaceChildren(...chips);
    el.warning.hidden = !c.warning;
    el.warning.textContent = c.warning ? `Content warning (${c.category}): ${c.warning}` : "";
    el.note.hidden = !c.note;
    el.note.textContent = c.note ? `Reporter's note: ${c.note}` : "";
    const media = safeMedia(c.content.media);
    el.media.hidden = !media;
    el.mediaBtn.setAttribute("aria-pressed", "false");
    if (media) el.mediaImg.src = media;
    else el.mediaImg.removeAttribute("src");
    el.content.textContent = c.content.text || "";
    el.rationale.value = "";
    renderHistory(c.history);
    notice("");
    setState("working");
    renderDecision();
    tick();
    el.content.focus({ preventScroll: true });
    announce(`Case ${c.id}: ${categoryName(c.category)}, severity ${c.severity}.`);
    const row = state.rows.get(c.id);
    if (row) markTaken(row, true, cfg.me.id);
  }

  function clearCase(message) {
    state.cur = null;
    state.pending = null;
    state.digits = "";
    el.caseId.textContent = "";
    el.caseCard.dataset.caseId = "";
    el.meta.replaceChildren();
    el.warning.hidden = true;
    el.note.hidden = true;
    el.media.hidden = true;
    el.mediaImg.removeAttribute("src");
    el.content.replaceChildren(Object.assign(document.createElement("span"), { className: "placeholder", textContent: message }));
    el.rationale.value = "";
    renderHistory([]);
    renderDecision();
    tick();
  }

  function renderDecision() {
    const cur = state.cur;
    const p = state.pending;
    for (const b of el.actions) b.setAttribute("aria-pressed", String(Boolean(p) && p === b.dataset.action));
    for (const b of el.codes) {
      const on = Boolean(cur) && cur.codes.has(b.dataset.code) && p !== "allow";
      b.setAttribute("aria-pressed", String(on));
      b.dataset.current = String(Boolean(cur) && cur.case.category === b.dataset.code);
    }
    el.confirm.disabled = !cur || !p || cur.lost;
    if (!cur || !p) {
      el.pending.textContent = cur ? "A allow · R remove · G age-gate · E escalate" : "";
      return;
    }
    const codes = Array.from(cur.codes);
    let text = ACTION_TITLE.get(p) || p;
    if (p !== "allow") text += codes.length ? ` under ${codes.join(", ")}` : CITES.has(p) ? " — pick a policy code" : "";
    if (state.digits) text += ` · code ${state.digits}…`;
    el.pending.textContent = `${text} — Enter confirms, a code's number cites it, Esc cancels.`;
  }

  function choose(action) {
    if (!state.cur || state.cur.lost || state.busy) return;
    state.pending = action;
    state.digits = "";
    renderDecision();
  }

  function cancel() {
    state.pending = null;
    state.digits = "";
    renderDecision();
  }

  // Digits after an action cite the policy code with that number and confirm, as soon as no
  // longer number could be meant (with 14 codes: "3" is S3 at once; "1" waits for "0"–"4" or Enter).
  function digit(d) {
    const cur = state.cur;
    if (!cur || !state.pending || state.pending === "allow") return;
    const buffer = state.digits + d;
    const n = Number(buffer);
    if (!byIndex.has(n)) {
      state.digits = "";
      toast(`No policy code number ${buffer}.`, "warn");
      renderDecision();
      return;
    }
    cur.codes = new Set([byIndex.get(n).code]);
    const longer = categories.some((c) => c.index > n && String(c.index).startsWith(buffer));
    if (longer) {
      state.digits = buffer;
      renderDecision();
      return;
    }
    state.digits = "";
    renderDecision();
    confirm();
  }

  function timeSpent(cur) {
    return Math.round(cur.activeMs + (cur.since === null ? 0 : performance.now() - cur.since));
  }

  document.addEventListener("visibilitychange", () => {
    const cur = state.cur;
    if (!cur) return;
    if (document.visibilityState === "hidden" && cur.since !== null) {
      cur.activeMs += performance.now() - cur.since;
      cur.since = null;
    } else if (document.visibilityState === "visible" && cur.since === null) {
      cur.since = performance.now();
    }
  });

  async function confirm() {
    const cur = state.cur;
    const action = state.pending;
    if (!cur || !action || state.busy || cur.lost) return;
    const codes = action === "allow" ? [] : Array.from(cur.codes);
    if (CITES.has(action) && !codes.length) {
      toast("Pick the policy code this breaks: its number, or click it.", "warn");
      return;
    }
    state.busy = true;
    setState("saving");
    const body = {
      action,
      policy_codes: codes,
      rationale: el.rationale.value.trim(),
      time_spent_ms: timeSpent(cur),
      client_key: cur.clientKey,
    };
    try {
      await api("POST", `/cases/${cur.case.id}/decide`, body);
      state.mine += 1;
      el.counts.mine.textContent = String(state.mine);
      const done = `${ACTION_TITLE.get(action) || action}${codes.length ? ` · ${codes.join(", ")}` : ""}`;
      toast(`Case #${cur.case.id}: ${done}`, "ok");
      dropRow(cur.case.id);
      announce(`Decided: ${done}.`);
      clearCase("Loading the next case…");
      state.busy = false;
      loadWellness();
      refreshQueueSoon();
      claimNext();
      return;
    } catch (e) {
      if (e.code === "not_held" || e.code === "lease_expired") {
        cur.lost = true;
        notice("This case is no longer yours: your time on it ran out and someone else took it. Press N for another.");
        clearCase("This case went to someone else.");
      } else {
        toast(e.message, "error", 8000);
      }
    }
    state.busy = false;
    setState(state.cur ? "working" : "idle");
    renderDecision();
  }

  async function claimNext() {
    if (state.busy || state.cur || state.breakUntil) return;
    state.busy = true;
    clearTimeout(state.emptyTimer);
    setState("loading");
    try {
      const res = await api("POST", "/cases/claim");
      state.busy = false;
      if (res.status === 204) {
        clearCase("Nothing for you right now. New cases appear here; press N to look again.");
        setState("empty");
        state.emptyTimer = setTimeout(() => state.cur || claimNext(), EMPTY_RETRY_MS);
        return;
      }
      show(res.data);
    } catch (e) {
      state.busy = false;
      if (e.code === "break_required") {
        clearCase("On a break.");
        startBreak(e.error.break_until);
        return;
      }
      clearCase("Could not get a case.");
      setState("idle");
      toast(e.message, "error", 8000);
    }
  }

  async function release() {
    const cur = state.cur;
    if (!cur || state.busy) return;
    state.busy = true;
    try {
      await api("POST", `/cases/${cur.case.id}/release`);
      toast(`Case #${cur.case.id} is back in the queue.`);
    } catch (e) {
      toast(e.message, "error");
    }
    state.busy = false;
    clearCase("Press N to review the next case.");
    setState("idle");
    refreshQueueSoon();
  }

  async function heartbeat() {
    const cur = state.cur;
    if (!cur || cur.lost || Date.now() - state.lastInput > IDLE_MS) return;
    try {
      const { data } = await api("POST", `/cases/${cur.case.id}/heartbeat`);
      if (state.cur === cur) cur.leaseUntil = Date.now() + Number(data.seconds_left || 0) * 1000;
    } catch (e) {
      if (e.code === "not_held" || e.code === "lease_expired") {
        cur.lost = true;
        notice("Your time on this case ran out and it went to someone else.");
        setState("working");
      }
    }
  }

  async function requestReveal(reason) {
    const cur = state.cur;
    if (!cur) return;
    try {
      const r = await api("POST", cfg.reveal_url.replace("{id}", String(cur.case.id)), { reason });
      const redacted = cur.case.content.text || "";
      const until = new Date(r.expires_at);
      el.content.textContent = r.text;
      el.content.classList.add("revealed");
      el.content.title = `Original, revealed until ${until.toLocaleTimeString()} (audited)`;
      toast(`Original revealed until ${until.toLocaleTimeString()}; this was recorded in the audit log.`, "ok", 6000);
      const hide = () => {
        if (state.cur === cur) {
          el.content.textContent = redacted;
          el.content.classList.remove("revealed");
          el.content.title = "";
        }
      };
      setTimeout(hide, Math.max(0, until.getTime() - Date.now()));
    } catch (e) {
      toast(e.message, "warn", 8000);
    }
  }

  // --- live events ----------------------------------------------------------------------------

  function onEvent(ev) {
    if (!ev || typeof ev.type !== "string") return;
    const cur = state.cur;
    if (ev.type === "case.claimed") {
      const row = state.rows.get(ev.case);
      if (row) {
        markTaken(row, true, ev.by);
        if (ev.by !== cfg.me.id) row.classList.add("flash");
      }
      if (cur && ev.case === cur.case.id && ev.by !== cfg.me.id) {
        cur.lost = true;
        notice("Someone else took this case over: your time on it ran out.");
        setState("working");
        renderDecision();
      }
    } else if (ev.type === "case.removed" || ev.state === "decided" || (ev.tier && ev.tier > cfg.me.tier)) {
      dropRow(ev.case); // out of this reviewer's queue
    } else if (ev.type === "case.released") {
      const row = state.rows.get(ev.case);
      if (row) markTaken(row, false, null);
    }
    refreshQueueSoon();
    if (ev.type === "case.created" && !state.cur && el.root.dataset.state === "empty") claimNext();
  }

  function connect(delay = 1000) {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${cfg.ws}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      return;
    }
    const setLive = (v, title) => {
      el.live.dataset.live = v;
      el.live.textContent = v;
      el.live.title = title;
    };
    ws.addEventListener("open", () => {
      delay = 1000;
      setLive("live", "Live updates: connected");
      loadQueue();
    });
    ws.addEventListener("message", (m) => {
      try {
        onEvent(JSON.parse(m.data));
      } catch {
        /* ignore malformed frames */
      }
    });
    ws.addEventListener("close", (e) => {
      if (e.code === 4403) {
        setLive("offline", "Live updates are not available to you");
        return;
      }
      setLive("offline", "Live updates: reconnecting");
      setTimeout(() => connect(Math.min(delay * 2, 30000)), delay + Math.random() * 500);
    });
  }

  // --- keyboard and mouse ---------------------------------------------------------------------

  function typing(target) {
    return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement;
  }

  document.addEventListener("keydown", (e) => {
    state.lastInput = Date.now();
    if (el.revealDialog.open) return;
    if (typing(e.target)) {
      if (e.key === "Escape") {
        e.preventDefault();
        el.content.focus({ preventScroll: true });
      } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        confirm();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (ACTION_KEYS.has(key)) {
      e.preventDefault();
      choose(ACTION_KEYS.get(key));
    } else if (/^[0-9]$/.test(key)) {
      e.preventDefault();
      digit(key);
    } else if (key === "Enter") {
      if (e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement) return;
      e.preventDefault();
      if (state.pending) confirm();
      else if (!state.cur) claimNext();
    } else if (key === "Escape") {
      cancel();
    } else if (key === "n") {
      e.preventDefault();
      claimNext();
    } else if (key === "l") {
      e.preventDefault();
      release();
    } else if (key === "c" && state.cur) {
      e.preventDefault();
      el.rationale.focus();
    } else if (key === "v" && state.cur && !el.media.hidden) {
      e.preventDefault();
      el.mediaBtn.click();
    }
  });
  document.addEventListener("pointerdown", () => (state.lastInput = Date.now()));

  for (const b of el.actions) b.addEventListener("click", () => choose(b.dataset.action));
  for (const b of el.codes) {
    b.addEventListener("click", () => {
      const cur = state.cur;
      if (!cur) return;
      if (cur.codes.has(b.dataset.code)) cur.codes.delete(b.dataset.code);
      else cur.codes.add(b.dataset.code);
      renderDecision();
    });
  }
  el.confirm.addEventListener("click", confirm);
  el.release.addEventListener("click", release);
  el.next.addEventListener("click", claimNext);
  el.mediaBtn.addEventListener("click", () => {
    const on = el.mediaBtn.getAttribute("aria-pressed") !== "true";
    el.mediaBtn.setAttribute("aria-pressed", String(on));
  });
  el.reveal.addEventListener("click", () => {
    el.revealForm.reset();
    el.revealDialog.returnValue = "";
    el.revealDialog.showModal();
  });
  el.revealDialog.addEventListener("close", () => {
    if (el.revealDialog.returnValue === "reveal") requestReveal(el.revealReason.value.trim());
    el.content.focus({ preventScroll: true });
  });

  // --- start ----------------------------------------------------------------------------------

  clearCase("Press N to review the next case.");
  setState("idle");
  setInterval(tick, 1000);
  setInterval(heartbeat, HEARTBEAT_MS);
  setInterval(loadQueue, 30000);
  loadQueue();
  loadWellness();
  connect();
})();
