// The customer by phone: find, register, attach to the sale, redeem bonuses.  Names come
// from outside (the hub, other stores) and are only ever shown as text.

import { h, text, clear } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post, qs } from "./api.js";
import * as fmt from "./format.js";
import { cart, setCustomer, setRedeem, freshQuote } from "./cart.js";
import { openDialog } from "./dialog.js";
import { keypad, messageLine } from "./widgets.js";

export function openCustomerDialog() {
  const phoneIn = h("input", { class: "input input-xl", id: "cust-phone", type: "tel", inputmode: "tel",
                               autocomplete: "off", placeholder: "+7 9__ ___-__-__", maxlength: "24",
                               "aria-label": t("cust.phone") });
  const nameIn = h("input", { class: "input input-lg", id: "cust-new-name", type: "text", autocomplete: "off",
                              maxlength: "120", "aria-label": t("cust.name") });
  const result = h("div", { class: "cust-result", id: "cust-result" });
  const msg = messageLine();
  let found = null;
  let mode = "input";      // input | found | notfound
  let target = phoneIn;
  phoneIn.addEventListener("focus", () => { target = phoneIn; });
  phoneIn.addEventListener("input", () => { if (mode !== "input") { mode = "input"; found = null; clear(result); buttons(); } });

  const card = (c) => h("div", { class: "cust-card" },
    h("div", { class: "cust-card-name", id: "cust-found-name", text: c.name || t("cust.no_name") }),
    h("div", { class: "cust-card-phone", text: fmt.phone(c.phone) }),
    h("div", { class: "cust-card-balance" }, h("span", { text: t("cust.balance") }), h("strong", { text: fmt.money(c.bonus_balance) })),
    c.balance_confirmed_at ? h("div", { class: "muted", text: t("cust.confirmed_at", { at: fmt.dateTime(c.balance_confirmed_at) }) }) : null,
    ...(c.notes || []).filter((n) => n.kind === "welcome_duplicate").map((n) =>
      h("div", { class: "muted cust-note", text: t("cust.note_welcome_duplicate", { at: fmt.dateTime(n.at) }) })));

  async function find() {
    const phone = phoneIn.value.trim();
    if (!phone) { msg.show(t("cust.enter_phone")); return; }
    msg.show(t("cust.searching"), "info");
    try {
      found = await get("/customers" + qs({ phone }));
      mode = "found";
      msg.hide();
      result.replaceChildren(card(found));
    } catch (e) {
      found = null;
      if (e.missingRoute) { msg.show(t("cust.unavailable")); mode = "input"; }
      else if (e.status === 404) {
        mode = "notfound";
        msg.hide();
        result.replaceChildren(h("div", { class: "cust-card cust-new" },
          h("div", { class: "cust-card-name", text: t("cust.not_found") }),
          h("label", { class: "field" }, h("span", { class: "field-label", text: t("cust.name_optional") }), nameIn)));
      } else { msg.show(errorText(e)); mode = "input"; }
    }
    buttons();
  }

  async function register() {
    try {
      const body = { phone: phoneIn.value.trim() };
      if (nameIn.value.trim()) body.name = nameIn.value.trim();
      const c = await post("/customers", body);
      found = { bonus_balance: 0, ...c };
      mode = "found";
      result.replaceChildren(card(found));
      msg.show(t("cust.registered"), "ok");
    } catch (e) {
      msg.show(e.missingRoute ? t("cust.unavailable") : errorText(e));
    }
    buttons();
  }

  function attach(d) {
    if (!found) return;
    setCustomer({ phone: found.phone, name: found.name || "", bonus_balance: found.bonus_balance ?? 0,
                  balance_confirmed_at: found.balance_confirmed_at || null });
    d.close(found);
  }

  const current = cart.customer;
  const dlg = openDialog({
    title: t("cust.title"), cls: "dialog-md",
    body: h("div", { class: "two-col" },
      h("div", {},
        current ? h("p", { class: "dialog-text", text: t("cust.current", { name: current.name || fmt.phone(current.phone) }) }) : null,
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("cust.phone") }), phoneIn),
        result, msg.el),
      keypad(() => target, { onEnter: () => primary(dlg) })),
    onKey: (e, d) => {
      if (e.key === "Enter") {
        if (e.target === nameIn && mode === "notfound") { register(); return true; }
        primary(d);
        return true;
      }
      return false;
    },
  });
  function primary(d) {
    if (mode === "found") attach(d);
    else if (mode === "notfound") register();
    else find();
  }
  function buttons() {
    dlg.setButtons([
      { label: t("btn.back"), key: "Esc", onclick: (d) => d.close(null) },
      current ? { label: t("cust.detach"), key: "F8", cls: "btn-warn", onclick: (d) => { setCustomer(null); d.close(null); } } : null,
      mode === "notfound" ? { label: t("cust.register"), key: "F2", onclick: () => register() } : null,
      mode === "found" ? { label: t("cust.attach"), key: "Enter", cls: "btn-primary", onclick: attach }
                       : mode === "input" ? { label: t("cust.find"), key: "Enter", cls: "btn-primary", onclick: () => find() } : null,
    ]);
  }
  buttons();
  return dlg;
}

export async function openRedeemDialog() {
  if (!cart.customer) return openCustomerDialog();
  let q;
  try { q = await freshQuote(); } catch { q = cart.quote; }
  const max = q?.bonus?.max_redeem ?? 0;
  const input = h("input", { class: "input input-xl num", id: "redeem-input", inputmode: "decimal", autocomplete: "off",
                             value: fmt.plain(cart.redeem || max), "aria-label": t("cust.redeem_amount") });
  const msg = messageLine();
  const ok = (d) => {
    const v = fmt.parseMoney(input.value);
    if (v == null || v > max) { msg.show(t("cust.redeem_max", { max: fmt.money(max) })); return; }
    setRedeem(v);
    d.close(v);
  };
  const dlg = openDialog({
    title: t("cust.redeem"), cls: "dialog-md",
    body: h("div", { class: "two-col" },
      h("div", {},
        h("p", { class: "dialog-text", text: t("cust.redeem_text", { balance: fmt.money(cart.customer.bonus_balance),
                                                                     max: fmt.money(max) }) }),
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("cust.redeem_amount") }), input),
        msg.el),
      keypad(() => input, { decimal: true, onEnter: () => ok(dlg) })),
    buttons: [
      { label: t("btn.back"), key: "Esc", onclick: (d) => d.close(null) },
      { label: t("cust.no_redeem"), key: "F8", onclick: (d) => { setRedeem(0); d.close(0); } },
      { label: t("cust.redeem_do"), key: "Enter", cls: "btn-primary", onclick: ok },
    ],
  });
  requestAnimationFrame(() => input.select());
  return dlg;
}
