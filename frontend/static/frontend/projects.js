/* Quorum projects page: live queue counts per project (REST for the first numbers, then the
 * project's websocket for changes). Counts only: events never carry item content. */
"use strict";

(() => {
  const table = document.getElementById("projects");
  if (!table) return;
  const api = table.dataset.api;
  const MAX_LIVE = 25; // one socket per project row; past this the page shows the loaded numbers

  function paint(row, counts) {
    for (const cell of row.querySelectorAll("[data-count]")) {
      const v = counts[cell.dataset.count];
      if (typeof v === "number") cell.textContent = v.toLocaleString();
    }
  }

  async function load(row) {
    try {
      const res = await fetch(`${api}/projects/${row.dataset.projectId}/queue`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (res.ok) paint(row, await res.json());
    } catch {
      /* leave the dash */
    }
  }

  function watch(row, delay = 1000, again = false) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/projects/${row.dataset.projectId}/`);
    ws.addEventListener("open", () => {
      delay = 1000;
      if (again) load(row); // catch up on what changed while disconnected
    });
    ws.addEventListener("message", (m) => {
      let event;
      try {
        event = JSON.parse(m.data);
      } catch {
        return;
      }
      if (event.type === "queue.counts") paint(row, event);
      else if (event.type === "project.paused") row.querySelector("[data-status]").textContent = event.paused ? "paused" : "active";
    });
    ws.addEventListener("close", (e) => {
      if (e.code !== 4403) setTimeout(() => watch(row, Math.min(delay * 2, 30000), true), delay + Math.random() * 500);
    });
  }

  const rows = Array.from(table.querySelectorAll("tr[data-project-id]"));
  rows.forEach((row, i) => {
    load(row);
    if (i < MAX_LIVE) watch(row);
  });
})();
