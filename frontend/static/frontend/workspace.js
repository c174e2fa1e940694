/* Quorum annotator workspace: label item after item from the keyboard.
 *
 * Talks to the queue API (claim, heartbeat, submit, skip, undo, queue counts) with the session
 * cookie and listens on the project's websocket for live counts and pause/resume. Items arrive
 * only through the claim API, which serves redacted text. Plain modern JS, no build step.
 *
 * Span offsets are in Unicode code points, as the server counts them (Python str indices), not
 * in UTF-16 units as JS strings do; the two differ for emoji and other astral characters.
 */
"use strict";

(() => {
  const cfg = JSON.parse(document.getElementById("workspace-config").textContent);
  const $ = (id) => document.getElementById(id);
  const el = {
    root: $("workspace"),
    item: $("item"),
    itemId: $("item-id"),
    meta: $("item-meta"),
    text: $("item-text"),
    notice: $("notice"),
    suggestion: $("suggestion"),
    labels: Array.from(document.querySelectorAll(".label-btn")),
    spans: $("spans"),
    comment: $("comment"),
    submit: $("submit"),
    skip: $("skip"),
    undo: $("undo"),
    toast: $("toast"),
    lease: $("lease"),
    leaseLeft: $("lease-left"),
    leaseBar: $("lease-bar"),
    paused: $("paused-banner"),
    live: $("live"),
    status: $("status"),
    skipDialog: $("skip-dialog"),
    skipForm: $("skip-form"),
    skipReason: $("skip-reason"),
    counts: Object.fromEntries(
      Array.from(document.querySelectorAll("[data-count]")).map((n) => [n.dataset.count, n]),
    ),
  };

  const HEARTBEAT_MS = Math.min(60, Math.max(10, Math.floor(cfg.lease_seconds / 3))) * 1000;
  const IDLE_MS = 5 * 60 * 1000; // no heartbeats after this long without input: the lease may lapse
  const EMPTY_RETRY_MS = 20 * 1000;
  const SLOW_MS = 250; // only show "loading" when the next item takes longer than this
  const labelIndex = new Map(cfg.labels.map((l, i) => [l.value, i]));
  const labelTitle = new Map(cfg.labels.map((l) => [l.value, l.title]));

  const state = {
    cur: null, // the item on screen: see makeCurrent()
    busy: false, // a submit/skip/undo/claim is in flight
    paused: Boolean(cfg.project.paused),
    empty: false,
    expired: false,
    lastSubmit: null, // {annotationId, undoUntil (ms, performance clock), payload, itemId}
    lastInput: performance.now(),
    counts: {},
  };

  // --- HTTP -----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `Request failed (${status})`);
      this.status = status;
      this.code = err.code || "";
      this.details = err.details || [];
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
    const res = await fetch(cfg.api + path, {
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
    if (res.status === 401 || res.status === 403) {
      if (res.status === 401 || /sign in|authenticat/i.test((data && data.error && data.error.message) || "")) {
        window.location.assign(`/login/?next=${encodeURIComponent(window.location.pathname)}`);
      }
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return { status: res.status, data };
  }

  // Retries only when the request may not have reached the server (network error) or the server
  // was briefly unavailable; the submit's client_key makes a repeat harmless.
  async function apiRetry(method, path, body, tries = 3) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await api(method, path, body);
      } catch (e) {
        const transient = !(e instanceof ApiError) || e.status >= 502;
        if (!transient || attempt >= tries) throw e;
        await new Promise((r) => setTimeout(r, 400 * attempt));
      }
    }
  }

  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // --- messages -------------------------------------------------------------------------------

  function announce(message) {
    el.status.textContent = "";
    // A fresh text node makes screen readers repeat an identical message.
    requestAnimationFrame(() => {
      el.status.textContent = message;
    });
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

  // --- the current item -----------------------------------------------------------------------

  function makeCurrent(lease) {
    const item = lease.item || {};
    const text = item.text || "";
    const chars = Array.from(text);
    const u16 = new Array(chars.length + 1);
    u16[0] = 0;
    for (let i = 0; i < chars.length; i++) u16[i + 1] = u16[i] + chars[i].length;
    return {
      lease,
      item,
      chars,
      u16,
      selected: new Set(),
      spans: [],
      anchor: 0,
      caret: 0,
      clientKey: uuid4(),
      deadline: performance.now() + Number(lease.seconds_left || 0) * 1000,
      activeMs: 0,
      since: document.visibilityState === "visible" ? performance.now() : null,
    };
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

  function show(lease, restore) {
    const cur = makeCurrent(lease);
    state.cur = cur;
    state.empty = false;
    state.expired = false;
    const sug = lease.suggestion;
    if (restore) {
      (restore.labels || []).forEach((v) => labelIndex.has(v) && cur.selected.add(v));
      cur.spans = (restore.spans || []).map((s) => ({ ...s }));
    } else if (sug && !cfg.spans) {
      const picks = (sug.labels || []).filter((v) => labelIndex.has(v));
      (cfg.multi ? picks : picks.slice(0, 1)).forEach((v) => cur.selected.add(v));
    }
    if (el.comment) el.comment.value = (restore && restore.comment) || "";
    el.itemId.textContent = cur.item.external_id ? `· ${cur.item.external_id}` : "";
    el.item.dataset.itemId = String(cur.item.id ?? "");
    renderMeta(cur.item);
    renderSuggestion(sug);
    notice("");
    setState("working");
    renderText();
    renderLabels();
    renderSpans();
    tickLease();
    el.text.focus({ preventScroll: true }); // a new item starts in the text, even after Ctrl+Enter
  }

  function clearItem(message) {
    state.cur = null;
    el.itemId.textContent = "";
    el.item.dataset.itemId = "";
    el.meta.replaceChildren();
    renderSuggestion(null);
    el.text.replaceChildren(Object.assign(document.createElement("span"), { className: "placeholder", textContent: message }));
    if (el.comment) el.comment.value = "";
    renderLabels();
    renderSpans();
    tickLease();
  }

  function setState(name) {
    el.root.dataset.state = name;
    el.item.setAttribute("aria-busy", String(name === "loading" || name === "saving"));
    const working = (name === "working" || name === "expired") && state.cur !== null;
    el.submit.disabled = !working;
    el.skip.disabled = !working;
  }

  // Item fields come from imported data: only web links become links (never javascript: and such).
  function safeUrl(value) {
    if (!value || typeof value !== "string") return "";
    try {
      const url = new URL(value, location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
    } catch {
      return "";
    }
  }

  function renderMeta(item) {
    const chips = [];
    const meta = item.metadata && typeof item.metadata === "object" ? item.metadata : {};
    for (const [k, v] of Object.entries(meta).slice(0, 8)) {
      if (v === null || typeof v === "object") continue;
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = `${k}: ${v}`;
      chips.push(chip);
    }
    const media = safeUrl(item.media);
    if (media) {
      const a = document.createElement("a");
      a.className = "chip";
      a.href = media;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = "media ↗";
      chips.push(a);
    }
    el.meta.replaceChildren(...chips);
  }

  function renderSuggestion(sug) {
    for (const b of el.labels) {
      b.querySelector(".conf").textContent = "";
      delete b.dataset.suggested;
    }
    if (!sug || !Array.isArray(sug.labels) || !sug.labels.length) {
      el.suggestion.hidden = true;
      return;
    }
    const pct = typeof sug.confidence === "number" ? `${Math.round(sug.confidence * 100)}%` : "";
    const names = sug.labels.map((v) => labelTitle.get(v) || v).join(", ");
    el.suggestion.hidden = false;
    el.suggestion.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = names;
    el.suggestion.append("Model suggestion: ", strong);
    if (pct) el.suggestion.append(` · ${pct} confidence`);
    if (sug.model_version) {
      const small = document.createElement("span");
      small.className = "muted";
      small.textContent = ` · ${sug.model_version}`;
      el.suggestion.append(small);
    }
    if (!cfg.spans) el.suggestion.append(" — pre-selected, change it if it is wrong.");
    for (const v of sug.labels) {
      const b = el.labels[labelIndex.get(v)];
      if (!b) continue;
      b.dataset.suggested = "true";
      if (pct) b.querySelector(".conf").textContent = pct;
    }
  }

  function renderLabels() {
    const cur = state.cur;
    for (const b of el.labels) {
      const on = Boolean(cur && cur.selected.has(b.dataset.label));
      b.setAttribute("aria-pressed", String(on));
      b.disabled = !cur;
    }
  }

  // --- text and spans -------------------------------------------------------------------------

  function selRange(cur) {
    return [Math.min(cur.anchor, cur.caret), Math.max(cur.anchor, cur.caret)];
  }

  function renderText() {
    const cur = state.cur;
    if (!cur) return;
    const n = cur.chars.length;
    const [s0, s1] = selRange(cur);
    const cuts = new Set([0, n, s0, s1]);
    if (cfg.spans) cuts.add(cur.caret);
    for (const sp of cur.spans) {
      cuts.add(sp.start);
      cuts.add(sp.end);
    }
    const points = Array.from(cuts).filter((x) => x >= 0 && x <= n).sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    const caret = () => {
      const c = document.createElement("span");
      c.className = "caret";
      c.setAttribute("aria-hidden", "true");
      return c;
    };
    if (!n) {
      frag.append(Object.assign(document.createElement("span"), { className: "placeholder", textContent: "(this item has no text)" }));
    }
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i];
      const b = points[i + 1];
      if (cfg.spans && a === cur.caret && s0 === s1) frag.append(caret());
      const seg = document.createElement("span");
      seg.textContent = cur.chars.slice(a, b).join("");
      const covering = cur.spans.filter((sp) => sp.start <= a && b <= sp.end);
      if (covering.length) {
        seg.className = "hl";
        seg.dataset.color = String(labelIndex.get(covering[0].label) % 9);
        if (covering.length > 1) seg.classList.add("hl-multi");
      }
      if (a >= s0 && b <= s1 && s0 < s1) seg.classList.add("sel");
      frag.append(seg);
      for (const sp of cur.spans) {
        if (sp.end === b) {
          const tag = document.createElement("span");
          tag.className = "tag";
          tag.dataset.color = String(labelIndex.get(sp.label) % 9);
          tag.dataset.tag = labelTitle.get(sp.label) || sp.label; // drawn by CSS: adds no text
          tag.setAttribute("aria-hidden", "true");
          frag.append(tag);
        }
      }
    }
    if (cfg.spans && n && cur.caret === n && s0 === s1) frag.append(caret());
    el.text.replaceChildren(frag);
  }

  function renderSpans() {
    if (!el.spans) return;
    const cur = state.cur;
    const rows = [];
    for (const [i, sp] of (cur ? cur.spans : []).entries()) {
      const li = document.createElement("li");
      const tag = document.createElement("span");
      tag.className = "chip";
      tag.dataset.color = String(labelIndex.get(sp.label) % 9);
      tag.textContent = labelTitle.get(sp.label) || sp.label;
      const q = document.createElement("q");
      q.textContent = cur.chars.slice(sp.start, sp.end).join("");
      const rm = document.createElement("button");
      rm.type = "button";
      rm.className = "link";
      rm.textContent = "Remove";
      rm.setAttribute("aria-label", `Remove ${tag.textContent} span “${q.textContent}”`);
      rm.addEventListener("mousedown", (e) => e.preventDefault());
      rm.addEventListener("click", () => {
        cur.spans.splice(i, 1);
        renderText();
        renderSpans();
        el.text.focus({ preventScroll: true });
      });
      li.append(tag, " ", q, " ", rm);
      rows.push(li);
    }
    if (!rows.length) {
      const li = document.createElement("li");
      li.className = "muted none";
      li.textContent = "No spans yet.";
      rows.push(li);
    }
    el.spans.replaceChildren(...rows);
  }

  function cpFromU16(cur, u) {
    let lo = 0;
    let hi = cur.chars.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cur.u16[mid] <= u) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  function offsetOf(node, offset) {
    const r = document.createRange();
    r.selectNodeContents(el.text);
    r.setEnd(node, offset);
    return cpFromU16(state.cur, r.toString().length);
  }

  // Mouse selection becomes the workspace's own selection, the same one Shift+arrows extend.
  el.text.addEventListener("mouseup", () => {
    if (!cfg.spans) return; // elsewhere a mouse selection is just a selection (to copy, say)
    const cur = state.cur;
    const sel = window.getSelection();
    if (!cur || !sel || !sel.rangeCount) return;
    const r = sel.getRangeAt(0);
    if (!el.text.contains(r.startContainer) || !el.text.contains(r.endContainer)) return;
    const start = offsetOf(r.startContainer, r.startOffset);
    const end = offsetOf(r.endContainer, r.endOffset);
    const backwards = sel.anchorNode === r.endContainer && sel.anchorOffset === r.endOffset && !r.collapsed;
    cur.anchor = backwards ? end : start;
    cur.caret = backwards ? start : end;
    sel.removeAllRanges();
    renderText();
    el.text.focus({ preventScroll: true });
    if (start !== end) announce(`Selected “${cur.chars.slice(start, end).join("")}”. Press a number to label it.`);
  });

  const WORD = /[\p{L}\p{N}_'’-]/u;

  function wordStep(cur, from, dir) {
    const c = cur.chars;
    let i = from;
    if (dir > 0) {
      while (i < c.length && !WORD.test(c[i])) i++;
      while (i < c.length && WORD.test(c[i])) i++;
    } else {
      while (i > 0 && !WORD.test(c[i - 1])) i--;
      while (i > 0 && WORD.test(c[i - 1])) i--;
    }
    return i;
  }

  function moveCaret(ev) {
    const cur = state.cur;
    if (!cur) return false;
    const n = cur.chars.length;
    const byWord = ev.ctrlKey || ev.altKey;
    let to;
    switch (ev.key) {
      case "ArrowLeft":
        to = byWord ? wordStep(cur, cur.caret, -1) : Math.max(0, cur.caret - 1);
        break;
      case "ArrowRight":
        to = byWord ? wordStep(cur, cur.caret, 1) : Math.min(n, cur.caret + 1);
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = n;
        break;
      default:
        return false;
    }
    if (!ev.shiftKey && cur.anchor !== cur.caret && !byWord && (ev.key === "ArrowLeft" || ev.key === "ArrowRight")) {
      // Like a text field: an arrow without Shift collapses the selection to that side.
      to = ev.key === "ArrowLeft" ? Math.min(cur.anchor, cur.caret) : Math.max(cur.anchor, cur.caret);
    }
    cur.caret = to;
    if (!ev.shiftKey) cur.anchor = to;
    renderText();
    const [s0, s1] = selRange(cur);
    if (s0 < s1) announce(cur.chars.slice(s0, s1).join(""));
    return true;
  }

  function addSpan(label) {
    const cur = state.cur;
    let [start, end] = selRange(cur);
    while (start < end && /\s/u.test(cur.chars[start])) start++;
    while (end > start && /\s/u.test(cur.chars[end - 1])) end--;
    if (start >= end) {
      toast("Select some text first (mouse, or Shift+arrow keys), then press a number.", "warn");
      return;
    }
    const same = cur.spans.find((s) => s.start === start && s.end === end);
    if (same) {
      same.label = label;
    } else {
      if (!cfg.allow_overlapping_spans) {
        const before = cur.spans.length;
        cur.spans = cur.spans.filter((s) => s.end <= start || s.start >= end);
        if (cur.spans.length < before) toast(`Replaced ${before - cur.spans.length} overlapping span(s).`);
      }
      cur.spans.push({ start, end, label });
      cur.spans.sort((a, b) => a.start - b.start || a.end - b.end);
    }
    cur.anchor = cur.caret = end;
    renderText();
    renderSpans();
    announce(`${labelTitle.get(label)}: “${cur.chars.slice(start, end).join("")}”`);
  }

  function removeSpanAtCaret() {
    const cur = state.cur;
    const [s0, s1] = selRange(cur);
    const hit = (s) => (s0 < s1 ? s.start < s1 && s.end > s0 : s.start <= cur.caret && cur.caret <= s.end);
    const before = cur.spans.length;
    cur.spans = cur.spans.filter((s) => !hit(s));
    if (cur.spans.length === before) return;
    renderText();
    renderSpans();
    announce(`Removed ${before - cur.spans.length} span(s).`);
  }

  // --- labels ---------------------------------------------------------------------------------

  function pick(index) {
    const cur = state.cur;
    const label = cfg.labels[index];
    if (!cur || !label) return;
    if (cfg.spans) {
      addSpan(label.value);
      return;
    }
    const v = label.value;
    if (cfg.multi) {
      if (cur.selected.has(v)) cur.selected.delete(v);
      else if (cfg.max_labels && cur.selected.size >= cfg.max_labels) {
        toast(`At most ${cfg.max_labels} labels.`, "warn");
        return;
      } else cur.selected.add(v);
    } else {
      cur.selected.clear();
      cur.selected.add(v);
    }
    renderLabels();
    announce(`${label.title} ${cur.selected.has(v) ? "selected" : "cleared"}`);
  }

  for (const b of el.labels) {
    b.addEventListener("mousedown", (e) => e.preventDefault()); // keep focus where typing happens
    b.addEventListener("click", () => pick(Number(b.dataset.index)));
  }

  // --- queue operations -----------------------------------------------------------------------

  let emptyTimer = 0;
  let slowTimer = 0;
  const PAUSED_PROBE_MS = 60 * 1000; // in case the resume event was missed while offline

  function setPaused(paused) {
    state.paused = paused;
    el.paused.hidden = !paused;
    if (paused && !state.cur) {
      clearItem("The project is paused. Items will appear here when it resumes.");
      setState("paused");
      clearTimeout(emptyTimer);
      emptyTimer = setTimeout(() => !state.cur && claimNext(true), PAUSED_PROBE_MS);
    }
    if (!paused && !state.cur && !state.busy) claimNext();
  }

  // ``probe``: ask the server even while the page believes the project is paused.
  async function claimNext(probe = false) {
    clearTimeout(emptyTimer);
    if (state.paused && !probe) {
      setPaused(true);
      return;
    }
    state.busy = true;
    clearTimeout(slowTimer);
    slowTimer = setTimeout(() => {
      if (state.busy && !state.cur) {
        clearItem("Loading the next item…");
        setState("loading");
      }
    }, SLOW_MS);
    try {
      const { status, data } = await apiRetry("POST", `/projects/${cfg.project.id}/claim`);
      if (status === 204 || !data || !data.lease) {
        state.empty = true;
        clearItem("The queue is empty. New items will appear here as soon as there are any.");
        setState("empty");
        emptyTimer = setTimeout(() => !state.cur && claimNext(), EMPTY_RETRY_MS);
        if (state.paused) {
          state.paused = false;
          el.paused.hidden = true;
        }
      } else {
        if (state.paused) {
          state.paused = false;
          el.paused.hidden = true;
        }
        show(data.lease);
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setPaused(true);
      } else {
        clearItem("Could not load an item. Retrying…");
        setState("error");
        toast(e.message, "error");
        emptyTimer = setTimeout(() => !state.cur && claimNext(), 5000);
      }
    } finally {
      clearTimeout(slowTimer);
      state.busy = false;
    }
  }

  function leaseLost(message) {
    state.cur = null;
    toast(message, "warn", 6000);
    claimNext();
  }

  async function submit() {
    const cur = state.cur;
    if (!cur || state.busy) return;
    const labels = cfg.spans ? [] : cfg.labels.map((l) => l.value).filter((v) => cur.selected.has(v));
    if (!cfg.spans && !labels.length) {
      toast(`Pick a label first (keys 1–${Math.min(9, cfg.labels.length)}).`, "warn");
      return;
    }
    const payload = {
      labels,
      spans: cfg.spans ? cur.spans.map(({ start, end, label }) => ({ start, end, label })) : [],
      comment: el.comment ? el.comment.value.trim() : "",
      time_spent_ms: timeSpent(cur),
      client_key: cur.clientKey,
    };
    state.busy = true;
    setState("saving");
    let res;
    try {
      res = await apiRetry("POST", `/leases/${cur.lease.id}/submit`, payload);
    } catch (e) {
      state.busy = false;
      if (e instanceof ApiError && [404, 409, 410].includes(e.status) && e.code !== "invalid") {
        leaseLost(`${e.message} Loading another item.`);
        return;
      }
      setState("working");
      const detail = e.details && e.details.length ? ` ${e.details.map((d) => d.message).join(" ")}` : "";
      toast(`${e.message}${detail}`, "error", 8000);
      return;
    }
    // Pipeline: ask for the next item before doing anything else with the answer.
    state.cur = null;
    state.busy = false;
    const next = claimNext();
    const data = res.data || {};
    const ann = data.annotation || {};
    // The undo window's length from two server times, so a wrong clock here does not matter.
    let undoMs = Date.parse(data.undo_until) - Date.parse(ann.created_at) - 500;
    if (!Number.isFinite(undoMs)) undoMs = Date.parse(data.undo_until) - Date.now();
    state.lastSubmit = {
      annotationId: ann.id,
      undoUntil: performance.now() + Math.max(0, Number.isFinite(undoMs) ? undoMs : 0),
      payload,
      itemId: cur.item.id,
    };
    bumpMine(1);
    toast("Saved.", "ok", 2000);
    announce("Saved. Next item.");
    tickUndo();
    await next;
  }

  async function skip(reason) {
    const cur = state.cur;
    if (!cur || state.busy) return;
    state.busy = true;
    setState("saving");
    try {
      await apiRetry("POST", `/leases/${cur.lease.id}/skip`, { reason });
    } catch (e) {
      state.busy = false;
      if (e instanceof ApiError && [404, 409, 410].includes(e.status)) {
        leaseLost(`${e.message} Loading another item.`);
        return;
      }
      setState("working");
      toast(e.message, "error");
      return;
    }
    state.cur = null;
    state.busy = false;
    toast("Skipped.", "ok", 2000);
    await claimNext();
  }

  async function undo() {
    const last = state.lastSubmit;
    if (state.busy) return;
    if (!last || performance.now() > last.undoUntil || last.annotationId === undefined) {
      toast("Nothing to undo: only the last submit, for a few seconds after.", "warn");
      return;
    }
    state.busy = true;
    try {
      const { data } = await apiRetry("POST", `/annotations/${last.annotationId}/undo`);
      state.lastSubmit = null;
      bumpMine(-1);
      // The server gave back the lease on the item that was on screen; the next claim serves
      // it (or another) again after this one is submitted.
      state.busy = false;
      show(data.lease, last.itemId === (data.lease.item || {}).id ? last.payload : null);
      toast("Undone: the previous item is back.", "ok");
      announce("Undone. The previous item is back with your answer.");
    } catch (e) {
      state.busy = false;
      state.lastSubmit = null;
      toast(e.message, "error");
    }
    tickUndo();
  }

  function tickUndo() {
    const last = state.lastSubmit;
    const left = last ? last.undoUntil - performance.now() : 0;
    el.undo.disabled = !(left > 0);
    el.undo.title = left > 0 ? `Undo the last submit (${Math.ceil(left / 1000)} s left)` : "Nothing to undo";
    if (last && left <= 0) state.lastSubmit = null;
  }

  // Extends the lease. After it ran out, the server revives it if nobody took the item meanwhile.
  async function heartbeat(force = false) {
    const cur = state.cur;
    if (!cur || state.busy || cur.beating) return;
    if (!force && (state.expired || performance.now() - state.lastInput > IDLE_MS)) return; // idle: let it go
    cur.beating = true;
    try {
      const { data } = await api("POST", `/leases/${cur.lease.id}/heartbeat`);
      if (state.cur === cur && data) {
        cur.deadline = performance.now() + Number(data.seconds_left || 0) * 1000;
        if (state.expired) {
          state.expired = false;
          notice("");
          setState("working");
        }
      }
    } catch (e) {
      if (state.cur === cur && e instanceof ApiError && [404, 409, 410].includes(e.status)) {
        leaseLost("This item was returned to the queue. Loading another.");
      }
    } finally {
      cur.beating = false;
    }
  }

  function tickLease() {
    const cur = state.cur;
    el.lease.hidden = !cur;
    if (!cur) return;
    const left = Math.max(0, cur.deadline - performance.now());
    const s = Math.ceil(left / 1000);
    el.leaseLeft.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    el.leaseBar.style.width = `${Math.min(100, (left / (cfg.lease_seconds * 1000)) * 100)}%`;
    el.leaseBar.parentElement.dataset.low = String(left < 30000);
    if (left <= 0 && !state.expired) {
      state.expired = true;
      setState("expired");
      notice("Your time on this item ran out. Carry on: it is yours again if nobody took it meanwhile; otherwise the next item loads.");
      announce("Time ran out on this item.");
    }
  }

  setInterval(() => {
    tickLease();
    tickUndo();
  }, 250);
  setInterval(heartbeat, HEARTBEAT_MS);

  // --- queue counts, live -----------------------------------------------------------------------

  function setCounts(counts) {
    Object.assign(state.counts, counts);
    for (const [k, node] of Object.entries(el.counts)) {
      if (typeof state.counts[k] === "number") node.textContent = state.counts[k].toLocaleString();
    }
  }

  let countsTimer = 0;
  function bumpMine(d) {
    if (typeof state.counts.mine_today === "number") setCounts({ mine_today: Math.max(0, state.counts.mine_today + d) });
    // Settle on the server's numbers once the annotator pauses for a moment.
    clearTimeout(countsTimer);
    countsTimer = setTimeout(loadCounts, 2000);
  }

  async function loadCounts() {
    try {
      const { data } = await api("GET", `/projects/${cfg.project.id}/queue`);
      if (data) setCounts(data);
    } catch {
      /* counts are a convenience; the next event or reconnect refreshes them */
    }
  }

  function onEvent(event) {
    if (!event || typeof event !== "object") return;
    if (event.type === "queue.counts") {
      const { type: _type, ...counts } = event;
      delete counts.mine_today; // per-person; a project-wide event never carries the right value
      setCounts(counts);
      if (state.empty && !state.cur && !state.busy && (counts.available || 0) > 0) claimNext();
    } else if (event.type === "project.paused") {
      setPaused(Boolean(event.paused));
      toast(event.paused ? "The project was paused." : "The project resumed.", event.paused ? "warn" : "ok");
    }
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
      loadCounts();
      if (state.paused && !state.cur && !state.busy) claimNext(true); // resumed while we were away?
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
        setLive("offline", "Live updates are not available for this project");
        return;
      }
      setLive("offline", "Live updates: reconnecting");
      setTimeout(() => connect(Math.min(delay * 2, 30000)), delay + Math.random() * 500);
    });
  }

  // --- keyboard -------------------------------------------------------------------------------

  function openSkip() {
    if (!state.cur || state.busy) return;
    el.skipForm.reset();
    el.skipDialog.returnValue = ""; // Esc closes without setting it; don't reuse the last answer
    el.skipDialog.showModal();
    el.skipReason.select();
  }

  el.skipDialog.addEventListener("close", () => {
    const reason = el.skipReason.value.trim();
    el.text.focus({ preventScroll: true });
    if (el.skipDialog.returnValue === "skip" && reason) skip(reason);
  });

  el.submit.addEventListener("click", submit);
  el.skip.addEventListener("click", openSkip);
  el.undo.addEventListener("click", undo);
  for (const b of [el.submit, el.skip, el.undo]) b.addEventListener("mousedown", (e) => e.preventDefault());

  document.addEventListener("keydown", (ev) => {
    state.lastInput = performance.now();
    if (el.skipDialog.open || ev.isComposing) return;
    const t = ev.target;
    if (el.comment && t === el.comment) {
      if (ev.key === "Escape") {
        ev.preventDefault();
        el.text.focus({ preventScroll: true });
      } else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        submit();
      }
      return;
    }
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
    if (t instanceof HTMLButtonElement && (ev.key === "Enter" || ev.key === " ")) return; // the button's own action
    if (state.expired) heartbeat(true); // back from a break: try to keep the item
    if (cfg.spans && ["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key) && !ev.metaKey) {
      if (moveCaret(ev)) ev.preventDefault();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (/^[1-9]$/.test(key)) {
      ev.preventDefault();
      pick(Number(key) - 1);
    } else if (key === "Enter") {
      ev.preventDefault();
      submit();
    } else if (key === "s") {
      ev.preventDefault();
      openSkip();
    } else if (key === "u") {
      ev.preventDefault();
      undo();
    } else if (key === "c" && el.comment) {
      ev.preventDefault();
      el.comment.focus();
    } else if (key === "Escape" && state.cur) {
      state.cur.anchor = state.cur.caret;
      renderText();
    } else if ((key === "Backspace" || key === "Delete") && cfg.spans && state.cur) {
      ev.preventDefault();
      removeSpanAtCaret();
    }
  });
  document.addEventListener("pointerdown", () => {
    state.lastInput = performance.now();
    if (state.expired) heartbeat(true);
  });

  // --- start ------------------------------------------------------------------------------------

  setState("loading");
  renderLabels();
  loadCounts();
  connect();
  if (state.paused) setPaused(true);
  else claimNext();
})();
