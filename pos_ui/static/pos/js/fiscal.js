// Fiscal register trouble on the screen: the sale whose receipt the register did not take,
// the list of receipts still waiting for it (a senior retries, a manager voids), and the
// warning at the X report and shift close.  All text goes in with textContent.

import { h, btn, text } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post } from "./api.js";
import * as fmt from "./format.js";
import { state } from "./state.js";
import { openDialog } from "./dialog.js";
import { messageLine } from "./widgets.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll a just-committed sale's fiscal status briefly; ``show(fiscal)`` gets the result. */
export async function watchFiscal(sale, show, { tries = 24, every = 500 } = {}) {
  let f = sale.fiscal;
  if (!f) return;
  for (let i = 0; f.status === "pending" && i < tries; i++) {
    await sleep(every);
    try { f = (await get(`/sales/${encodeURIComponent(sale.sale_id)}`)).fiscal || f; } catch { return; }
  }
  show(f);
}

/** One line saying how the register took the receipt (#receipt-fiscal). */
export function fiscalLine(f) {
  const el = h("div", { class: "fiscal-line", id: "receipt-fiscal", dataset: { status: f.status } });
  const word = t("fiscal." + f.status);
  text(el, f.status === "failed" ? t("fiscal.failed_line", { error: f.error || word })
    : f.status === "pending" ? t("fiscal.pending_line") : `${t("receipt.fiscal")}: ${word}`);
  return el;
}

/** The X report's and the close form's warning when receipts wait or failed (#…-fiscal-warning). */
export function fiscalWarning(id, status) {
  const n = (status?.pending || 0) + (status?.failed || 0);
  if (!status || !n) return null;
  return h("div", { class: "fiscal-warning", id, role: "alert", dataset: { failed: String(status.failed || 0) } },
    h("span", { text: t("fiscal.warning", { pending: status.pending || 0, failed: status.failed || 0 }) }));
}

export function canManageFiscal() {
  return state.me?.role === "senior" || state.me?.role === "manager";
}

/** The list of pending/failed fiscal receipts with Retry (senior) and Void (manager). */
export function openFiscalList(onChange = () => {}) {
  const list = h("div", { class: "fiscal-list", id: "fiscal-list" });
  const msg = messageLine();
  const dlg = openDialog({
    title: t("fiscal.list_title"), cls: "dialog-lg", body: h("div", {}, list, msg.el),
    buttons: [{ label: t("btn.close"), key: "Esc", onclick: (d) => d.close(null) }],
  });
  const act = async (path, okKey) => {
    try { await post(path, {}); msg.show(t(okKey), "ok"); onChange(); } catch (e) { msg.show(errorText(e)); }
    await load();
  };
  async function load() {
    let items;
    try { items = (await get("/fiscal/receipts")).items || []; } catch (e) { msg.show(errorText(e)); return; }
    if (!items.length) { list.replaceChildren(h("p", { class: "muted", id: "fiscal-list-empty", text: t("fiscal.list_empty") })); return; }
    list.replaceChildren(...items.map((r) => {
      const base = r.kind === "sale" ? `/sales/${r.id}` : `/returns/${r.id}`;
      return h("div", { class: "fiscal-row", dataset: { kind: r.kind, id: String(r.id), status: r.status } },
        h("div", { class: "fiscal-what" },
          h("strong", { text: t(r.kind === "sale" ? "fiscal.row_sale" : "fiscal.row_return",
                               { number: r.number, shift: r.shift_number }) }),
          h("span", { text: ` · ${fmt.money(r.total)} · ${t("fiscal." + r.status)}` }),
          r.error ? h("div", { class: "muted fiscal-error", text: r.error }) : null),
        h("div", { class: "fiscal-actions" },
          btn(t("fiscal.retry"), { cls: "btn-sm fiscal-retry", onclick: () => act(`${base}/fiscal/retry`, "fiscal.retried") }),
          r.voidable && state.me?.role === "manager"
            ? btn(t("fiscal.void"), { cls: "btn-sm btn-danger fiscal-void", onclick: () => act(`/sales/${r.id}/void`, "fiscal.voided") })
            : null));
    }));
  }
  load();
  return dlg;
}
