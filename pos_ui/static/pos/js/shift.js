// The shift: open with the opening cash, X report any time, cash in/out, close with the
// counted cash and show the Z report (expected vs counted, the difference stands out).

import { h, btn, keepFocus, text } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post } from "./api.js";
import * as fmt from "./format.js";
import { keypad, messageLine, burstGuard, beep, toast, approverField } from "./widgets.js";
import { openDialog } from "./dialog.js";
import { state, changed, isManager } from "./state.js";
import { notify } from "./sale.js";
import { fiscalWarning, canManageFiscal, openFiscalList } from "./fiscal.js";

let root = null;
let nav = null;
let mode = "x";        // "open" | "x" | "close" | "z"
let zReport = null;
let els = {};
let flash = "";          // what the last cash in/out did, shown above the X report

export function buildShiftView(container, navigator) {
  nav = navigator;
  root = h("div", { class: "page shift", id: "shift" });
  container.append(root);
  keepFocus(root);
  return root;
}

/** Ask the agent for the open shift (X report); null when none is open. */
export async function loadShift() {
  try {
    state.shift = await get("/shifts/current");
  } catch (e) {
    if (e.code === "no_open_shift" || e.status === 409) state.shift = null;
    else throw e;
  }
  changed("shift");
  return state.shift;
}

export async function onShow() {
  zReport = null;
  mode = state.shift ? "x" : "open";
  render();
  try {
    await loadShift();
    mode = state.shift ? "x" : "open";
  } catch (e) { toast(errorText(e), "error"); }
  render();
}

function amountField(id, label, { onEnter } = {}) {
  const input = h("input", { class: "input input-xl num", id, inputmode: "decimal", autocomplete: "off",
                             placeholder: fmt.plain(0), "aria-label": label });
  const guard = burstGuard(input);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); onEnter?.(); }
  });
  return { input, guard, field: h("label", { class: "field" }, h("span", { class: "field-label", text: label }), input) };
}

function reportTable(r, { z = false } = {}) {
  const rows = [
    [t("shift.opened"), `${fmt.dateTime(r.opened_at)} · ${r.cashier}`],
    z ? [t("shift.closed"), `${fmt.dateTime(r.closed_at)} · ${r.closed_by || ""}`] : null,
    [t("shift.opening_cash"), fmt.money(r.opening_cash)],
    [t("shift.sales"), `${fmt.count(r.sales_count)} · ${fmt.money(r.sales_total)}`],
    [t("shift.returns"), `${fmt.count(r.returns_count ?? 0)} · ${fmt.money(r.returns_total)}`],
    [t("shift.cash_sales"), fmt.money(r.by_method?.cash?.sales)],
    [t("shift.cash_refunds"), fmt.money(r.by_method?.cash?.refunds)],
    [t("shift.card_sales"), fmt.money(r.by_method?.card?.sales)],
    [t("shift.card_refunds"), fmt.money(r.by_method?.card?.refunds)],
    r.by_method?.advance?.sales || r.by_method?.advance?.refunds
      ? [t("shift.advance"), `${fmt.money(r.by_method.advance.sales)} / −${fmt.money(r.by_method.advance.refunds)}`]
      : null,
    r.bonus_redeemed ? [t("shift.bonus_redeemed"), fmt.money(r.bonus_redeemed)] : null,
    [t("shift.cash_in"), fmt.money(r.cash_in ?? 0)],
    [t("shift.cash_out"), fmt.money(r.cash_out ?? 0)],
  ].filter(Boolean);
  return h("table", { class: "report-table" }, h("tbody", {},
    rows.map(([k, v]) => h("tr", {}, h("th", { text: k }), h("td", { class: "num", text: v })))));
}

function render() {
  if (!root) return;
  const title = mode === "z" ? t("shift.z_title", { n: zReport?.number ?? "" })
    : mode === "open" ? t("shift.open_title")
    : mode === "close" ? t("shift.close_title")
    : t("shift.x_title", { n: state.shift?.number ?? "" });
  const head = h("div", { class: "page-head" },
    btn(t("btn.back"), { key: "Esc", cls: "btn-back", onclick: () => nav.go("sale") }),
    h("h1", { class: "page-title", id: "shift-title", text: title }));
  const body = h("div", { class: "page-body shift-body" });
  root.replaceChildren(head, body);
  els = {};
  if (mode === "open") renderOpen(body);
  else if (mode === "z") renderZ(body);
  else if (mode === "close") renderClose(body);
  else if (state.shift) renderX(body);
  else body.append(h("p", { class: "muted", text: t("shift.loading") }));
}

function renderOpen(body) {
  const msg = messageLine();
  const f = amountField("shift-opening", t("shift.opening_cash"), { onEnter: () => openShift() });
  body.append(
    h("div", { class: "pane shift-form" },
      h("p", { class: "dialog-text", text: t("shift.closed_text") }),
      f.field, msg.el,
      btn(t("shift.open"), { key: "Enter", cls: "btn-primary btn-xl btn-block", id: "shift-open", onclick: () => openShift() })),
    h("div", { class: "pane shift-pad" }, keypad(() => f.input, { decimal: true, onEnter: () => openShift() })));
  els = { ...f, msg };
  requestAnimationFrame(() => f.input.focus());
}

async function openShift() {
  if (els.guard.isScan()) { els.input.value = ""; els.guard.reset(); els.msg.show(t("err.scan_in_field")); return; }
  const v = els.input.value.trim() ? fmt.parseMoney(els.input.value) : 0;
  if (v == null) { els.msg.show(t("pay.bad_amount")); beep(false); return; }
  try {
    await post("/shifts/open", { opening_cash: v });
    await loadShift();
    nav.go("sale");
    notify(t("shift.opened_ok", { n: state.shift?.number ?? "" }), "ok");
  } catch (e) {
    els.msg.show(errorText(e));
    if (e.code === "shift_open") { await loadShift().catch(() => {}); mode = "x"; render(); }
  }
}

function renderX(body) {
  const r = state.shift;
  const note = messageLine();
  if (flash) note.show(flash, "ok");
  flash = "";
  body.append(
    h("div", { class: "pane report", id: "x-report" },
      note.el,
      fiscalWarning("shift-fiscal-warning", r.fiscal),
      reportTable(r),
      h("div", { class: "expected" }, h("span", { text: t("shift.expected_cash") }),
        h("strong", { id: "x-expected", text: fmt.money(r.expected_cash) }))),
    h("div", { class: "pane shift-actions" },
      btn(t("shift.refresh"), { key: "F2", cls: "btn-lg btn-block", onclick: () => refresh() }),
      btn(t("shift.cash_in_btn"), { key: "F3", cls: "btn-lg btn-block", onclick: () => cashMove("in") }),
      btn(t("shift.cash_out_btn"), { key: "F4", cls: "btn-lg btn-block", onclick: () => cashMove("out") }),
      r.fiscal && canManageFiscal()
        ? btn(t("fiscal.list_btn"), { key: "F6", cls: "btn-lg btn-block", id: "shift-fiscal", onclick: () => openFiscalList(() => refresh()) })
        : null,
      btn(t("shift.close"), { key: "F8", cls: "btn-lg btn-block btn-warn", id: "shift-close", onclick: () => renderCloseForm() })));
}

async function refresh() {
  try { await loadShift(); } catch (e) { toast(errorText(e), "error"); }
  mode = state.shift ? "x" : "open";
  render();
}

function renderCloseForm() {
  mode = "close";
  render();
}

function renderClose(body) {
  const msg = messageLine();
  const f = amountField("shift-counted", t("shift.counted_cash"), { onEnter: () => closeShift() });
  body.append(
    h("div", { class: "pane shift-form" },
      h("p", { class: "dialog-text", text: t("shift.close_text") }),
      fiscalWarning("close-fiscal-warning", state.shift?.fiscal),
      f.field, msg.el,
      h("div", { class: "row-2" },
        btn(t("btn.back"), { cls: "btn-lg", onclick: () => { mode = "x"; render(); } }),
        btn(t("shift.close_confirm"), { key: "Enter", cls: "btn-danger btn-lg", id: "shift-close-confirm", onclick: () => closeShift() }))),
    h("div", { class: "pane shift-pad" }, keypad(() => f.input, { decimal: true, onEnter: () => closeShift() })));
  els = { ...f, msg };
  requestAnimationFrame(() => f.input.focus());
}

async function closeShift() {
  if (els.guard.isScan()) { els.input.value = ""; els.guard.reset(); els.msg.show(t("err.scan_in_field")); return; }
  const v = fmt.parseMoney(els.input.value);
  if (v == null) { els.msg.show(t("shift.enter_counted")); beep(false); return; }
  state.busy = true;
  try {
    zReport = await post("/shifts/close", { counted_cash: v });
    state.shift = null;
    changed("shift");
    mode = "z";
    render();
  } catch (e) {
    els.msg.show(errorText(e));
  } finally { state.busy = false; }
}

function renderZ(body) {
  const z = zReport;
  const diff = z.difference;
  body.append(
    h("div", { class: "pane report", id: "z-report" },
      reportTable(z, { z: true }),
      h("div", { class: "expected" }, h("span", { text: t("shift.expected_cash") }), h("strong", { text: fmt.money(z.expected_cash) })),
      h("div", { class: "expected" }, h("span", { text: t("shift.counted_cash") }), h("strong", { id: "z-counted", text: fmt.money(z.counted_cash) })),
      h("div", { class: "difference", id: "z-difference", dataset: { kind: diff === 0 ? "ok" : diff > 0 ? "over" : "short" } },
        h("span", { text: diff === 0 ? t("shift.diff_none") : diff > 0 ? t("shift.diff_over") : t("shift.diff_short") }),
        h("strong", { text: fmt.money(diff) })),
      z.fiscal_z ? zFiscalLine(z) : null),
    h("div", { class: "pane shift-actions" },
      h("p", { class: "dialog-text", text: t("shift.z_done") }),
      btn(t("shift.open_new"), { key: "Enter", cls: "btn-primary btn-lg btn-block", id: "shift-open-new", onclick: () => { mode = "open"; render(); } })));
}

/** The register's Z of the closed shift (#z-fiscal): pending until the register prints it. */
function zFiscalLine(z) {
  const el = h("div", { class: "fiscal-line", id: "z-fiscal" });
  const show = (fz) => {
    el.dataset.status = fz.status;
    text(el, t("shift.z_fiscal", { status: t("fiscal.z_" + fz.status, { error: fz.error || "" }) }));
  };
  show(z.fiscal_z);
  (async () => {   // follow it for a while; the shift is closed whatever the register does
    let fz = z.fiscal_z;
    for (let i = 0; fz.status === "pending" && i < 60 && zReport === z; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      try { fz = await get(`/shifts/${encodeURIComponent(z.shift_id)}/fiscal-z`); } catch { return; }
      show(fz);
    }
  })();
  return el;
}

function cashMove(kind) {
  const f = amountField("cash-move-amount", t("shift.amount"));
  const reason = h("input", { class: "input input-lg", id: "cash-move-reason", autocomplete: "off", maxlength: "200",
                              "aria-label": t("shift.reason") });
  const chips = (kind === "in" ? ["shift.reason_change"] : ["shift.reason_collection", "shift.reason_change"])
    .map((k) => h("button", { type: "button", class: "chip", text: t(k), onclick: () => { reason.value = t(k); } }));
  const msg = messageLine();
  const needPin = kind === "out" && !isManager();   // the agent says if cash out needs a manager
  const who = approverField("cash-move-login");
  const pin = h("input", { class: "input input-lg input-pin", type: "password", inputmode: "numeric",
                           id: "cash-move-pin", maxlength: "8", autocomplete: "off", "aria-label": t("approve.pin") });
  const ok = async (d) => {
    if (f.guard.isScan()) { f.input.value = ""; f.guard.reset(); msg.show(t("err.scan_in_field")); return; }
    const v = fmt.parseMoney(f.input.value);
    if (!v) { msg.show(t("pay.bad_amount")); return; }
    if (!reason.value.trim()) { msg.show(t("shift.need_reason")); reason.focus(); return; }
    const body = { kind, amount: v, reason: reason.value.trim() };
    if (needPin && pin.value) { body.approval_pin = pin.value; body.approval_login = who.value(); }
    try {
      state.shift = await post("/shifts/cash", body);
      changed("shift");
      flash = t(kind === "in" ? "shift.cash_in_ok" : "shift.cash_out_ok", { amount: fmt.money(v) });
      d.close(true);
      render();
    } catch (e) { msg.show(errorText(e)); }
  };
  const dlg = openDialog({
    title: t(kind === "in" ? "shift.cash_in_btn" : "shift.cash_out_btn"), cls: "dialog-md",
    body: h("div", { class: "two-col" },
      h("div", {}, f.field,
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("shift.reason") }), reason),
        h("div", { class: "chips" }, chips),
        needPin ? who.field : null,
        needPin ? h("label", { class: "field" }, h("span", { class: "field-label", text: t("approve.pin") }), pin) : null,
        msg.el),
      keypad(() => f.input, { decimal: true, onEnter: () => ok(dlg) })),
    onKey: (e, d) => { if (e.key === "Enter") { ok(d); return true; } return false; },
    buttons: [
      { label: t("btn.back"), key: "Esc", onclick: (d) => d.close(null) },
      { label: t("btn.ok"), key: "Enter", cls: "btn-primary", onclick: ok },
    ],
  });
}

export function shiftKey(e) {
  if (e.key === "Escape") {
    if (mode === "close") { mode = "x"; render(); return true; }
    nav.go("sale");
    return true;
  }
  if (mode === "x") {
    if (e.key === "F2") { refresh(); return true; }
    if (e.key === "F3") { cashMove("in"); return true; }
    if (e.key === "F4") { cashMove("out"); return true; }
    if (e.key === "F8") { renderCloseForm(); return true; }
    if (e.key === "F6" && state.shift?.fiscal && canManageFiscal()) { openFiscalList(() => refresh()); return true; }
  }
  if (mode === "z" && e.key === "Enter") { mode = "open"; render(); return true; }
  return false;
}
