// The manager's part of the back office: the store's cashiers (list, add, deactivate or
// activate, a new PIN, unlock) and the paper reports (X now, a closed shift's Z again, any
// receipt again).  The server enforces the roles; the screen only hides what it would refuse.
// Every name goes on screen as text.

import { h, btn } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post } from "./api.js";
import { messageLine } from "./widgets.js";
import { state } from "./state.js";
import { money, dateTime } from "./format.js";

const ROLES = ["cashier", "senior", "manager"];

function field(label, input) {
  return h("label", { class: "field" }, h("span", { class: "field-label", text: label }), input);
}

function pinInput(id) {
  return h("input", { class: "input", id, type: "password", inputmode: "numeric", maxlength: "8",
                      autocomplete: "new-password" });
}

/** The cashiers pane; ``body`` is the back office's page body, redrawn on every change. */
export async function people(body) {
  const mine = body.dataset.gen = String(Number(body.dataset.gen || 0) + 1);
  const msg = messageLine();
  let items;
  try {
    items = (await get("/cashiers")).items;
  } catch (e) {
    body.replaceChildren(h("p", { class: "form-msg", id: "bo-people-error", text: errorText(e) }));
    return;
  }
  if (body.dataset.gen !== mine) return;
  const redraw = (text) => people(body).then(() => note(body, text, "ok"));
  const act = (path, payload, done) => post(path, payload).then((r) => redraw(done(r)), (e) => msg.show(errorText(e)));
  const pinBox = h("div", { id: "bo-pin-box" });

  const askPin = (c) => {
    const pin = pinInput("bo-new-pin");
    const save = () => act(`/cashiers/${encodeURIComponent(c.login)}/pin`, { pin: pin.value },
                           () => t("people.pin_done", { name: c.name }));
    pin.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.stopPropagation(); save(); } });
    pinBox.replaceChildren(h("div", { class: "bo-row" },
      field(t("people.new_pin_for", { name: c.name }), pin),
      btn(t("people.save_pin"), { cls: "btn-primary", id: "bo-save-pin", onclick: save })));
    pin.focus();
  };

  const rows = items.map((c) => {
    const enc = encodeURIComponent(c.login);
    const stateText = !c.active ? t("people.inactive") : c.locked ? t("people.locked") : t("people.active");
    const actions = h("div", { class: "people-actions" },
      c.login === state.me?.login ? null
        : c.active ? btn(t("people.deactivate"), { cls: "btn-danger", id: `bo-deactivate-${c.login}`,
                                                  onclick: () => act(`/cashiers/${enc}/deactivate`, {},
                                                                     () => t("people.deactivated", { name: c.name })) })
          : btn(t("people.activate"), { id: `bo-activate-${c.login}`,
                                        onclick: () => act(`/cashiers/${enc}/activate`, {},
                                                           () => t("people.activated", { name: c.name })) }),
      btn(t("people.reset_pin"), { id: `bo-pin-${c.login}`, onclick: () => askPin(c) }),
      c.locked ? btn(t("people.unlock"), { cls: "btn-primary", id: `bo-unlock-${c.login}`,
                                          onclick: () => act(`/cashiers/${enc}/unlock`, {},
                                                             () => t("people.unlocked", { name: c.name })) }) : null);
    return h("tr", { dataset: { login: c.login, active: String(c.active), locked: String(c.locked) } },
      h("td", { text: c.login }), h("td", { text: c.name }), h("td", { text: t("role." + c.role) }),
      h("td", { class: "people-state", text: stateText }), h("td", {}, actions));
  });

  const login = h("input", { class: "input", id: "bo-add-login", maxlength: "64", autocomplete: "off",
                             autocapitalize: "off", spellcheck: "false" });
  const name = h("input", { class: "input", id: "bo-add-name", maxlength: "200", autocomplete: "off" });
  const role = h("select", { class: "input", id: "bo-add-role" },
    ...ROLES.map((r) => h("option", { value: r, text: t("role." + r) })));
  const pin = pinInput("bo-add-pin");
  const add = () => addCashier(body);

  body.replaceChildren(h("div", { class: "pane bo-form", id: "bo-people-form" },
    h("table", { class: "people-table", id: "bo-cashiers" },
      h("thead", {}, h("tr", {}, ...["people.login", "people.name", "people.role", "people.state", ""]
        .map((k) => h("th", { text: k ? t(k) : "" })))),
      h("tbody", {}, ...rows)),
    pinBox,
    h("h3", { class: "pane-title", text: t("people.add_title") }),
    h("div", { class: "bo-row" }, field(t("people.login"), login), field(t("people.name"), name)),
    h("div", { class: "bo-row" }, field(t("people.role"), role), field(t("login.pin"), pin)),
    btn(t("people.add"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-add-cashier", onclick: add }),
    Object.assign(msg.el, { id: "bo-people-msg" })));
  return { submit: add };
}

/** The add form as it is on screen now (F6 may come after the list was redrawn). */
function addCashier(body) {
  const value = (id) => body.querySelector(id)?.value ?? "";
  return post("/cashiers", { login: value("#bo-add-login").trim(), name: value("#bo-add-name"),
                             role: value("#bo-add-role"), pin: value("#bo-add-pin") })
    .then((c) => people(body).then(() => note(body, t("people.added", { name: c.name }), "ok")),
          (e) => note(body, errorText(e)));
}

/** A line under the cashiers form, found afresh (the pane may have been redrawn). */
function note(body, text, kind = "error") {
  const el = body.querySelector("#bo-people-msg");
  if (!el || !text) return;
  el.hidden = false;
  el.textContent = text;
  el.dataset.kind = kind;
}

/** X now, a closed shift's Z again, any receipt again. */
export async function reports(body) {
  const mine = body.dataset.gen = String(Number(body.dataset.gen || 0) + 1);
  const msg = messageLine();
  const queued = (what) => () => msg.show(t("reports.queued", { what }), "ok");
  const fail = (e) => msg.show(errorText(e));
  const isSenior = ["senior", "manager"].includes(state.me?.role);
  const shifts = isSenior ? (await get("/shifts?limit=10").catch(() => ({ items: [] }))).items : [];
  if (body.dataset.gen !== mine) return;

  const shiftRows = shifts.filter((s) => s.closed_at).map((s) => h("div", { class: "bo-row", dataset: { shiftId: String(s.shift_id) } },
    h("span", { text: t("reports.shift_line", { n: s.number, from: dateTime(s.opened_at), to: dateTime(s.closed_at) }) }),
    btn(t("reports.print_z"), { id: `bo-print-z-${s.shift_id}`,
                                onclick: () => post(`/shifts/${s.shift_id}/z-report/print`).then(queued(t("reports.z")), fail) })));

  const number = h("input", { class: "input", id: "bo-receipt-no", inputmode: "numeric", maxlength: "9", autocomplete: "off" });
  const shiftNo = h("input", { class: "input", id: "bo-receipt-shift", inputmode: "numeric", maxlength: "9", autocomplete: "off" });
  const found = h("div", { id: "bo-receipts" });
  const find = async () => {
    const q = new URLSearchParams({ limit: "10" });
    if (number.value.trim()) q.set("number", number.value.trim());
    if (shiftNo.value.trim()) q.set("shift_number", shiftNo.value.trim());
    try {
      const items = (await get("/sales?" + q)).items;
      found.replaceChildren(...(items.length ? items.map((s) => h("div", { class: "bo-row", dataset: { saleId: String(s.sale_id) } },
        h("span", { text: t("reports.sale_line", { n: s.number, shift: s.shift_number, total: money(s.total), at: dateTime(s.created_at) }) }),
        btn(t("reports.reprint"), { id: `bo-reprint-${s.sale_id}`,
                                    onclick: () => post(`/receipts/${s.sale_id}/print`).then(queued(t("reports.receipt", { n: s.number })), fail) })))
        : [h("p", { class: "muted", text: t("bo.none") })]));
    } catch (e) { fail(e); }
  };
  number.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.stopPropagation(); find(); } });

  body.replaceChildren(h("div", { class: "pane bo-reports", id: "bo-reports-form" },
    h("h3", { class: "pane-title", text: t("reports.x_title") }),
    btn(t("reports.print_x"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-print-x",
                                onclick: () => post("/shifts/current/x-report/print").then(queued(t("reports.x")), fail) }),
    Object.assign(msg.el, { id: "bo-reports-msg" }),
    isSenior ? h("h3", { class: "pane-title", text: t("reports.z_title") }) : null,
    isSenior ? (shiftRows.length ? shiftRows : h("p", { class: "muted", text: t("bo.none") })) : null,
    h("h3", { class: "pane-title", text: t("reports.reprint_title") }),
    h("div", { class: "bo-row" }, field(t("reports.receipt_no"), number), field(t("reports.shift_no"), shiftNo)),
    btn(t("reports.find"), { id: "bo-find-receipt", onclick: find }),
    found));
  find();
  return { submit: () => document.getElementById("bo-print-x")?.click() };
}
