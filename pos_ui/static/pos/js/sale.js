// The sale screen: the scan field (always focused), the cart, the running total, the
// customer, and the buttons with their F-keys.  After a sale the same screen shows the
// receipt and the change until the next scan.

import { h, btn, clear, keepFocus, text } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post, qs } from "./api.js";
import * as fmt from "./format.js";
import {
  cart, onCart, addProduct, setQty, removeLine, select, requote, total, lineTotal, itemCount,
  isEmpty, clearCart, setRedeem,
} from "./cart.js";
import { openDialog, anyDialog } from "./dialog.js";
import { keypad, burstGuard, beep, toast, messageLine, emptyState, approverField } from "./widgets.js";
import { state, isManager } from "./state.js";
import { openPayment, resolvePendingSale } from "./payment.js";
import { renderReceiptInto, reprint } from "./receipt.js";
import { watchFiscal, fiscalLine } from "./fiscal.js";
import { openCustomerDialog, openRedeemDialog } from "./customer.js";
import { pollStatus } from "./status.js";
import { openDiscountDialog } from "./discount.js";
import { loadQuickKeys } from "./quickkeys.js";
import { letterKeyboard } from "./osk.js";

let els = null;
let scanQueue = Promise.resolve();
let lastSale = null;          // the sale shown on the receipt panel
let nav = null;               // {go(view)} from main.js

const LAST_SALE_KEY = "pos.lastSale";

export function saleKeys() {
  return [
    ["F1", t("btn.help")], ["F2", t("btn.search")], ["F3", t("btn.qty")],
    ["F4", t("btn.customer")], ["F5", t("btn.pay")], ["F6", t("btn.return")],
    ["F7", t("btn.shift")], ["F8", t("btn.delete")], ["F9", t("btn.receipt")],
    ["F10", t("btn.void")], ["↑ ↓", t("help.select")], ["+ −", t("help.plusminus")],
    ["Del", t("help.del")], ["Esc", t("help.esc")], ["Alt+L", t("btn.lock")],
    ["Alt+S", t("btn.discount")],
  ];
}

export function buildSaleView(root, navigator) {
  nav = navigator;
  const scan = h("input", {
    id: "scan", class: "input scan-input", type: "text", autocomplete: "off", spellcheck: "false",
    inputmode: "none", "aria-label": t("sale.scan_label"), placeholder: t("sale.scan_placeholder"),
    maxlength: "64",
  });
  const cartBody = h("tbody", { id: "cart-body" });
  const cartTable = h("table", { class: "cart-table", id: "cart-table" },
    h("colgroup", {}, h("col", { class: "c-no" }), h("col", { class: "c-name" }), h("col", { class: "c-price" }),
      h("col", { class: "c-qty" }), h("col", { class: "c-sum" }), h("col", { class: "c-del" })),
    h("thead", {}, h("tr", {},
      h("th", { text: "№" }), h("th", { text: t("cart.name") }), h("th", { class: "num", text: t("cart.price") }),
      h("th", { class: "qty", text: t("cart.qty") }), h("th", { class: "num", text: t("cart.sum") }), h("th", {}))),
    cartBody);
  const cartEmpty = emptyState("scan", t("cart.empty"), t("cart.empty_hint"));
  const cartBox = h("div", { class: "cart", id: "cart" }, cartTable, cartEmpty);
  const receiptBox = h("div", { class: "receipt-panel", id: "receipt-panel", hidden: true });
  const msg = h("div", { class: "msgbar", id: "msgbar", role: "status", "aria-live": "polite" });
  const banner = h("button", { type: "button", class: "banner", id: "shift-banner", hidden: true,
                               onclick: () => nav.go("shift") },
    h("kbd", { text: "F7" }), h("span", { text: t("sale.no_shift") }));

  const totalLabel = h("div", { class: "total-label", id: "total-label", text: t("sale.total") });
  const totalValue = h("div", { class: "total-value", id: "total", text: fmt.money(0) });
  const totalMeta = h("div", { class: "total-meta", id: "total-meta" });
  const customerBox = h("div", { class: "customer-box", id: "customer-box" });
  const payBtn = btn(t("btn.pay"), { key: "F5", cls: "btn-pay", id: "btn-pay", onclick: () => pay() });
  const actions = h("div", { class: "actions" },
    btn(t("btn.search"), { key: "F2", id: "btn-search", onclick: () => openSearch() }),
    btn(t("btn.qty"), { key: "F3", id: "btn-qty", onclick: () => editQty() }),
    btn(t("btn.delete"), { key: "F8", id: "btn-delete", onclick: () => deleteSelected() }),
    btn(t("btn.void"), { key: "F10", id: "btn-void", cls: "btn-warn", onclick: () => voidCart() }),
    btn(t("btn.discount"), { key: "Alt+S", id: "btn-discount", onclick: () => openDiscountDialog(say) }),
    btn(t("btn.return"), { key: "F6", id: "btn-return", onclick: () => nav.go("returns") }),
    btn(t("btn.shift"), { key: "F7", id: "btn-shift", onclick: () => nav.go("shift") }),
    btn(t("btn.receipt"), { key: "F9", id: "btn-receipt", onclick: () => showLastReceipt() }),
    btn(t("btn.help"), { key: "F1", id: "btn-help", onclick: () => openHelp() }));

  const view = h("div", { class: "sale", id: "sale" },
    h("div", { class: "sale-left" },
      h("div", { class: "scanbar" },
        h("div", { class: "scan-wrap" }, h("span", { class: "scan-icon", "aria-hidden": "true" }), scan)),
      h("div", { class: "quick-keys", id: "quick-keys", hidden: true }),
      banner, cartBox, receiptBox, msg),
    h("aside", { class: "sale-side" },
      h("div", { class: "total-box", id: "total-box" }, totalLabel, totalValue, totalMeta),
      customerBox, payBtn, actions, codePad(scan)));
  keepFocus(view);
  root.append(view);

  els = { view, scan, cartBody, cartTable, cartEmpty, cartBox, receiptBox, msg, banner, totalLabel,
          totalValue, totalMeta, customerBox, payBtn, guard: burstGuard(scan) };

  scan.addEventListener("keydown", onScanKey);
  scan.addEventListener("blur", () => setTimeout(focusScan, 0));
  onCart((why) => {
    if (why === "select") return markSelected();
    if (why === "quote" && clampRedeem()) return;
    render();
    if (why !== "quote") requote().catch(() => {});
  });
  render();
  if (!isEmpty()) requote().catch(() => {});
  return els;
}

/** The cart shrank under a bonus redemption: redeem what is still allowed, and say so. */
function clampRedeem() {
  const e = cart.quoteError;
  if (!e || !cart.redeem || !/^bonus_exceeds/.test(e.code || "")) return false;
  const allowed = Math.max(0, Math.min(cart.redeem, Number(e.extra?.available) || 0));
  setRedeem(allowed);
  say(errorText(e), "warn");
  return true;
}

/** A small keypad for typing a barcode by touch when a label will not scan. */
function codePad(scan) {
  const press = (k) => {
    if (k === "⌫") scan.value = scan.value.slice(0, -1);
    else if (k === "↵") { submitScanField(); return; }
    else if (scan.value.length < 64) scan.value += k;
    focusScan();
  };
  return h("div", { class: "code-pad", role: "group", "aria-label": t("sale.code_pad") },
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "⌫", "↵"].map((k) => h("button", {
      type: "button", class: "cp-key" + (k === "↵" ? " cp-enter" : k === "⌫" ? " cp-fn" : ""),
      "aria-label": k === "↵" ? "Enter" : k === "⌫" ? t("kp.back") : k, text: k, onclick: () => press(k) })));
}

/** Keep the scan field focused whenever the sale screen is in front and nothing else asks. */
export function focusScan() {
  if (!els || state.view !== "sale" || anyDialog()) return;
  if (!document.getElementById("lock").hidden) return;
  if (document.activeElement !== els.scan) els.scan.focus({ preventScroll: true });
}

export function onShow() {
  render();
  focusScan();
}

/** A line in the message bar under the cart (what just happened, or what went wrong). */
export function notify(message, kind = "ok") {
  if (els) say(message, kind);
}

function say(message, kind = "ok") {
  clear(els.msg);
  els.msg.dataset.kind = kind;
  els.msg.append(h("span", { class: "msg-icon", "aria-hidden": "true" }), h("span", { class: "msg-text", text: message }));
}

// ---- scanning --------------------------------------------------------------------------

function onScanKey(e) {
  if (e.key !== "Enter") return;
  e.preventDefault();
  e.stopPropagation();
  submitScanField();
}

function submitScanField() {
  const code = els.scan.value.trim();
  els.scan.value = "";
  els.guard.reset();
  if (!code) {
    if (lastSale && isEmpty()) newSale();
    return;
  }
  // Scans are handled strictly in order, however fast they come.
  scanQueue = scanQueue.then(() => handleCode(code)).catch(() => {});
}

/** For tests and for the search: put a code through exactly what a scan does. */
export function scanCode(code) {
  scanQueue = scanQueue.then(() => handleCode(code)).catch(() => {});
  return scanQueue;
}

async function handleCode(raw) {
  let code = raw;
  let times = 1;
  const m = /^(\d{1,3})\s*[*xх]\s*(\S+)$/i.exec(raw);   // "3*4607001234562": three of them
  if (m) { times = Number(m[1]) || 1; code = m[2]; }
  let product;
  try {
    product = await get("/products/lookup" + qs({ barcode: code }));
  } catch (e) {
    if (e.code === "unknown_barcode" || (e.status === 404 && !e.missingRoute)) {
      beep(false);
      if (/[^\d]/.test(code) && !/^\d+$/.test(code)) {   // letters: the cashier typed a name
        say(t("sale.searching", { q: code }), "info");
        openSearch(raw);
        return;
      }
      say(t("err.unknown_barcode", { code }), "error");
      return;
    }
    beep(false);
    say(errorText(e), "error");
    return;
  }
  if (lastSale && isEmpty()) newSale(false);
  let milli = times * 1000;
  if (product.unit === "kg") {
    const embedded = product.qty ?? product.weight;   // a weighed barcode carries the weight
    milli = embedded ? fmt.milliOf(embedded) : await askWeight(product);
    if (!milli) { say(t("sale.weight_cancelled", { name: product.name }), "info"); return; }
  }
  const line = addProduct(product, milli);
  beep(true);
  const low = product.stock != null && fmt.milliOf(product.stock) - line.milli < 0;
  say(`${product.name} — ${fmt.qty(line.milli, line.unit)} × ${fmt.money(product.price)}` +
      (low ? ` · ${t("sale.low_stock")}` : ""), low ? "warn" : "ok");
}

function askWeight(product) {
  const input = h("input", { class: "input input-xl num", id: "weight-input", inputmode: "decimal",
                             autocomplete: "off", "aria-label": t("weight.label") });
  const guard = burstGuard(input);
  const preview = h("div", { class: "big-preview", id: "weight-preview" });
  const msg = messageLine();
  const update = () => {
    const milli = fmt.parseQty(input.value);
    text(preview, milli ? `${fmt.qty(milli, "kg")} ${t("unit.kg")} × ${fmt.money(product.price)} = ${fmt.money(fmt.lineAmount(product.price, milli))}` : "");
  };
  input.addEventListener("input", update);
  const confirm = (d) => {
    if (guard.isScan()) { input.value = ""; guard.reset(); msg.show(t("err.scan_in_field")); return; }
    const milli = fmt.parseQty(input.value);
    if (!milli) { msg.show(t("weight.invalid")); input.select(); return; }
    d.close(milli);
  };
  let scale = true;
  const readScale = async (d, quiet = false) => {
    if (!quiet) msg.show(t("weight.reading"), "info");
    try {
      const r = await get("/scale/weight", { timeout: 5000 });
      const milli = fmt.milliOf(r.weight);
      if (milli > 0 && (!quiet || !input.value)) { input.value = fmt.qty(milli, "kg"); update(); msg.hide(); input.select(); }
    } catch (e) {
      if (e.missingRoute || e.code === "no_scale") {
        scale = false;
        d.setButtons(buttons());
        if (!quiet) msg.show(t("err.no_scale"));
      } else if (!quiet) msg.show(errorText(e));
      else msg.hide();
    }
  };
  const buttons = () => [
    { label: t("btn.cancel"), key: "Esc", onclick: (d) => d.close(null) },
    scale ? { label: t("weight.read_scale"), key: "F2", onclick: (d) => readScale(d) } : null,
    { label: t("btn.add"), key: "Enter", cls: "btn-primary", onclick: confirm },
  ];
  const dlg = openDialog({
    title: t("weight.title"), cls: "dialog-md",
    body: h("div", { class: "two-col" },
      h("div", {},
        h("p", { class: "dialog-product", text: product.name }),
        h("p", { class: "muted", text: `${fmt.money(product.price)} / ${t("unit.kg")}` }),
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("weight.label") }), input),
        preview, msg.el),
      keypad(() => input, { decimal: true, onEnter: () => confirm(dlg) })),
    buttons: buttons(),
  });
  readScale(dlg, true);
  return dlg.done;
}

// ---- cart rendering --------------------------------------------------------------------

function render() {
  if (!els) return;
  const inReceipt = !!lastSale && isEmpty();
  els.cartBox.hidden = inReceipt;
  els.receiptBox.hidden = !inReceipt;
  els.view.classList.toggle("is-receipt", inReceipt);
  els.banner.hidden = state.shift !== null;
  renderCart();
  renderTotals(inReceipt);
  renderCustomer();
  els.payBtn.disabled = isEmpty();
}

function renderCart() {
  const rows = cart.lines.map((l, i) => {
    const pcs = l.unit === "pcs";
    return h("tr", { class: "cart-row" + (i === cart.selected ? " selected" : ""), dataset: { i: String(i) },
                     onclick: () => select(i) },
      h("td", { class: "c-no", text: String(i + 1) }),
      h("td", { class: "c-name" }, h("div", { class: "line-name", text: l.name }),
        h("div", { class: "line-sub", text: [l.sku, l.barcode].filter(Boolean).join(" · ") })),
      h("td", { class: "num", text: fmt.amount(l.price) + (pcs ? "" : ` /${t("unit.kg")}`) }),
      h("td", { class: "qty" },
        h("div", { class: "stepper" },
          pcs ? h("button", { type: "button", class: "step", "aria-label": t("cart.less"), text: "−",
                              disabled: l.milli <= 1000,
                              onclick: (e) => { e.stopPropagation(); setQty(i, l.milli - 1000); } }) : null,
          h("button", { type: "button", class: "qty-value", "aria-label": t("btn.qty"),
                        text: fmt.qty(l.milli, l.unit) + (pcs ? "" : ` ${t("unit.kg")}`),
                        onclick: (e) => { e.stopPropagation(); select(i); editQty(); } }),
          pcs ? h("button", { type: "button", class: "step", "aria-label": t("cart.more"), text: "+",
                              onclick: (e) => { e.stopPropagation(); setQty(i, l.milli + 1000); } }) : null)),
      h("td", { class: "num sum", text: fmt.amount(lineTotal(i)) }),
      h("td", { class: "c-del" }, h("button", { type: "button", class: "del", "aria-label": t("btn.delete"),
                                                 title: t("btn.delete"), text: "×",
                                                 onclick: (e) => { e.stopPropagation(); deleteLine(i); } })));
  });
  els.cartBody.replaceChildren(...rows);
  els.cartTable.hidden = !rows.length;
  els.cartEmpty.hidden = !!rows.length;
  markSelected();
}

function markSelected() {
  for (const tr of els.cartBody.children) {
    const sel = Number(tr.dataset.i) === cart.selected;
    tr.classList.toggle("selected", sel);
    if (sel) tr.scrollIntoView({ block: "nearest" });
  }
}

function renderTotals(inReceipt) {
  const box = document.getElementById("total-box");
  if (inReceipt) {
    const s = lastSale;
    box.dataset.mode = s.change > 0 ? "change" : "paid";
    text(els.totalLabel, s.change > 0 ? t("pay.change") : t("receipt.paid"));
    text(els.totalValue, fmt.money(s.change > 0 ? s.change : s.total));
    els.totalValue.id = "total";
    text(els.totalMeta, t("receipt.meta", { number: s.number, total: fmt.money(s.total) }));
    return;
  }
  box.dataset.mode = cart.quoteError ? "error" : (cart.quote || isEmpty() ? "ok" : "pending");
  text(els.totalLabel, t("sale.total"));
  text(els.totalValue, fmt.money(total()));
  const q = cart.quote;
  const parts = [t("sale.items", { n: fmt.count(itemCount()), lines: cart.lines.length })];
  if (q && q.discount_total) parts.push(t("sale.discount", { amount: fmt.money(q.discount_total) }));
  text(els.totalMeta, parts.join(" · "));
  if (cart.quoteError) say(errorText(cart.quoteError), "error");
}

function renderCustomer() {
  const box = els.customerBox;
  clear(box);
  const c = cart.customer;
  if (!c) {
    box.dataset.state = "none";
    box.append(h("div", { class: "cust-info" }, h("div", { class: "cust-title", text: t("cust.none") }),
                 h("div", { class: "cust-sub", text: t("cust.hint") })),
               btn(t("cust.find_btn"), { key: "F4", id: "btn-customer", cls: "btn-sm", onclick: () => openCustomerDialog() }));
    return;
  }
  box.dataset.state = "set";
  const b = cart.quote?.bonus;
  box.append(
    h("div", { class: "cust-info" },
      h("div", { class: "cust-title", id: "cust-name", text: c.name || fmt.phone(c.phone) }),
      h("div", { class: "cust-sub", text: `${fmt.phone(c.phone)} · ${t("cust.balance")}: ${fmt.money(c.bonus_balance)}` }),
      cart.redeem ? h("div", { class: "cust-redeem", text: t("cust.redeeming", { amount: fmt.money(b?.redeem ?? cart.redeem) }) })
                  : (b?.earn ? h("div", { class: "cust-sub", text: t("cust.will_earn", { amount: fmt.money(b.earn) }) }) : null)),
    h("div", { class: "cust-actions" },
      btn(t("btn.customer"), { key: "F4", id: "btn-customer", cls: "btn-sm", onclick: () => openCustomerDialog() }),
      btn(t("cust.redeem"), { cls: "btn-sm", id: "btn-redeem", disabled: !(b?.max_redeem > 0) && !cart.redeem,
                              onclick: () => openRedeemDialog() })));
}

// ---- actions ---------------------------------------------------------------------------

function newSale(render_ = true) {
  lastSale = null;
  if (render_) { render(); say(t("sale.ready"), "info"); }
}

export function showSaleDone(sale) {
  lastSale = sale;
  sessionStorage.setItem(LAST_SALE_KEY, String(sale.sale_id));
  clearCart();
  say(t("sale.done", { number: sale.number }), "ok");
  renderReceiptInto(els.receiptBox, sale, { onReprint: () => reprint(sale.sale_id, say), onNew: () => newSale() });
  if (sale.fiscal) showFiscal(sale, sale.fiscal);
  render();
  focusScan();
  watchFiscal(sale, (f) => showFiscal(sale, f));
}

/** How the register took this sale's receipt, on the receipt panel; a failure is said aloud. */
function showFiscal(sale, f) {
  if (lastSale?.sale_id !== sale.sale_id) return;   // the cashier moved on
  els.receiptBox.querySelector("#receipt-fiscal")?.remove();
  const head = els.receiptBox.querySelector(".receipt-head");
  (head || els.receiptBox.firstChild)?.after(fiscalLine(f));
  if (f.status === "failed") say(t("sale.fiscal_failed", { number: sale.number, error: f.error || "" }), "error");
}

async function showLastReceipt() {
  if (lastSale && isEmpty()) return reprint(lastSale.sale_id, say);
  const id = sessionStorage.getItem(LAST_SALE_KEY);
  let sale = null;
  try {
    if (id) sale = await get(`/sales/${encodeURIComponent(id)}`);
    else sale = (await get("/sales" + qs({ limit: 1 }))).items?.[0] || null;
  } catch (e) { return say(errorText(e), "error"); }
  if (!sale) return say(t("receipt.none"), "info");
  if (!isEmpty()) {   // an open cart stays; the receipt opens in a dialog
    const box = h("div", { class: "receipt-dialog" });
    const dlg = openDialog({ title: t("receipt.title_n", { number: sale.number }), body: box, cls: "dialog-lg",
      buttons: [{ label: t("btn.close"), key: "Esc", onclick: (d) => d.close() },
                { label: t("receipt.reprint"), key: "F9", cls: "btn-primary", onclick: () => reprint(sale.sale_id) }] });
    renderReceiptInto(box, sale, { compact: true });
    return dlg;
  }
  lastSale = sale;
  renderReceiptInto(els.receiptBox, sale, { onReprint: () => reprint(sale.sale_id, say), onNew: () => newSale() });
  render();
}

async function pay() {
  if (isEmpty()) { say(t("sale.empty_pay"), "info"); return; }
  if (state.shift === null) { say(t("err.no_open_shift"), "error"); beep(false); return; }
  const sale = await openPayment();
  if (sale) {
    showSaleDone(sale);
    setTimeout(pollStatus, 300);      // the queue grew by one: show it
  }
  focusScan();
}

function editQty() {
  const i = cart.selected;
  const l = cart.lines[i];
  if (!l) { say(t("sale.select_line"), "info"); return; }
  const kg = l.unit === "kg";
  const input = h("input", { class: "input input-xl num", id: "qty-input", inputmode: kg ? "decimal" : "numeric",
                             autocomplete: "off", value: kg ? fmt.qty(l.milli, "kg") : String(l.milli / 1000),
                             "aria-label": t("cart.qty") });
  const guard = burstGuard(input);
  const msg = messageLine();
  const confirm = (d) => {
    if (guard.isScan()) { input.value = ""; guard.reset(); msg.show(t("err.scan_in_field")); return; }
    const milli = fmt.parseQty(input.value);
    if (!milli || (!kg && milli % 1000)) { msg.show(kg ? t("weight.invalid") : t("qty.invalid")); input.select(); return; }
    setQty(i, milli);
    d.close(milli);
  };
  const dlg = openDialog({
    title: kg ? t("weight.title") : t("qty.title"), cls: "dialog-md",
    body: h("div", { class: "two-col" },
      h("div", {}, h("p", { class: "dialog-product", text: l.name }),
        h("p", { class: "muted", text: fmt.money(l.price) + (kg ? ` / ${t("unit.kg")}` : "") }),
        h("label", { class: "field" }, h("span", { class: "field-label", text: kg ? t("weight.label") : t("cart.qty") }), input),
        msg.el),
      keypad(() => input, { decimal: kg, onEnter: () => confirm(dlg) })),
    buttons: [
      { label: t("btn.cancel"), key: "Esc", onclick: (d) => d.close(null) },
      { label: t("btn.ok"), key: "Enter", cls: "btn-primary", onclick: confirm },
    ],
  });
  requestAnimationFrame(() => input.select());
}

function deleteLine(i) {
  const gone = removeLine(i);
  if (gone) say(t("sale.removed", { name: gone.name }), "info");
}

function deleteSelected() {
  if (cart.selected < 0) { say(t("sale.select_line"), "info"); return; }
  deleteLine(cart.selected);
}

/** Voiding a whole sale needs a manager: their own session, or a manager's PIN here. */
function voidCart() {
  if (isEmpty()) { say(t("sale.nothing_to_void"), "info"); return; }
  const needPin = !isManager();
  const pin = h("input", { class: "input input-lg input-pin", type: "password", inputmode: "numeric",
                           id: "void-pin", maxlength: "8", autocomplete: "off", "aria-label": t("approve.pin") });
  const who = approverField("void-login");
  const msg = messageLine();
  const guard = burstGuard(pin);
  const confirm = async (d) => {
    if (needPin && guard.isScan()) { pin.value = ""; guard.reset(); msg.show(t("err.scan_in_field")); return; }
    const btnEl = d.button("Enter");
    btnEl.disabled = true;
    try {
      const r = await post("/approvals", needPin ? { approval_pin: pin.value, approval_login: who.value(),
                                                     action: "void a sale" }
                                                 : { action: "void a sale" });
      clearCart();
      lastSale = null;
      render();
      say(t("sale.voided", { who: r.approved_by?.name || "" }), "info");
      d.close(true);
    } catch (e) {
      msg.show(e.code === "approval_refused" ? t("err.approval_refused") : errorText(e));
      pin.value = "";
      pin.focus();
    } finally { btnEl.disabled = false; }
  };
  const dlg = openDialog({
    title: t("void.title"), cls: needPin ? "dialog-md" : "dialog-sm",
    body: h("div", { class: needPin ? "two-col" : "" },
      h("div", {},
        h("p", { class: "dialog-text", text: t("void.text", { n: cart.lines.length, total: fmt.money(total()) }) }),
        needPin ? who.field : null,
        needPin ? h("label", { class: "field" }, h("span", { class: "field-label", text: t("approve.pin") }), pin) : null,
        msg.el),
      needPin ? keypad(() => pin, { onEnter: () => confirm(dlg) }) : null),
    buttons: [
      { label: t("btn.back"), key: "Esc", onclick: (d) => d.close(false) },
      { label: t("void.confirm"), key: "Enter", cls: "btn-danger", onclick: confirm },
    ],
  });
}

export function openSearch(initial = "") {
  const input = h("input", { class: "input input-lg", id: "search-input", type: "search", autocomplete: "off",
                             spellcheck: "false", placeholder: t("search.placeholder"), value: initial,
                             "aria-label": t("search.placeholder") });
  const guard = burstGuard(input);
  const list = h("ul", { class: "results", id: "search-results", role: "listbox" });
  const status = h("p", { class: "muted results-status" });
  let items = [];
  let sel = 0;
  let seq = 0;
  let timer = null;
  const paint = () => {
    list.replaceChildren(...items.map((p, i) => h("li", {
      class: "result" + (i === sel ? " selected" : ""), role: "option", "aria-selected": String(i === sel),
      onclick: () => choose(i) },
      h("span", { class: "r-name", text: p.name }),
      h("span", { class: "r-sku", text: p.sku }),
      h("span", { class: "r-stock", text: `${fmt.qty(fmt.milliOf(p.stock), p.unit)} ${t("unit." + p.unit)}` }),
      h("span", { class: "r-price", text: fmt.money(p.price) + (p.unit === "kg" ? ` /${t("unit.kg")}` : "") }))));
    list.children[sel]?.scrollIntoView({ block: "nearest" });
  };
  const run = async () => {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) { items = []; paint(); text(status, t("search.hint")); return; }
    try {
      const r = await get("/products" + qs({ q, limit: 40 }));
      if (my !== seq) return;          // a newer search is under way
      items = r.items || [];
      sel = 0;
      paint();
      text(status, items.length ? t("search.found", { n: items.length }) : t("search.nothing", { q }));
    } catch (e) {
      if (my === seq) text(status, errorText(e));
    }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 120); });
  const choose = (i) => {
    const p = items[i];
    if (!p) return;
    dlg.close(p);
  };
  const dlg = openDialog({
    title: t("search.title"), cls: "dialog-lg dialog-search",
    body: h("div", { class: "search" }, input, status, list,
            state.ui.touch_keyboard ? letterKeyboard(input) : null),
    onKey: (e) => {
      if (e.key === "ArrowDown") { sel = Math.min(sel + 1, items.length - 1); paint(); return true; }
      if (e.key === "ArrowUp") { sel = Math.max(sel - 1, 0); paint(); return true; }
      if (e.key === "Enter") {
        if (guard.isScan()) { const code = input.value.trim(); dlg.close(null); scanCode(code); return true; }
        choose(sel);
        return true;
      }
      return false;
    },
    buttons: [
      { label: t("btn.close"), key: "Esc", onclick: (d) => d.close(null) },
      { label: t("btn.add"), key: "Enter", cls: "btn-primary", onclick: () => choose(sel) },
    ],
  });
  if (initial) run(); else text(status, t("search.hint"));
  dlg.done.then((p) => (p ? addChosen(p) : focusScan()));
}

/** A product chosen by name (the search, a quick key): one piece, or its weight. */
async function addChosen(p) {
  if (anyDialog()) return;
  if (lastSale && isEmpty()) newSale(false);
  let milli = 1000;
  if (p.unit === "kg") { milli = await askWeight(p); if (!milli) return focusScan(); }
  addProduct({ ...p, barcode: null }, milli);
  beep(true);
  say(`${p.name} — ${fmt.qty(milli, p.unit)} × ${fmt.money(p.price)}`, "ok");
  focusScan();
}

export function openHelp() {
  const rows = saleKeys().map(([k, label]) => h("tr", {}, h("td", {}, h("kbd", { text: k })), h("td", { text: label })));
  openDialog({
    title: t("help.title"), cls: "dialog-md",
    body: h("div", {}, h("table", { class: "keys-table" }, h("tbody", {}, rows)),
            h("p", { class: "muted", text: t("help.scanner") })),
    buttons: [{ label: t("btn.close"), key: "Esc", cls: "btn-primary", onclick: (d) => d.close() }],
  });
}

/** Keys on the sale screen (no dialog open). Returns true when the key was used. */
export function saleKey(e) {
  const emptyField = !els.scan.value;
  if (e.altKey && e.code === "KeyS") { openDiscountDialog(say); return true; }
  switch (e.key) {
    case "F1": openHelp(); return true;
    case "F2": openSearch(); return true;
    case "F3": editQty(); return true;
    case "F4": openCustomerDialog(); return true;
    case "F5": pay(); return true;
    case "F6": nav.go("returns"); return true;
    case "F7": nav.go("shift"); return true;
    case "F8": deleteSelected(); return true;
    case "F9": showLastReceipt(); return true;
    case "F10": voidCart(); return true;
    case "ArrowDown": select(Math.min(cart.selected + 1, cart.lines.length - 1)); return true;
    case "ArrowUp": select(Math.max(cart.selected - 1, 0)); return true;
    case "Delete": if (emptyField) { deleteSelected(); return true; } return false;
    case "+": {
      const l = cart.lines[cart.selected];
      if (emptyField && l) { if (l.unit === "pcs") setQty(cart.selected, l.milli + 1000); else editQty(); return true; }
      return false;
    }
    case "-": {
      const l = cart.lines[cart.selected];
      if (emptyField && l) { if (l.unit === "pcs" && l.milli > 1000) setQty(cart.selected, l.milli - 1000); return true; }
      return false;
    }
    case "Escape":
      if (!emptyField) { els.scan.value = ""; return true; }
      if (lastSale && isEmpty()) { newSale(); return true; }
      return false;
    default: return false;
  }
}

export function resetSaleScreen() {
  lastSale = null;
  if (els) render();
}

export async function afterLogin() {
  // A sale sent before a reload or a lost answer: find out whether it was recorded.
  if (cart.attempted && cart.clientRef) {
    const sale = await resolvePendingSale();
    if (sale) showSaleDone(sale);
  }
  if (els) loadQuickKeys(els.view.querySelector("#quick-keys"), (p) => { scanQueue = scanQueue.then(() => addChosen(p)).catch(() => {}); });
  render();
}

export function refreshShiftBanner() { if (els) render(); }
