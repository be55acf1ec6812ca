// The discount dialog (Alt+S on the sale screen): a percent or an amount off the selected
// line or the whole receipt, with a reason.  The agent prices it (the quote); past the
// cashier's limit it says approval_required, and the dialog asks for a manager's login and
// PIN in place, the same fields the returns screen uses.  The approval is checked at once
// (POST /approvals, audited) and kept in memory only (never in sessionStorage) to go with
// the sale, where the agent checks it again.

import { h } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { post } from "./api.js";
import * as fmt from "./format.js";
import { cart, setDiscount, saleBody } from "./cart.js";
import { openDialog } from "./dialog.js";
import { keypad, burstGuard, messageLine, approverField, beep } from "./widgets.js";
import { isManager } from "./state.js";

function seg(id, label, active, onclick) {
  return h("button", { type: "button", class: "seg" + (active ? " active" : ""), id, text: label, onclick });
}

/** Open the dialog; ``say(text, kind)`` reports on the sale screen. */
export function openDiscountDialog(say) {
  if (!cart.lines.length) { say(t("disc.empty"), "info"); return; }
  let scope = cart.selected >= 0 ? "line" : "receipt";
  let kind = "percent";
  let needPin = false;
  const value = h("input", { class: "input input-lg", id: "disc-value", inputmode: "decimal", autocomplete: "off",
                             maxlength: "12", "aria-label": t("disc.value") });
  const reason = h("input", { class: "input input-lg", id: "disc-reason", autocomplete: "off", maxlength: "200",
                              "aria-label": t("disc.reason") });
  const pin = h("input", { class: "input input-lg input-pin", type: "password", inputmode: "numeric",
                           id: "disc-pin", maxlength: "8", autocomplete: "off", "aria-label": t("approve.pin") });
  const who = approverField("disc-login");
  const guard = burstGuard(pin);
  let typing = value;  // the field the keypad types into
  for (const el of [value, pin]) el.addEventListener("focus", () => { typing = el; });
  const msg = messageLine();
  const approval = h("div", { id: "disc-approval", hidden: true }, who.field,
    h("label", { class: "field" }, h("span", { class: "field-label", text: t("approve.pin") }), pin));
  const segs = h("div", {});
  const renderSegs = () => {
    const line = cart.lines[cart.selected];
    segs.replaceChildren(
      h("div", { class: "segs", role: "group", "aria-label": t("disc.scope") },
        seg("disc-scope-line", line ? t("disc.line", { name: line.name }) : t("disc.line_none"), scope === "line",
            () => { if (line) { scope = "line"; renderSegs(); } }),
        seg("disc-scope-receipt", t("disc.receipt"), scope === "receipt", () => { scope = "receipt"; renderSegs(); })),
      h("div", { class: "segs", role: "group", "aria-label": t("disc.kind") },
        seg("disc-kind-percent", "%", kind === "percent", () => { kind = "percent"; renderSegs(); }),
        seg("disc-kind-amount", "₽", kind === "amount", () => { kind = "amount"; renderSegs(); })));
  };
  renderSegs();

  const spec = () => {
    const raw = value.value.trim().replace(",", ".");
    if (kind === "percent") {
      if (!/^\d{1,3}(\.\d{1,2})?$/.test(raw) || !(Number(raw) > 0) || Number(raw) > 100) return null;
      return { percent: raw, reason: reason.value.trim() };
    }
    const kop = fmt.parseMoney(value.value);
    return kop > 0 ? { amount: kop, reason: reason.value.trim() } : null;
  };

  const confirm = async (d) => {
    const s = spec();
    if (!s) { msg.show(t(kind === "percent" ? "disc.bad_percent" : "disc.bad_amount")); value.select(); return; }
    if (!s.reason) { msg.show(t("disc.need_reason")); reason.focus(); return; }
    const target = scope === "line" ? cart.selected : -1;
    const btnEl = d.button("Enter");
    btnEl.disabled = true;
    try {
      // what the agent makes of it, before the cart takes it
      const body = saleBody();
      if (target >= 0) body.lines[target] = { ...body.lines[target], discount: s };
      else body.discount = s;
      const q = await post("/sales/quote", body);
      let approvalFor = null;
      if (q.approval_required && !isManager()) {
        if (!needPin) { needPin = true; approval.hidden = false; msg.show(t("disc.need_manager"), "info"); pin.focus(); return; }
        if (guard.isScan()) { pin.value = ""; guard.reset(); msg.show(t("err.scan_in_field")); return; }
        if (!/^\d{4,8}$/.test(pin.value)) { msg.show(t("ret.need_pin")); pin.focus(); return; }
        await post("/approvals", { approval_pin: pin.value, approval_login: who.value(), action: "a discount" });
        approvalFor = { approval_login: who.value(), approval_pin: pin.value };
      }
      setDiscount(target, s, approvalFor);
      say(t("disc.applied", { amount: fmt.money(q.manual_discount) }), "info");
      d.close(true);
    } catch (e) {
      msg.show(e.code === "approval_refused" ? t("err.approval_refused") : errorText(e));
      if (e.code === "approval_refused") { pin.value = ""; pin.focus(); }
      beep(false);
    } finally { btnEl.disabled = false; }
  };
  const dlg = openDialog({
    title: t("disc.title"), cls: "dialog-md",
    body: h("div", { class: "two-col" },
      h("div", {}, segs,
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("disc.value") }), value),
        h("label", { class: "field" }, h("span", { class: "field-label", text: t("disc.reason") }), reason),
        approval, msg.el),
      keypad(() => typing, { decimal: true, onEnter: () => confirm(dlg) })),
    buttons: [
      { label: t("btn.cancel"), key: "Esc", onclick: (d) => d.close(null) },
      cart.discount || cart.lines.some((l) => l.discount)
        ? { label: t("disc.remove"), key: "F8", id: "disc-remove",
            onclick: (d) => { setDiscount(null); say(t("disc.removed"), "info"); d.close(false); } }
        : null,
      { label: t("btn.ok"), key: "Enter", cls: "btn-primary", onclick: confirm },
    ],
  });
  requestAnimationFrame(() => value.focus());
}
