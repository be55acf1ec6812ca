// The payment screen: cash (amount tendered, change shown large), card, or split.
// The sale is sent with the cart's client_ref, so pressing Pay again after a lost answer
// returns the same sale instead of making a second one; the button is disabled while a
// request is out, so a double tap or a double Enter cannot pay twice either.

import { h, text } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { post, get, qs } from "./api.js";
import * as fmt from "./format.js";
import { cart, freshQuote, saleBody, markAttempted } from "./cart.js";
import { openDialog } from "./dialog.js";
import { keypad, burstGuard, messageLine, toast, beep } from "./widgets.js";
import { state } from "./state.js";

/** Round-up amounts a customer is likely to hand over: 100, 500, 1000, 5000 ₽ steps. */
function quickAmounts(due) {
  const out = [];
  for (const step of [10000, 50000, 100000, 500000]) {
    const v = Math.ceil(due / step) * step;
    if (v > due && !out.includes(v)) out.push(v);
  }
  return out.slice(0, 4);
}

export async function openPayment() {
  let quote;
  try {
    quote = await freshQuote();
  } catch (e) {
    toast(errorText(e), "error");
    beep(false);
    return null;
  }
  if (!quote) return null;
  const due = quote.total;
  let mode = "cash";
  let sending = false;

  const cashIn = h("input", { class: "input input-xl num", id: "pay-cash", inputmode: "decimal", autocomplete: "off",
                              placeholder: fmt.amount(due), "aria-label": t("pay.tendered") });
  const cardIn = h("input", { class: "input input-xl num", id: "pay-card", inputmode: "decimal", autocomplete: "off",
                              placeholder: "0", "aria-label": t("pay.card_amount") });
  const guards = [burstGuard(cashIn), burstGuard(cardIn)];
  let target = cashIn;
  cashIn.addEventListener("focus", () => { target = cashIn; });
  cardIn.addEventListener("focus", () => { target = cardIn; });

  const changeValue = h("strong", { class: "change-value", id: "pay-change" });
  const changeLabel = h("span", { class: "change-label" });
  const changeBox = h("div", { class: "change-box", id: "pay-change-box" }, changeLabel, changeValue);
  const msg = messageLine();
  const cashField = h("label", { class: "field", id: "pay-cash-field" },
    h("span", { class: "field-label", text: t("pay.tendered") }), cashIn);
  const cardField = h("label", { class: "field", id: "pay-card-field" },
    h("span", { class: "field-label", text: t("pay.card_amount") }), cardIn);
  const cardNote = h("p", { class: "card-note", id: "pay-card-note" });
  const quick = h("div", { class: "quick" },
    h("button", { type: "button", class: "btn btn-quick", id: "pay-exact", text: t("pay.exact"),
                  onclick: () => { cashIn.value = fmt.plain(cashDue()); update(); } }),
    quickAmounts(due).map((v) => h("button", { type: "button", class: "btn btn-quick", text: fmt.money(v),
                                               onclick: () => { cashIn.value = String(v / 100); update(); } })));
  const tabs = {
    cash: h("button", { type: "button", class: "tab", id: "tab-cash", onclick: () => setMode("cash") },
            h("kbd", { text: "F2" }), h("span", { text: t("pay.cash") })),
    card: h("button", { type: "button", class: "tab", id: "tab-card", onclick: () => setMode("card") },
            h("kbd", { text: "F3" }), h("span", { text: t("pay.card") })),
    split: h("button", { type: "button", class: "tab", id: "tab-split", onclick: () => setMode("split") },
             h("kbd", { text: "F4" }), h("span", { text: t("pay.split") })),
  };

  const cardPart = () => (mode === "card" ? due : mode === "split" ? (fmt.parseMoney(cardIn.value) ?? 0) : 0);
  const cashDue = () => Math.max(0, due - cardPart());
  const tendered = () => (cashIn.value.trim() ? fmt.parseMoney(cashIn.value) : cashDue());

  function update() {
    const card = cardPart();
    const need = cashDue();
    const given = tendered();
    changeBox.dataset.kind = "ok";
    if (mode === "split" && card > due) {
      text(changeLabel, t("pay.error"));
      text(changeValue, t("pay.card_over"));
      changeBox.dataset.kind = "bad";
    } else if (mode !== "card" && given == null) {
      text(changeLabel, t("pay.error"));
      text(changeValue, t("pay.bad_amount"));
      changeBox.dataset.kind = "bad";
    } else if (mode !== "card" && given < need) {
      text(changeLabel, t("pay.short"));
      text(changeValue, fmt.money(need - given));
      changeBox.dataset.kind = "bad";
    } else {
      text(changeLabel, t("pay.change"));
      text(changeValue, fmt.money(mode === "card" ? 0 : given - need));
    }
    text(cardNote, mode === "split" ? t("pay.split_note", { cash: fmt.money(need) })
                                    : t("pay.card_note", { amount: fmt.money(due) }));
  }

  function setMode(m) {
    mode = m;
    for (const [k, el] of Object.entries(tabs)) el.classList.toggle("active", k === m);
    cashField.hidden = m === "card";
    quick.hidden = m === "card";
    cardField.hidden = m !== "split";
    cardNote.hidden = m === "cash";
    if (m === "split") { target = cardIn; cardIn.focus(); } else if (m === "cash") { target = cashIn; cashIn.focus(); }
    else dlg?.button("Enter")?.focus();
    update();
    msg.hide();
  }

  cashIn.addEventListener("input", update);
  cardIn.addEventListener("input", update);

  function payments() {
    const card = cardPart();
    if (mode === "card") return [{ method: "card", amount: due }];
    const given = tendered();
    const out = [];
    if (card > 0) out.push({ method: "card", amount: card });
    if (given > 0) out.push({ method: "cash", amount: given });
    return out;
  }

  async function submit(d) {
    if (sending) return;
    if (guards.some((g) => g.isScan())) {
      for (const g of guards) g.reset();
      cashIn.value = "";
      cardIn.value = "";
      update();
      msg.show(t("err.scan_in_payment"));
      beep(false);
      return;
    }
    if (changeBox.dataset.kind === "bad") { msg.show(changeValue.textContent + "."); beep(false); return; }
    const body = { client_ref: cart.clientRef, ...saleBody(), payments: due > 0 ? payments() : [] };
    sending = true;
    state.busy = true;
    const btnEl = d.button("Enter");
    btnEl.disabled = true;
    btnEl.classList.add("is-busy");
    msg.show(t("pay.sending"), "info");
    markAttempted(true);
    try {
      const sale = await post("/sales", body, { timeout: 20000 });
      markAttempted(false);
      d.close(sale);
    } catch (e) {
      if (e.uncertain) {
        msg.show(t("pay.uncertain"), "error");
      } else {
        markAttempted(false);
        msg.show(errorText(e), "error");
      }
      beep(false);
    } finally {
      sending = false;
      state.busy = false;
      btnEl.disabled = false;
      btnEl.classList.remove("is-busy");
    }
  }

  const dlg = openDialog({
    title: t("pay.title"), cls: "dialog-lg dialog-pay",
    body: h("div", { class: "pay" },
      h("div", { class: "pay-due" }, h("span", { text: t("pay.due") }),
        h("strong", { id: "pay-due", text: fmt.money(due) })),
      quote.bonus?.redeem ? h("p", { class: "muted", text: t("pay.bonus_used", { amount: fmt.money(quote.bonus.redeem) }) }) : null,
      h("div", { class: "tabs", role: "tablist" }, tabs.cash, tabs.card, tabs.split),
      h("div", { class: "two-col pay-cols" },
        h("div", { class: "pay-fields" }, cardField, cardNote, cashField, quick, changeBox, msg.el),
        keypad(() => target, { decimal: true, onEnter: () => submit(dlg) }))),
    onKey: (e) => {
      if (e.key === "F2") { setMode("cash"); return true; }
      if (e.key === "F3") { setMode("card"); return true; }
      if (e.key === "F4") { setMode("split"); return true; }
      if (e.key === "F5") { submit(dlg); return true; }
      if (e.key === "Escape" && sending) return true;
      return false;
    },
    buttons: [
      { label: t("btn.back"), key: "Esc", onclick: (d) => { if (!sending) d.close(null); } },
      { label: t("pay.confirm"), key: "Enter", cls: "btn-pay", onclick: submit },
    ],
    initialFocus: () => cashIn,
  });
  setMode("cash");
  const sale = await dlg.done;
  if (!sale && cart.attempted) {
    const found = await resolvePendingSale();
    if (found) return found;
  }
  return sale;
}

/** After a lost answer: was the sale with this cart's client_ref recorded after all? */
export async function resolvePendingSale() {
  try {
    const r = await get("/sales" + qs({ limit: 50 }));
    const sale = (r.items || []).find((s) => s.client_ref === cart.clientRef);
    if (sale) {
      toast(t("pay.was_recorded", { number: sale.number }), "warn", 6000);
      markAttempted(false);
      return sale;
    }
    markAttempted(false);
  } catch { /* still unreachable: keep the client_ref and ask again next time */ }
  return null;
}
