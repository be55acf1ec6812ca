// Pick-up orders (Alt+O or the "Orders" button): the open orders by status, overdue first;
// accept, assemble by scanning every unit, mark ready, hand over (collecting is a sale for
// what is still due, shown on the sale screen's receipt panel), or cancel with a reason.
// Every name and phone goes on screen as text.

import { h, btn } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post, newRef } from "./api.js";
import * as fmt from "./format.js";
import { messageLine, toast, beep } from "./widgets.js";

const FILTERS = ["", "new", "accepted", "assembled", "ready"];
const NEXT = { new: "accepted", assembled: "ready" };
let root = null;
let nav = null;
let onCollected = null;
let filter = "";
let current = null;        // the order open on the right, with its picking state
let scanInput = null;

export function buildOrdersView(container, navigator, collected) {
  nav = navigator;
  onCollected = collected;
  root = h("div", { class: "page orders", id: "orders" });
  container.append(root);
  return root;
}

export function onShow() { current = null; load(); }

async function load() {
  const list = h("div", { class: "pane orders-list", id: "orders-list" });
  const detail = h("div", { class: "pane orders-detail", id: "orders-detail" },
    h("p", { class: "muted", text: t("ord.pick") }));
  root.replaceChildren(
    h("div", { class: "page-head" },
      btn(t("btn.back"), { key: "Esc", cls: "btn-back", onclick: () => nav.go("sale") }),
      h("h1", { class: "page-title", text: t("ord.title") }),
      h("div", { class: "bo-tabs", role: "tablist" }, ...FILTERS.map((f) =>
        btn(t(f ? `ord.status.${f}` : "ord.open"), { id: `ord-filter-${f || "open"}`,
          cls: f === filter ? "btn-primary" : "", onclick: () => { filter = f; load(); } })))),
    h("div", { class: "page-body orders-body" }, list, detail));
  let items = [];
  try {
    items = (await get("/orders" + (filter ? `?status=${filter}` : ""))).items;
  } catch (e) {
    list.append(h("p", { class: "form-msg", role: "alert", text: errorText(e) }));
    return;
  }
  if (!items.length) list.append(h("p", { class: "muted", text: t("ord.none") }));
  for (const o of items) {
    list.append(h("button", { type: "button", class: "recent-item order-item", onclick: () => open(o, detail),
                              dataset: { orderId: o.order_id, status: o.status, overdue: o.overdue ? "1" : "0" } },
      h("span", { class: "order-id", text: o.order_id }),
      h("span", { class: "order-status", text: t(`ord.status.${o.status}`) }),
      o.overdue ? h("span", { class: "badge badge-warn order-overdue", text: t("ord.overdue") }) : null,
      h("span", { class: "order-due num", text: fmt.money(o.due) })));
  }
  if (current) {
    const again = items.find((o) => o.order_id === current.order.order_id);
    if (again) open(again, detail);
  }
}

function open(order, detail) {
  const keep = current && current.order.order_id === order.order_id ? current.picked : {};
  current = { order, picked: keep };
  const msg = messageLine();
  const rows = order.lines.map((ln) => h("tr", { dataset: { sku: ln.sku, picked: String(keep[ln.line_no] || 0) } },
    h("td", { text: ln.name }), h("td", { class: "num", text: ln.qty }),
    h("td", { class: "num picked", text: String(keep[ln.line_no] || 0) }),
    h("td", { class: "num", text: fmt.money(ln.amount) })));
  const actions = h("div", { class: "order-actions" });
  scanInput = null;
  if (order.status === "accepted") {
    scanInput = h("input", { class: "input input-lg", id: "ord-scan", autocomplete: "off",
                             placeholder: t("ord.scan"), "aria-label": t("ord.scan") });
    scanInput.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const code = scanInput.value.trim();
      scanInput.value = "";
      if (code) pick(code, rows, msg, assembled);
    });
    const assembled = btn(t("ord.assembled"), { key: "F6", id: "ord-assembled", cls: "btn-primary",
                                                disabled: !allPicked(), onclick: () => move("assembled", msg) });
    actions.append(scanInput, assembled);
  } else if (NEXT[order.status]) {
    actions.append(btn(t(`ord.to.${NEXT[order.status]}`), { key: "F6", id: "ord-next", cls: "btn-primary",
                                                            onclick: () => move(NEXT[order.status], msg) }));
  } else if (order.status === "ready") {
    actions.append(btn(t("ord.collect"), { key: "F6", id: "ord-collect", cls: "btn-primary",
                                           onclick: () => collect(msg) }));
  }
  const reason = h("input", { class: "input", id: "ord-reason", maxlength: "200", placeholder: t("ord.reason") });
  if (!["collected", "cancelled"].includes(order.status)) {
    actions.append(h("div", { class: "order-cancel" }, reason,
      btn(t("ord.cancel"), { id: "ord-cancel", cls: "btn-danger",
                             onclick: () => move("cancelled", msg, reason.value.trim()) })));
  }
  detail.replaceChildren(...[
    h("h2", { class: "pane-title", id: "ord-title", text: `${order.order_id} · ${t(`ord.status.${order.status}`)}` }),
    order.overdue ? h("p", { class: "badge badge-warn", id: "ord-overdue", text: t("ord.overdue_hint") }) : null,
    order.customer_phone ? h("p", { id: "ord-phone", text: fmt.phone(order.customer_phone) }) : null,
    h("table", { class: "table", id: "ord-lines" },
      h("thead", {}, h("tr", {}, ...["ord.col.name", "ord.col.qty", "ord.col.picked", "ord.col.amount"]
        .map((k) => h("th", { text: t(k) })))),
      h("tbody", {}, rows)),
    h("p", { id: "ord-money", text: t("ord.money", { total: fmt.money(order.total - order.bonus_redeemed),
                                                     prepaid: fmt.money(order.prepaid), due: fmt.money(order.due) }) }),
    actions, msg.el].filter(Boolean));
  if (scanInput) requestAnimationFrame(() => scanInput.focus());
}

function allPicked() {
  const { order, picked } = current;
  return order.lines.every((ln) => (picked[ln.line_no] || 0) * 1000 >= fmt.milliOf(ln.qty));
}

async function pick(code, rows, msg, assembledButton) {
  let sku = null;
  const { order, picked } = current;
  const direct = order.lines.find((ln) => ln.barcode === code || ln.sku === code);
  if (direct) sku = direct.sku;
  else {
    try { sku = (await get(`/products/lookup?barcode=${encodeURIComponent(code)}`)).sku; } catch { sku = null; }
  }
  const line = order.lines.find((ln) => ln.sku === sku
    && (picked[ln.line_no] || 0) * 1000 < fmt.milliOf(ln.qty));
  if (!line) { beep(false); msg.show(t("ord.not_in_order", { code })); return; }
  msg.hide();
  beep(true);
  picked[line.line_no] = (picked[line.line_no] || 0) + 1;
  const row = rows[order.lines.indexOf(line)];
  row.dataset.picked = String(picked[line.line_no]);
  row.querySelector(".picked").textContent = String(picked[line.line_no]);
  assembledButton.disabled = !allPicked();
}

async function move(status, msg, reason) {
  const body = { client_ref: newRef(), status };
  if (reason) body.reason = reason;
  try {
    await post(`/orders/${encodeURIComponent(current.order.order_id)}/status`, body);
    toast(t(`ord.done.${status}`, { id: current.order.order_id }), "ok");
    await load();
  } catch (e) {
    beep(false);
    msg.show(errorText(e));
  }
}

async function collect(msg) {
  const order = current.order;
  const payments = [];
  if (order.due > 0) {
    const cash = document.getElementById("ord-cash");
    if (!cash) {   // first press: ask what the customer hands over
      const input = h("input", { class: "input input-lg num", id: "ord-cash", inputmode: "decimal",
                                 placeholder: fmt.amount(order.due), "aria-label": t("pay.tendered") });
      msg.el.before(h("label", { class: "field" }, h("span", { class: "field-label", text: t("pay.tendered") }), input));
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); collect(msg); } });
      requestAnimationFrame(() => input.focus());
      return;
    }
    const amount = cash.value.trim() ? fmt.parseMoney(cash.value) : order.due;
    if (amount == null || amount < order.due) { msg.show(t("ord.short", { due: fmt.money(order.due) })); return; }
    payments.push({ method: "cash", amount });
  }
  try {
    const sale = await post(`/orders/${encodeURIComponent(order.order_id)}/collect`,
                            { client_ref: `collect-${order.order_id}-${newRef()}`, payments });
    current = null;
    nav.go("sale");
    onCollected(sale);
  } catch (e) {
    beep(false);
    msg.show(errorText(e));
  }
}

export function ordersKey(e) {
  if (e.key === "Escape") { nav.go("sale"); return true; }
  if (e.key === "F6") {
    const b = document.getElementById("ord-assembled") || document.getElementById("ord-next")
      || document.getElementById("ord-collect");
    if (b && !b.disabled) b.click();
    return true;
  }
  return false;
}
