// Scoutly's dashboard script: live job progress from /api/events, and the
// page's actions as calls to the JSON API. The pages work without it; it
// only adds live updates and buttons that act in place.
"use strict";
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const json = (id, fallback) => {
    const el = document.getElementById(id);
    try { return el ? JSON.parse(el.textContent) : fallback; } catch (_) { return fallback; }
  };
  const names = json("company-names", {});
  const intervals = json("intervals", []);
  const notice = $("#notice");
  const problem = $("#problem");
  const list = $("#active-list");

  function say(text) { problem.textContent = ""; notice.textContent = text; }
  function fail(err) { notice.textContent = ""; problem.textContent = String(err.message || err); }

  // One call to the JSON API; the cookie signs it, the header shows it
  // comes from this page.
  async function api(method, path, body) {
    const init = { method, headers: { "X-Scoutly-Dashboard": "1", Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    let data = null;
    try { data = await r.json(); } catch (_) { /* not JSON */ }
    if (r.status === 401) { location.assign("/signin"); }
    if (!r.ok) throw new Error((data && data.error && data.error.message) || `${method} ${path}: HTTP ${r.status}`);
    return data;
  }

  // Redraw the page's live sections from a fresh copy of the page, so the
  // HTML is only ever written by the server. Calls close together make one;
  // an answer older than one already applied is dropped. Keyboard focus
  // stays on the same control when it is still there.
  let asked = 0;
  let applied = 0;
  function focusKey(el) {
    if (!el || el === document.body) return null;
    if (el.id) return `#${CSS.escape(el.id)}`;
    const tagged = el.closest("[data-job], [data-company]");
    if (!tagged || !el.className) return null;
    const attr = tagged.dataset.job ? "data-job" : "data-company";
    return `[${attr}="${CSS.escape(tagged.getAttribute(attr))}"] .${CSS.escape(el.className.split(" ")[0])}`;
  }
  // Returns a promise that settles once the redraw is applied (or failed).
  let pending = null;
  function redraw() {
    if (!$("[data-live]")) return Promise.resolve();
    if (pending) return pending;
    pending = new Promise((resolve) => {
      setTimeout(async () => {
        pending = null;
        const seq = ++asked;
        try {
          const r = await fetch(location.href, { headers: { Accept: "text/html" } });
          if (!r.ok || seq < applied) return;
          const doc = new DOMParser().parseFromString(await r.text(), "text/html");
          if (seq < applied) return;
          applied = seq;
          const focused = focusKey(document.activeElement);
          for (const el of $$("[data-live]")) {
            const fresh = doc.getElementById(el.id);
            if (fresh) el.replaceWith(document.adoptNode(fresh));
          }
          const again = focused && $(focused);
          if (again && document.activeElement === document.body) again.focus();
          document.body.dataset.redrawn = String(Number(document.body.dataset.redrawn || 0) + 1);
        } catch (_) {
          /* the next event redraws again */
        } finally {
          resolve();
        }
      }, 250);
    });
    return pending;
  }

  // ---- the live job panel ----
  function nameOf(companyId) {
    if (names[companyId]) return names[companyId];
    names[companyId] = `company ${companyId}`;
    api("GET", `/api/companies/${companyId}`).then((c) => {
      names[companyId] = c.name;
      for (const li of $$(`li[data-company="${companyId}"]`, list)) {
        $(".job-name", li).textContent = c.name;
        $("progress", li).setAttribute("aria-label", `${c.name}: job ${li.dataset.job} progress`);
      }
    }).catch(() => {});
    return names[companyId];
  }

  function count() {
    const n = $$('li[data-status="pending"], li[data-status="in_progress"]', list).length;
    $("#active-count").textContent = String(n);
    $("#active-empty").hidden = list.children.length > 0;
  }

  function jobRow(jobId, companyId, status) {
    let li = $(`li[data-job="${jobId}"]`, list);
    if (li) return li;
    li = document.createElement("li");
    li.dataset.job = jobId;
    li.dataset.company = companyId;
    const name = nameOf(companyId);
    const parts = [["job-name", name], ["job-status", status]];
    for (const [cls, text] of parts) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      li.append(span, " ");
    }
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", `${name}: job ${jobId} progress`);
    bar.textContent = "0%";
    const pct = document.createElement("span");
    pct.className = "job-pct";
    pct.textContent = "0%";
    const note = document.createElement("span");
    note.className = "job-note";
    li.append(bar, pct, note);
    list.prepend(li);
    setJob(li, status, 0);
    return li;
  }

  function setJob(li, status, progress) {
    li.dataset.status = status;
    $(".job-status", li).textContent = status.replace("_", " ");
    if (progress !== undefined) {
      const bar = $("progress", li);
      bar.value = progress;
      bar.textContent = `${progress}%`;
      $(".job-pct", li).textContent = `${progress}%`;
    }
    count();
  }

  function finished(d) {
    const li = jobRow(d.jobId, d.companyId, d.status);
    const note = $(".job-note", li);
    const name = $(".job-name", li).textContent;
    note.textContent = "";
    if (d.status === "completed") {
      setJob(li, "completed", 100);
      const found = `${d.newPostings} new posting${d.newPostings === 1 ? "" : "s"}`;
      if (d.newPostings > 0) {
        const a = document.createElement("a");
        a.href = "/postings";
        a.textContent = found;
        note.append(a);
      } else {
        note.textContent = "no new postings";
      }
      say(`${name}: scrape finished, ${d.newPostings > 0 ? found : "no new postings"}.`);
    } else if (d.status === "retrying" || d.status === "deferred") {
      setJob(li, "pending", 0);
      note.textContent = d.error ? `will retry: ${d.error}` : "waiting";
    } else {
      setJob(li, d.status);
      note.textContent = d.error || "";
      say(`${name}: scrape ${d.status}${d.error ? `: ${d.error}` : ""}.`);
    }
    redraw();
  }

  // Events may have been missed (before the stream opened, while it was
  // away, or when it lagged): read the active jobs, and settle rows whose
  // jobs are no longer active.
  async function resync() {
    try {
      const r = await api("GET", "/api/scraping/active");
      const active = new Set();
      for (const j of r.activeJobs) {
        active.add(String(j.id));
        setJob(jobRow(j.id, j.companyId, j.status), j.status, j.progress);
      }
      for (const li of $$('li[data-status="pending"], li[data-status="in_progress"]', list)) {
        if (active.has(li.dataset.job)) continue;
        const j = await api("GET", `/api/scraping/status/${li.dataset.job}`);
        setJob(li, j.status, j.progress);
        $(".job-note", li).textContent = j.error || "";
      }
    } catch (_) { /* shown again at the next event */ }
    await redraw();
    // Counts finished resyncs: the page is up to date with the stream.
    document.body.dataset.synced = String(Number(document.body.dataset.synced || 0) + 1);
  }

  // The stream reconnects by itself after a network error; when the
  // server closed it for good (restart, rate limit), open it again later.
  function listen(delay) {
    const events = new EventSource("/api/events");
    events.addEventListener("ready", () => {
      document.body.dataset.live = "on";
      delay = 1000;
      resync();
    });
    events.addEventListener("progress", (e) => {
      const d = JSON.parse(e.data);
      setJob(jobRow(d.jobId, d.companyId, "in_progress"), "in_progress", d.progress);
    });
    events.addEventListener("finished", (e) => finished(JSON.parse(e.data)));
    events.addEventListener("postings", () => redraw());
    events.addEventListener("lagged", () => resync());
    events.addEventListener("error", () => {
      document.body.dataset.live = "off";
      if (events.readyState === EventSource.CLOSED) {
        setTimeout(() => listen(Math.min(delay * 2, 60000)), delay);
      }
    });
  }

  if (list && document.body.dataset.user) {
    listen(1000);
    if ($("#health")) setInterval(redraw, 30000);
  }

  // ---- actions ----
  function companyOf(el) {
    const tr = el.closest("tr[data-company]");
    return tr && { tr, id: Number(tr.dataset.company), name: $(".company-name", tr)?.textContent || "" };
  }

  function showInterval(input) {
    const out = document.getElementById(input.getAttribute("aria-describedby"));
    const every = intervals[Number(input.value) - 1] || "";
    if (out) out.textContent = `rank ${input.value}, ${every}`;
  }

  document.addEventListener("input", (e) => {
    if (e.target.matches("input.rank")) showInterval(e.target);
  });

  // Rank changes are saved one at a time per company, the last one wins
  // (arrow keys send a change per step); a failure puts the slider back.
  const ranks = new Map();
  async function saveRank(c, input) {
    const state = ranks.get(c.id) || { busy: false, saved: c.tr.dataset.savedRank || input.defaultValue };
    ranks.set(c.id, state);
    if (state.busy) return;
    state.busy = true;
    try {
      while (input.value !== state.saved) {
        const wanted = input.value;
        await api("PUT", `/api/preferences/${c.id}`, { rank: Number(wanted), tracking: true });
        state.saved = wanted;
        c.tr.dataset.savedRank = wanted;
        say(`${c.name}: rank ${wanted}, ${intervals[Number(wanted) - 1] || ""}.`);
      }
    } catch (err) {
      input.value = state.saved;
      showInterval(input);
      fail(err);
    } finally {
      state.busy = false;
    }
  }

  document.addEventListener("change", async (e) => {
    const el = e.target;
    const c = companyOf(el);
    if (!c) return;
    const rank = $("input.rank", c.tr);
    const start = $("button.start", c.tr);
    if (el.matches("input.rank")) {
      showInterval(el);
      saveRank(c, el);
      return;
    }
    if (!el.matches("input.track")) return;
    el.disabled = true;
    try {
      if (el.checked) {
        await api("PUT", `/api/preferences/${c.id}`, { rank: Number(rank.value), tracking: true });
        say(`Tracking ${c.name} at rank ${rank.value}.`);
      } else {
        await api("DELETE", `/api/preferences/${c.id}`);
        say(`No longer tracking ${c.name}.`);
      }
      rank.disabled = !el.checked;
      start.disabled = !el.checked;
      c.tr.dataset.saved = String(el.checked);
    } catch (err) {
      el.checked = !el.checked;
      fail(err);
    } finally {
      el.disabled = false;
      el.focus();
    }
  });

  document.addEventListener("click", async (e) => {
    const button = e.target.closest("button");
    if (!button || button.type === "submit" || button.disabled) return;
    button.disabled = true;
    try {
      if (button.matches(".start")) {
        const c = companyOf(button);
        names[c.id] = c.name;
        const r = await api("POST", "/api/scraping/start", { companyId: c.id });
        jobRow(r.jobId, c.id, "pending");
        say(`${c.name}: ${r.message} (job ${r.jobId}).`);
      } else if (button.matches(".retry")) {
        const asked = button.dataset.job;
        const r = await api("POST", `/api/scraping/retry/${asked}`);
        setJob(jobRow(r.jobId, r.job.companyId, r.job.status), r.job.status, 0);
        say(String(r.jobId) === asked
          ? `Job ${asked} queued again.`
          : `The company already has job ${r.jobId} waiting or running; following it instead.`);
        redraw();
      } else if (button.matches(".cancel")) {
        await api("POST", `/api/scraping/cancel/${button.dataset.job}`);
        say(`Job ${button.dataset.job} cancelled.`);
        redraw();
      } else if (button.matches(".resume")) {
        await api("PATCH", `/api/companies/${button.dataset.company}`, { resume: true });
        say("Resumed: the company is scheduled again.");
        redraw();
      }
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  });
})();
