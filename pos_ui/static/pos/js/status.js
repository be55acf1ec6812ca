// The status bar, always on top: hub online/offline with the events still to send, the
// printer, the fiscal register.  Whatever the agent does not report yet shows as "—".

import { get } from "./api.js";
import { t } from "./i18n.js";
import * as fmt from "./format.js";
import { state } from "./state.js";

const POLL_MS = 5000;
let timer = null;
let agentDown = false;

function pill(id, kind, label, title) {
  const el = document.getElementById(id);
  if (!el) return;
  el.dataset.state = kind;
  el.hidden = false;
  el.querySelector(".pill-text").textContent = label;
  if (title) el.title = title; else el.removeAttribute("title");
}

export function renderStatus(s) {
  if (agentDown) {
    pill("st-hub", "bad", `${t("st.agent")}: ${t("st.agent_down")}`);
    return;
  }
  const sync = s && typeof s.sync === "object" && !s.sync.error ? s.sync : null;
  if (!sync) {
    pill("st-hub", "none", `${t("st.hub")}: —`);
  } else {
    const pending = typeof sync.pending === "number" ? sync.pending : null;
    const queue = pending == null || (pending === 0 && sync.hub_reachable === true) ? ""
      : ` · ${t("st.pending", { n: fmt.count(pending) })}`;
    let kind = "none";
    let word = "—";
    if (sync.hub_configured === false) { word = t("st.not_configured"); }
    else if (sync.hub_reachable === true) { kind = pending ? "warn" : "ok"; word = t("st.online"); }
    else if (sync.hub_reachable === false) { kind = "bad"; word = t("st.offline"); }
    const blocked = sync.blocked && typeof sync.blocked === "object" ? sync.blocked : null;
    if (blocked) {   // a poison event: say it plainly, the operator must clear it at the hub
      kind = "bad";
      word = t("st.blocked", { seq: String(blocked.seq), reason: String(blocked.reason || "") });
    }
    const title = [sync.last_push_at ? t("st.last_push", { at: fmt.dateTime(sync.last_push_at) }) : "",
                   sync.last_error ? String(sync.last_error) : ""].filter(Boolean).join("\n");
    pill("st-hub", kind, `${t("st.hub")}: ${word}${queue}`, title);
  }
  const pr = s && typeof s.printer === "object" && !s.printer.error ? s.printer : null;
  if (!pr || !pr.state) {
    pill("st-printer", "none", `${t("st.printer")}: —`);
  } else {
    const kind = { online: "ok", offline: "bad", paper_out: "bad", unknown: "warn", none: "none" }[pr.state] || "warn";
    const word = t("printer." + pr.state) === "printer." + pr.state ? String(pr.state) : t("printer." + pr.state);
    pill("st-printer", kind, `${t("st.printer")}: ${word}`, pr.message ? String(pr.message) : "");
  }
  const fi = s && typeof s.fiscal === "object" && !s.fiscal.error ? s.fiscal : null;
  const fiEl = document.getElementById("st-fiscal");
  if (!fi || (!fi.state && fi.pending == null)) {
    if (fiEl) fiEl.hidden = true;
  } else {
    const st = fi.state || "online";
    const kind = { online: "ok", ok: "ok", offline: "bad", error: "bad", paper_out: "bad", none: "none" }[st] || "warn";
    const word = t("fiscal_state." + st) === "fiscal_state." + st ? String(st) : t("fiscal_state." + st);
    const pending = fi.pending ? ` · ${t("st.pending", { n: fmt.count(fi.pending) })}` : "";
    const z = fi.z_pending || fi.z_failed ? ` · ${t("st.z_owed")}` : "";   // a closed shift's Z
    pill("st-fiscal", kind, `${t("st.fiscal")}: ${word}${pending}${z}`, fi.message ? String(fi.message) : "");
  }
}

export async function pollStatus() {
  if (!state.me) return;
  try {
    const s = await get("/status", { timeout: 4000 });
    agentDown = false;
    renderStatus(s);
  } catch (e) {
    if (e.status === 0) { agentDown = true; renderStatus(null); }
  }
}

export function startStatus() {
  stopStatus();
  pollStatus();
  timer = setInterval(pollStatus, POLL_MS);
}

export function stopStatus() {
  if (timer) clearInterval(timer);
  timer = null;
}

export function setAgentReachable(ok) {
  if (ok === agentDown) {     // changed
    agentDown = !ok;
    if (!ok) renderStatus(null); else pollStatus();
  }
}
