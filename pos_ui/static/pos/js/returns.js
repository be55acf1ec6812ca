// Returns: find the sale by receipt number (typed or scanned), choose lines and quantities,
// a manager approves in place with their PIN, refund by the way it was paid, cash or card.
// A sale of another store of the chain is found by the customer's phone (the hub answers what
// is still returnable) and returned here with its origin.
// The amounts shown are worked out with the agent's own sharing rule; the agent decides.

import { h, btn, text, clear, keepFocus } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post, qs, newRef } from "./api.js";
import * as fmt from "./format.js";
import { keypad, messageLine, emptyState, beep, burstGuard, approverField } from "./widgets.js";
import { state, isManager } from "./state.js";
import { openNoReceiptDialog } from "./noreceipt.js";

let root = null;
let nav = null;
let els = null;
let sale = null;
let picks = new Map();        // line_id -> milli to return
let method = "auto";
let clientRef = null;
let sending = false;
let done = null;

export function buildReturnsView(container, navigator) {
  nav = navigator;
  root = h("div", { class: "page returns", id: "returns" });
  container.append(root);
  keepFocus(root);
  return root;
}

export function onShow() {
  sale = null; picks = new Map(); method = "auto"; clientRef = null; done = null;
  render();
  loadRecent();
  requestAnimationFrame(() => els?.number.focus());
}

function render() {
  const number = h("input", { class: "input input-lg num", id: "ret-number", inputmode: "numeric", autocomplete: "off",
                              maxlength: "40", placeholder: t("ret.number_ph"), "aria-label": t("ret.number") });
  const shift = h("input", { class: "input num", id: "ret-shift", inputmode: "numeric", autocomplete: "off",
                             maxlength: "6", placeholder: t("ret.shift_ph"), "aria-label": t("ret.shift") });
  const phone = h("input", { class: "input", id: "ret-phone", inputmode: "tel", autocomplete: "off",
                             maxlength: "40", placeholder: t("ret.phone_ph"), "aria-label": t("ret.phone") });
  phone.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); findByPhone(); } });
  const findMsg = messageLine();
  const recent = h("div", { class: "recent", id: "ret-recent" });
  const pane = h("div", { class: "pane ret-sale", id: "ret-sale" });
  for (const el of [number, shift]) {
    el.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); find(); } });
  }
  root.replaceChildren(
    h("div", { class: "page-head" },
      btn(t("btn.back"), { key: "Esc", cls: "btn-back", onclick: () => nav.go("sale") }),
      h("h1", { class: "page-title", text: t("ret.title") }),
      h("span", { class: "page-hint", text: t("ret.hint") })),
    h("div", { class: "page-body ret-body" },
      h("div", { class: "pane ret-find" },
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("ret.number") }), number),
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("ret.shift") }), shift),
        btn(t("ret.find"), { key: "Enter", cls: "btn-primary btn-lg btn-block", id: "ret-find", onclick: () => find() }),
        findMsg.el,
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("ret.phone") }), phone),
        btn(t("ret.find_phone"), { cls: "btn-block", id: "ret-find-phone", onclick: () => findByPhone() }),
        btn(t("nr.button"), { key: "F8", cls: "btn-lg btn-block", id: "ret-no-receipt", onclick: () => noReceipt() }),
        h("h3", { class: "pane-title", text: t("ret.recent") }), recent),
      pane));
  els = { number, shift, phone, findMsg, recent, pane };
  renderSale();
}

async function loadRecent(items) {
  if (!els) return;
  try {
    const list = items || (await get("/sales" + qs({ limit: 8 }))).items || [];
    els.recent.replaceChildren(...(list.length ? list.map((s) => h("button", {
      type: "button", class: "recent-item" + (sale && sale.sale_id === s.sale_id ? " active" : ""),
      dataset: { saleId: String(s.sale_id) }, onclick: () => open(s) },
      h("span", { class: "ri-no", text: `№${s.number}` }),
      h("span", { class: "ri-meta", text: `${t("ret.shift_short", { n: s.shift_number })} · ${fmt.dateTime(s.created_at)}` }),
      h("span", { class: "ri-sum", text: fmt.money(s.total) }))) : [h("p", { class: "muted", text: t("ret.no_recent") })]));
  } catch (e) {
    els.recent.replaceChildren(h("p", { class: "muted", text: errorText(e) }));
  }
}

/** "12" = receipt 12 (newest first); "3/12" or "3-12" = receipt 12 of shift 3. */
function parseReceiptCode(raw) {
  const s = raw.trim();
  let m = /^(\d{1,6})\s*[/\-–]\s*(\d{1,9})$/.exec(s);
  if (m) return { shift_number: Number(m[1]), number: Number(m[2]) };
  m = /^\d{1,9}$/.exec(s);
  if (m) return { number: Number(s) };
  return null;
}

async function find() {
  const parsed = parseReceiptCode(els.number.value);
  if (!parsed) { els.findMsg.show(t("ret.bad_number")); beep(false); return; }
  const shiftNo = els.shift.value.trim();
  if (shiftNo && !parsed.shift_number) parsed.shift_number = Number(shiftNo) || undefined;
  els.findMsg.show(t("ret.searching"), "info");
  try {
    const r = await get("/sales" + qs({ ...parsed, limit: 20 }));
    const items = r.items || [];
    if (!items.length) { els.findMsg.show(t("ret.not_found", { number: parsed.number })); beep(false); return; }
    els.findMsg.hide();
    if (items.length === 1) open(items[0]);
    else { els.findMsg.show(t("ret.several", { n: items.length }), "info"); loadRecent(items); }
  } catch (e) {
    els.findMsg.show(errorText(e));
  }
}

async function findByPhone() {
  const raw = els.phone.value.trim();
  if (!raw) { els.phone.focus(); return; }
  els.findMsg.show(t("ret.searching"), "info");
  try {
    const items = (await get("/returns/lookup" + qs({ phone: raw }))).items || [];
    if (!items.length) { els.findMsg.show(t("ret.no_foreign"), "info"); els.recent.replaceChildren(); return; }
    els.findMsg.show(t("ret.foreign_found", { n: items.length }), "info");
    els.recent.replaceChildren(...items.map((s) => h("button", {
      type: "button", class: "recent-item foreign", dataset: { saleId: `${s.store_id}:${s.sale_id}` },
      onclick: () => open({ ...s, foreign: true }) },
      h("span", { class: "ri-no", text: `${s.store_id} · №${s.number}` }),
      h("span", { class: "ri-meta", text: fmt.dateTime(s.created_at) }),
      h("span", { class: "ri-sum", text: fmt.money(s.total) }))));
  } catch (e) {
    els.findMsg.show(errorText(e));
  }
}

function open(s) {
  sale = s; picks = new Map(); method = "auto"; clientRef = newRef(); done = null;
  const key = s.foreign ? `${s.store_id}:${s.sale_id}` : String(s.sale_id);
  for (const el of els.recent.querySelectorAll(".recent-item")) el.classList.toggle("active", el.dataset.saleId === key);
  renderSale();
}

function lineRefund(l, milli) {
  const whole = fmt.milliOf(l.qty);
  const back = fmt.milliOf(l.returned_qty);
  const net = l.amount - (l.discount || 0);
  return fmt.share(net, back + milli, whole) - fmt.share(net, back, whole);
}

function refundTotal() {
  let sum = 0;
  for (const l of sale?.lines || []) sum += lineRefund(l, picks.get(l.line_id) || 0);
  return sum;
}

function renderSale() {
  const pane = els.pane;
  const keptPin = els.pin?.value || "";
  clear(pane);
  if (done) return renderDone();
  if (!sale) {
    pane.append(emptyState("receipt", t("ret.empty"), t("ret.empty_hint")));
    return;
  }
  const paid = (sale.payments || []).map((p) => `${t("pay." + p.method)} ${fmt.money(p.amount)}`).join(", ");
  const rows = sale.lines.map((l) => {
    const left = fmt.milliOf(l.returnable_qty);
    const pick = picks.get(l.line_id) || 0;
    const pcs = l.unit === "pcs";
    const set = (milli) => {
      const v = Math.max(0, Math.min(left, milli));
      if (v) picks.set(l.line_id, v); else picks.delete(l.line_id);
      renderSale();
    };
    const qtyIn = h("input", { class: "input input-sm num ret-qty", inputmode: pcs ? "numeric" : "decimal", autocomplete: "off",
                               value: pick ? (pcs ? String(pick / 1000) : fmt.qty(pick, "kg")) : "0", disabled: !left,
                               "aria-label": t("ret.qty_for", { name: l.name }) });
    qtyIn.addEventListener("change", () => {
      const m = qtyIn.value.trim() === "0" || !qtyIn.value.trim() ? 0 : fmt.parseQty(qtyIn.value);
      if (m == null || (pcs && m % 1000)) { qtyIn.value = pick ? fmt.qty(pick, l.unit) : "0"; return; }
      set(m);
    });
    qtyIn.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); qtyIn.blur(); } });
    return h("tr", { class: left ? "" : "done", dataset: { lineId: String(l.line_id) } },
      h("td", {}, h("div", { class: "line-name", text: l.name }),
        h("div", { class: "line-sub", text: `${fmt.amount(l.price)} × ${fmt.qty(fmt.milliOf(l.qty), l.unit)}` })),
      h("td", { class: "num", text: fmt.qty(fmt.milliOf(l.qty), l.unit) }),
      h("td", { class: "num", text: fmt.milliOf(l.returned_qty) ? fmt.qty(fmt.milliOf(l.returned_qty), l.unit) : "—" }),
      h("td", { class: "qty" }, h("div", { class: "stepper" },
        h("button", { type: "button", class: "step", text: "−", "aria-label": t("cart.less"), disabled: !pick,
                      onclick: () => set(pcs ? pick - 1000 : 0) }),
        qtyIn,
        h("button", { type: "button", class: "step", text: "+", "aria-label": t("cart.more"), disabled: pick >= left,
                      onclick: () => set(pcs ? pick + 1000 : left) }))),
      h("td", { class: "num sum", text: pick ? fmt.amount(lineRefund(l, pick)) : "" }));
  });
  const pin = h("input", { class: "input input-lg input-pin", type: "password", inputmode: "numeric", id: "ret-pin",
                           autocomplete: "off", maxlength: "8", "aria-label": t("approve.pin"), placeholder: "••••" });
  pin.value = keptPin;
  els.who = approverField("ret-login");
  els.pinGuard = burstGuard(pin);
  pin.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); submit(); } });
  const msg = messageLine();
  const methods = ["auto", "cash", "card"].map((m) => h("button", {
    type: "button", class: "seg" + (m === method ? " active" : ""), id: `ret-method-${m}`,
    text: t("ret.method_" + m), onclick: () => { method = m; renderSale(); } }));
  const total = refundTotal();
  const needPin = !isManager();
  const submitBtn = btn(t("ret.submit"), { key: "F5", cls: "btn-primary btn-lg btn-block", id: "ret-submit",
                                           disabled: !total && !picks.size, onclick: () => submit() });
  pane.append(
    h("div", { class: "ret-head" },
      h("div", {}, h("div", { class: "ret-title", id: "ret-title", text: sale.foreign
          ? t("ret.foreign_title", { store: sale.store_id, number: sale.number })
          : t("ret.sale_title", { number: sale.number, shift: sale.shift_number }) }),
        h("div", { class: "muted", text: sale.foreign ? fmt.dateTime(sale.created_at)
          : `${fmt.dateTime(sale.created_at)} · ${sale.cashier_name || sale.cashier} · ${paid}` })),
      h("div", { class: "ret-sale-total", text: fmt.money(sale.total) })),
    h("div", { class: "ret-lines" }, h("table", { class: "ret-table" },
      h("colgroup", {}, h("col", {}), h("col", { class: "c-sold" }), h("col", { class: "c-back" }),
        h("col", { class: "c-ret" }), h("col", { class: "c-sum" })),
      h("thead", {}, h("tr", {}, h("th", { text: t("cart.name") }), h("th", { class: "num", text: t("ret.sold") }),
        h("th", { class: "num", text: t("ret.returned") }), h("th", { class: "qty", text: t("ret.to_return") }),
        h("th", { class: "num", text: t("cart.sum") }))),
      h("tbody", {}, rows))),
    h("div", { class: "ret-foot" },
      h("div", { class: "ret-foot-main" },
        h("div", { class: "ret-sum-row" },
          btn(t("ret.all"), { key: "F4", cls: "btn-sm", id: "ret-all", onclick: () => pickAll() }),
          h("div", { class: "ret-sum" }, h("span", { text: t("ret.refund") }), h("strong", { id: "ret-total", text: fmt.money(total) }))),
        h("div", { class: "segs", role: "group", "aria-label": t("ret.method") }, methods),
        needPin ? h("div", {}, els.who.field, h("label", { class: "field field-inline" }, h("span", { class: "field-label", text: t("approve.pin") }), pin))
                : h("p", { class: "muted", text: t("ret.self_approved") }),
        msg.el, submitBtn),
      needPin ? keypad(() => pin, { onEnter: () => submit() }) : null));
  els.pin = pin;
  els.msg = msg;
  els.submit = submitBtn;
}

function renderDone() {
  const r = done;
  const lines = (r.refunds || []).map((x) => h("div", { class: "refund-line" },
    h("span", { text: t("ret.give_" + x.method) }), h("strong", { text: fmt.money(x.amount) })));
  els.pane.append(h("div", { class: "ret-done", id: "ret-done" },
    h("span", { class: "ok-mark", "aria-hidden": "true" }),
    h("h2", { text: t("ret.done", { number: r.number }) }),
    h("p", { class: "muted", text: t("ret.approved_by", { who: r.approved_by === state.me?.login ? state.me.name : r.approved_by }) }),
    h("div", { class: "refund-lines" }, lines),
    h("div", { class: "row-2" },
      btn(t("ret.another"), { cls: "btn-lg", onclick: () => onShow() }),
      btn(t("ret.to_sale"), { key: "Esc", cls: "btn-lg btn-primary", onclick: () => nav.go("sale") }))));
}

function noReceipt() {
  openNoReceiptDialog((r) => { sale = null; done = r; renderSale(); beep(true); });
}

function pickAll() {
  if (!sale) return;
  for (const l of sale.lines) {
    const left = fmt.milliOf(l.returnable_qty);
    if (left) picks.set(l.line_id, left);
  }
  renderSale();
}

async function submit() {
  if (!sale || sending) return;
  if (state.shift === null) { els.msg.show(t("err.no_open_shift")); return; }
  const lines = [...picks.entries()].map(([line_id, milli]) => ({ line_id, qty: fmt.qtyWire(milli) }));
  if (!lines.length) { els.msg.show(t("ret.choose_lines")); beep(false); return; }
  const needPin = !isManager();
  if (needPin && els.pinGuard?.isScan()) { els.pin.value = ""; els.pinGuard.reset(); els.msg.show(t("err.scan_in_field")); return; }
  if (needPin && !/^\d{4,8}$/.test(els.pin.value)) { els.msg.show(t("ret.need_pin")); els.pin.focus(); return; }
  const body = sale.foreign
    ? { client_ref: clientRef, origin: { store_id: sale.store_id, sale_id: sale.sale_id }, lines }
    : { client_ref: clientRef, sale_id: sale.sale_id, lines };
  const total = refundTotal();
  if (method !== "auto") body.refunds = [{ method, amount: total }];
  if (needPin) { body.approval_pin = els.pin.value; body.approval_login = els.who.value(); }
  sending = true;
  state.busy = true;
  els.submit.disabled = true;
  els.msg.show(t("ret.sending"), "info");
  try {
    done = await post("/returns", body, { timeout: 20000 });
    const approver = done.approved_by;
    done = { ...done, approved_by: approver };
    if (!sale.foreign) sale = await get(`/sales/${sale.sale_id}`).catch(() => sale);
    renderSale();
    beep(true);
  } catch (e) {
    if (e.code === "approval_refused") { els.msg.show(t("err.approval_refused")); els.pin.value = ""; els.pin.focus(); }
    else if (e.code === "approval_required") { els.msg.show(t("ret.need_pin")); }
    else els.msg.show(e.uncertain ? t("ret.uncertain") : errorText(e));
    beep(false);
  } finally {
    sending = false;
    state.busy = false;
    if (els.submit) els.submit.disabled = false;
  }
}

export function returnsKey(e) {
  switch (e.key) {
    case "Escape": nav.go("sale"); return true;
    case "F2": els.number.focus(); els.number.select(); return true;
    case "F4": pickAll(); return true;
    case "F5": submit(); return true;
    case "F8": noReceipt(); return true;
    default: return false;
  }
}
