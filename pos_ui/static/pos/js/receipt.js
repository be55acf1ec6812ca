// The receipt after a sale: the agent's own preview (the same layout the printer prints)
// when it offers one, else a plain-text receipt made here from the sale.  Either way it is
// text in a <pre> set with textContent: nothing from the receipt is parsed as HTML.

import { h, btn, text } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post } from "./api.js";
import * as fmt from "./format.js";
import { state } from "./state.js";
import { toast } from "./widgets.js";

const WIDTH = 42;

function row(left, right) {
  const gap = Math.max(1, WIDTH - left.length - right.length);
  if (left.length + right.length + 1 > WIDTH) return left + "\n" + " ".repeat(Math.max(0, WIDTH - right.length)) + right;
  return left + " ".repeat(gap) + right;
}

function center(s) {
  const pad = Math.max(0, Math.floor((WIDTH - s.length) / 2));
  return " ".repeat(pad) + s;
}

/** A receipt as text, from the sale the agent returned (used when it has no preview yet). */
export function receiptText(sale) {
  const out = [];
  out.push(center(state.store.name || ""));
  out.push(center(t("receipt.sale_title")));
  out.push(row(`${t("receipt.register")} ${sale.register_id ?? state.register}`, `${t("receipt.shift")} ${sale.shift_number ?? ""}`));
  out.push(row(`${t("receipt.number")} ${sale.number}`, fmt.dateTime(sale.created_at)));
  if (sale.cashier_name || sale.cashier) out.push(`${t("receipt.cashier")}: ${sale.cashier_name || sale.cashier}`);
  out.push("-".repeat(WIDTH));
  for (const l of sale.lines || []) {
    const milli = fmt.milliOf(l.qty);
    out.push(l.name);
    out.push(row(`  ${fmt.qty(milli, l.unit)}${l.unit === "kg" ? " " + t("unit.kg") : ""} × ${fmt.amount(l.price)}`,
                 fmt.amount(l.amount - (l.discount || 0))));
  }
  out.push("-".repeat(WIDTH));
  if (sale.bonus_redeemed) out.push(row(t("receipt.bonus_redeemed"), fmt.amount(sale.bonus_redeemed)));
  out.push(row(t("receipt.total"), fmt.amount(sale.total)));
  for (const p of sale.payments || []) out.push(row(t("pay." + p.method), fmt.amount(p.amount)));
  if (sale.change) out.push(row(t("pay.change"), fmt.amount(sale.change)));
  for (const v of sale.vat || []) {
    if (v.rate !== "none" && v.rate !== "0") out.push(row(t("receipt.vat", { rate: v.rate }), fmt.amount(v.amount)));
  }
  if (sale.bonus_earned) out.push(row(t("receipt.bonus_earned"), fmt.amount(sale.bonus_earned)));
  if (sale.customer_phone) out.push(`${t("receipt.customer")}: ${fmt.phone(sale.customer_phone)}`);
  if (sale.fiscal) {
    out.push("-".repeat(WIDTH));
    out.push(`${t("receipt.fiscal")}: ${t("fiscal." + sale.fiscal.status)}`);
    if (sale.fiscal.document_number) out.push(row(t("receipt.fd"), String(sale.fiscal.document_number)));
    if (sale.fiscal.fiscal_sign) out.push(row(t("receipt.fs"), String(sale.fiscal.fiscal_sign)));
  }
  return out.join("\n");
}

export function renderReceiptInto(box, sale, { onReprint, onNew, compact = false } = {}) {
  const pre = h("pre", { class: "receipt-text", id: compact ? "receipt-dialog-text" : "receipt-text",
                         "aria-label": t("receipt.preview") });
  const note = h("p", { class: "muted receipt-note" });
  const paper = h("div", { class: "receipt-paper" }, pre);
  const parts = [];
  if (!compact) {
    parts.push(h("div", { class: "receipt-head" },
      h("span", { class: "ok-mark", "aria-hidden": "true" }),
      h("div", {},
        h("div", { class: "receipt-title", text: t("receipt.done_title", { number: sale.number }) }),
        h("div", { class: "receipt-sub", text: `${fmt.dateTime(sale.created_at)} · ${t("receipt.total")} ${fmt.money(sale.total)}` +
                   (sale.payments || []).map((p) => ` · ${t("pay." + p.method)} ${fmt.money(p.amount)}`).join("") }))));
  }
  parts.push(paper, note);
  if (!compact) {
    parts.push(h("div", { class: "receipt-actions" },
      btn(t("receipt.reprint"), { key: "F9", cls: "btn-lg", id: "btn-reprint", onclick: onReprint }),
      btn(t("receipt.new_sale"), { key: "Enter", cls: "btn-lg btn-primary", id: "btn-new-sale", onclick: onNew }),
      h("span", { class: "muted", text: t("receipt.scan_next") })));
  }
  box.replaceChildren(...parts);
  text(pre, receiptText(sale));
  get(`/receipts/${encodeURIComponent(sale.sale_id)}`).then((r) => {
    if (r && typeof r.text === "string" && r.text) {
      text(pre, r.text.split("\n").filter((ln) => ln.trim() !== "[cut]").join("\n").replace(/\s+$/, ""));
      text(note, "");
    }
  }, (e) => {
    text(note, e.status === 404 ? t("receipt.local_preview") : errorText(e));
  });
}

/** Send the receipt to the printer again (the agent queues it; the printer state shows on top). */
export async function reprint(saleId, report = (msg, kind) => toast(msg, kind, kind === "error" ? 5000 : 3500)) {
  try {
    await post(`/receipts/${encodeURIComponent(saleId)}/print`, {});
    report(t("receipt.reprint_sent"), "ok");
  } catch (e) {
    report(e.missingRoute ? t("receipt.reprint_unavailable") : errorText(e), "error");
  }
}
