// A return without a receipt (F8 on the returns screen): scan or type the goods, the price
// (the catalog's, a manager may change it), the reason, the customer's name and identity
// document, and a manager's login and PIN in place.  The agent decides and records it.

import { h } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post, qs, newRef } from "./api.js";
import * as fmt from "./format.js";
import { openDialog } from "./dialog.js";
import { messageLine, approverField, burstGuard, beep } from "./widgets.js";
import { isManager } from "./state.js";

export function openNoReceiptDialog(onDone) {
  const clientRef = newRef();
  const items = [];   // {sku, name, unit, price, milli}
  const code = h("input", { class: "input input-lg", id: "nr-code", autocomplete: "off", maxlength: "64",
                            "aria-label": t("nr.code") });
  const list = h("tbody", { id: "nr-lines" });
  const totalEl = h("strong", { id: "nr-total", text: fmt.money(0) });
  const field = (id, label, attrs = {}) => {
    const input = h("input", { class: "input", id, autocomplete: "off", maxlength: "200", "aria-label": label, ...attrs });
    return [input, h("label", { class: "field" }, h("span", { class: "field-label", text: label }), input)];
  };
  const [reason, reasonField] = field("nr-reason", t("nr.reason"));
  const [name, nameField] = field("nr-name", t("nr.customer_name"));
  const [doc, docField] = field("nr-document", t("nr.customer_document"));
  const pin = h("input", { class: "input input-pin", type: "password", inputmode: "numeric", id: "nr-pin",
                           maxlength: "8", autocomplete: "off", "aria-label": t("approve.pin") });
  const who = approverField("nr-login");
  const guard = burstGuard(pin);
  const msg = messageLine();
  const needPin = !isManager();

  const render = () => {
    list.replaceChildren(...items.map((it, i) => {
      const price = h("input", { class: "input num", id: `nr-price-${i}`, inputmode: "decimal", value: fmt.plain(it.price),
                                 "aria-label": t("cart.price") });
      price.addEventListener("change", () => { const k = fmt.parseMoney(price.value); if (k > 0) it.price = k; render(); });
      const qty = h("input", { class: "input num", id: `nr-qty-${i}`, inputmode: "decimal", value: fmt.qty(it.milli, it.unit),
                               "aria-label": t("cart.qty") });
      qty.addEventListener("change", () => { const m = fmt.parseQty(qty.value); if (m) it.milli = m; render(); });
      return h("tr", { dataset: { sku: it.sku } }, h("td", { text: it.name }), h("td", {}, qty), h("td", {}, price),
        h("td", { class: "num", text: fmt.amount(fmt.lineAmount(it.price, it.milli)) }));
    }));
    totalEl.textContent = fmt.money(items.reduce((s, it) => s + fmt.lineAmount(it.price, it.milli), 0));
  };

  const add = async () => {
    const c = code.value.trim();
    if (!c) return;
    try {
      let p;
      try { p = await get("/products/lookup" + qs({ barcode: c })); } catch (e) {
        if (e.status !== 404 && e.code !== "not_found") throw e;
        const found = (await get("/products" + qs({ q: c, limit: 1 }))).items || [];
        p = found.find((x) => x.sku === c) || found[0];
        if (!p) throw e;
      }
      items.push({ sku: p.sku, name: p.name, unit: p.unit, price: p.price, milli: 1000 });
      code.value = "";
      msg.hide();
      render();
    } catch (e) { msg.show(errorText(e)); beep(false); }
  };
  code.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); add(); } });

  const submit = async (d) => {
    if (!items.length) { msg.show(t("nr.no_lines")); code.focus(); return; }
    if (needPin && guard.isScan()) { pin.value = ""; guard.reset(); msg.show(t("err.scan_in_field")); return; }
    if (needPin && !/^\d{4,8}$/.test(pin.value)) { msg.show(t("ret.need_pin")); pin.focus(); return; }
    const body = { client_ref: clientRef, sale_id: null, reason: reason.value.trim(),
                   customer: { name: name.value.trim(), document: doc.value.trim() },
                   lines: items.map((it) => ({ sku: it.sku, qty: fmt.qtyWire(it.milli), price: it.price })) };
    if (needPin) { body.approval_pin = pin.value; body.approval_login = who.value(); }
    const b = d.button("F5");
    b.disabled = true;
    try {
      const r = await post("/returns", body, { timeout: 20000 });
      d.close(r);
      onDone?.(r);
    } catch (e) {
      msg.show(e.code === "approval_refused" ? t("err.approval_refused") : errorText(e));
      if (e.code === "approval_refused") { pin.value = ""; pin.focus(); }
      beep(false);
    } finally { b.disabled = false; }
  };

  const dlg = openDialog({
    title: t("nr.title"), cls: "dialog-lg",
    body: h("div", { class: "two-col" },
      h("div", {},
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("nr.code") }), code),
        h("table", { class: "ret-table" }, h("thead", {}, h("tr", {}, h("th", { text: t("cart.name") }),
          h("th", { text: t("cart.qty") }), h("th", { text: t("cart.price") }), h("th", { class: "num", text: t("cart.sum") }))), list),
        h("div", { class: "ret-sum" }, h("span", { text: t("ret.refund") }), totalEl)),
      h("div", {}, reasonField, nameField, docField,
        needPin ? who.field : h("p", { class: "muted", text: t("ret.self_approved") }),
        needPin ? h("label", { class: "field" }, h("span", { class: "field-label", text: t("approve.pin") }), pin) : null,
        msg.el)),
    buttons: [
      { label: t("btn.cancel"), key: "Esc", onclick: (d) => d.close(null) },
      { label: t("ret.submit"), key: "F5", cls: "btn-primary", onclick: submit },
    ],
    initialFocus: () => code,
  });
  return dlg;
}
