// The back office (managers and seniors): deliveries (expected and received, receive by
// scanning, the discrepancy act), transfers (send, receive incoming), blind counts and
// write-offs.  Keys: F2-F5 choose the tab, F6 sends the document, F8 the damaged switch,
// Esc back to the sale.  Every name goes on screen as text.

import { h, btn } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, post, newRef, session } from "./api.js";
import { messageLine } from "./widgets.js";
import { state } from "./state.js";
import { docLines, qtyText } from "./doclines.js";
import { people, reports } from "./bo_people.js";

const ALL_TABS = [["deliveries", "F2"], ["transfers", "F3"], ["counts", "F4"], ["writeoffs", "F5"],
                  ["reports", "F7"], ["people", "F9"]];
let TABS = ALL_TABS;
let root = null;
let nav = null;
let tab = "deliveries";
let pane = null;          // the right-hand side: {lines, submit()}
let body = null;

export function canUse() { return ["senior", "manager"].includes(state.me?.role); }

export function buildBackOfficeView(container, navigator) {
  nav = navigator;
  root = h("div", { class: "page backoffice", id: "backoffice" });
  container.append(root);
  return root;
}

export function onShow() {
  // the cashiers tab only for a manager (the server refuses anyone else anyway)
  TABS = ALL_TABS.filter(([n]) => n !== "people" || state.me?.role === "manager");
  if (!TABS.some(([n]) => n === tab)) tab = "deliveries";
  show(tab);
}

function show(name) {
  tab = name;
  pane = null;
  body = h("div", { class: "page-body bo-body", id: `bo-${name}` });
  root.replaceChildren(
    h("div", { class: "page-head" },
      btn(t("btn.back"), { key: "Esc", cls: "btn-back", onclick: () => nav.go("sale") }),
      h("h1", { class: "page-title", text: t("bo.title") }),
      h("div", { class: "bo-tabs", role: "tablist" }, ...TABS.map(([n, key]) =>
        btn(t(`bo.tab.${n}`), { key, id: `bo-tab-${n}`, cls: n === name ? "btn-primary" : "",
                                onclick: () => show(n) })))),
    body);
  if (name === "people" || name === "reports") {
    (name === "people" ? people : reports)(body).then((p) => { if (p && tab === name) pane = p; });
    return;
  }
  ({ deliveries, transfers, counts, writeoffs })[name]();
}

export function backOfficeKey(e) {
  const hit = TABS.find(([, key]) => key === e.key);
  if (hit) { show(hit[0]); return true; }
  if (e.key === "Escape") { nav.go("sale"); return true; }
  if (e.key === "F6" && pane?.submit) { pane.submit(); return true; }
  if (e.key === "F8" && pane?.lines) { pane.lines.toggleDamaged(); return true; }
  // A scanner's burst while the focus is on a button: into the scan field, not lost.
  const el = e.target;
  if (pane?.lines && (e.key.length === 1 || e.key === "Enter") && !e.ctrlKey && !e.altKey && !e.metaKey
      && !(el instanceof HTMLElement && el.matches("input, select, textarea"))) {
    pane.lines.focus();
  }
  return false;
}

function listPane(title, items, render, onPick, id) {
  return h("div", { class: "pane bo-list", id },
    h("h3", { class: "pane-title", text: title }),
    items.length ? items.map((it) => h("button", { type: "button", class: "recent-item", onclick: () => onPick(it),
                                                   dataset: render.data(it) }, ...render.cells(it)))
      : h("p", { class: "muted", text: t("bo.none") }));
}

function formPane(id, ...children) {
  const el = h("div", { class: "pane bo-form", id }, ...children);
  return el;
}

async function send(path, payload, msg, done) {
  try {
    const r = await post(path, payload);
    done(r);
  } catch (e) {
    msg.show(errorText(e));
  }
}

// ---- deliveries ------------------------------------------------------------------------

/** The lists on the left; ``right`` given = keep what the right-hand side shows. */
async function deliveries(right = null) {
  const mine = body;
  const [expected, received] = await Promise.all([get("/deliveries?status=expected"), get("/deliveries?status=received")]);
  if (mine !== body) return;   // another tab was chosen meanwhile
  const cells = { data: (d) => ({ deliveryId: String(d.delivery_id) }),
                  cells: (d) => [h("span", { class: "ri-no", text: `№ ${d.number}` }),
                                 h("span", { class: "ri-meta", text: d.supplier })] };
  const fresh = !right;
  right = right || h("div", { class: "bo-right" });
  body.replaceChildren(
    h("div", { class: "bo-lists" },
      listPane(t("bo.expected_list"), expected.items, cells, (d) => receiveDelivery(right, d), "bo-expected"),
      listPane(t("bo.received_list"), received.items, cells, (d) => showAct(right, d), "bo-received"),
      btn(t("bo.no_document"), { cls: "btn-block", id: "bo-unexpected", onclick: () => receiveUnexpected(right) })),
    right);
  if (!fresh) return;
  if (expected.items.length) receiveDelivery(right, expected.items[0]);
  else receiveUnexpected(right);
}

function receiveDelivery(right, d) {
  const lines = docLines({ id: "bo-receive", qtyLabel: t("bo.arrived"), damaged: true,
                           expected: d.lines.filter((l) => l.sku).map((l) => ({ sku: l.sku, name: l.name, unit: l.unit, expected: l.expected })) });
  const missing = d.lines.filter((l) => !l.sku);
  const msg = messageLine();
  const submit = () => {
    if (!lines.count) { msg.show(t("bo.empty")); return; }
    send(`/deliveries/${d.delivery_id}/receive`, { client_ref: pane.ref, lines: lines.body() }, msg,
         (r) => { showAct(right, r); deliveries(right); });
  };
  pane = { lines, submit: () => lines.settled().then(submit), ref: newRef() };
  right.replaceChildren(formPane("bo-delivery",
    h("h2", { class: "bo-doc-title", text: t("bo.delivery_title", { number: d.number, supplier: d.supplier }) }),
    missing.length ? h("p", { class: "muted", id: "bo-unmatched", text: t("bo.unmatched", { n: missing.length }) }) : null,
    lines.el, msg.el,
    btn(t("bo.receive"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-submit", onclick: () => pane?.submit?.() })));
  lines.focus();
}

function receiveUnexpected(right) {
  const supplier = h("input", { class: "input", id: "bo-supplier", maxlength: "200", autocomplete: "off" });
  const number = h("input", { class: "input", id: "bo-number", maxlength: "60", autocomplete: "off" });
  const lines = docLines({ id: "bo-receive", qtyLabel: t("bo.arrived"), damaged: true });
  const msg = messageLine();
  const submit = () => {
    if (!lines.count) { msg.show(t("bo.empty")); return; }
    send("/deliveries", { client_ref: pane.ref, supplier: supplier.value, number: number.value,
                          lines: lines.body() }, msg, (r) => { showAct(right, r); deliveries(right); });
  };
  pane = { lines, submit: () => lines.settled().then(submit), ref: newRef() };
  right.replaceChildren(formPane("bo-delivery",
    h("h2", { class: "bo-doc-title", text: t("bo.no_document") }),
    h("div", { class: "bo-row" },
      h("label", { class: "field" }, h("span", { class: "field-label", text: t("bo.supplier") }), supplier),
      h("label", { class: "field" }, h("span", { class: "field-label", text: t("bo.number") }), number)),
    lines.el, msg.el,
    btn(t("bo.receive"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-submit", onclick: () => pane?.submit?.() })));
  supplier.focus();
}

function gapTable(id, rows, cols) {
  return h("table", { class: "doc-table", id },
    h("thead", {}, h("tr", {}, ...cols.map(([, label]) => h("th", { text: label })))),
    h("tbody", {}, ...rows.map((r) => h("tr", { dataset: { sku: r.sku || "" } },
      ...cols.map(([key]) => h("td", { class: key === "name" || key === "sku" ? "" : "num",
                                       text: key === "name" || key === "sku" ? (r[key] ?? "—") : qtyText(r[key] ?? "0", r.unit) }))))));
}

function showAct(right, d) {
  pane = null;
  const act = d.act || { number: "", lines: [] };
  const printMsg = messageLine();
  const open = async () => {
    const resp = await fetch(`/api/v1/deliveries/${d.delivery_id}/act`,
                             { headers: { Authorization: "Bearer " + session.token }, cache: "no-store" });
    const url = URL.createObjectURL(new Blob([await resp.text()], { type: "text/html" }));
    window.open(url, "_blank", "noopener");
  };
  right.replaceChildren(formPane("bo-act",
    h("h2", { class: "bo-doc-title", id: "bo-act-title", text: t("bo.act_title", { n: act.number, number: d.number }) }),
    gapTable("bo-act-lines", act.lines, [["name", t("bo.product")], ["expected", t("bo.expected")],
      ["received", t("bo.arrived")], ["shortage", t("bo.shortage")], ["surplus", t("bo.surplus")],
      ["damaged", t("bo.damaged")]]),
    h("div", { class: "bo-row" },
      btn(t("bo.open_act"), { cls: "btn-primary", id: "bo-open-act", onclick: open }),
      btn(t("bo.print_act"), { id: "bo-print-act", onclick: () => post(`/deliveries/${d.delivery_id}/act/print`)
        .then(() => printMsg.show(t("bo.act_queued"), "ok"), (e) => printMsg.show(errorText(e))) })),
    printMsg.el));
}

// ---- transfers -------------------------------------------------------------------------

async function transfers(right = null) {
  const mine = body;
  const [incoming, outgoing] = await Promise.all([get("/transfers?direction=incoming"), get("/transfers?direction=outgoing")]);
  if (mine !== body) return;
  const fresh = !right;
  right = right || h("div", { class: "bo-right" });
  const cells = { data: (x) => ({ transferId: x.transfer_id, status: x.status }),
                  cells: (x) => [h("span", { class: "ri-no", text: x.transfer_id }),
                                 h("span", { class: "ri-meta", text: `${x.from_store} → ${x.to_store} · ${t("bo.status." + x.status)}` })] };
  const waiting = incoming.items.filter((x) => x.status === "sent");
  body.replaceChildren(
    h("div", { class: "bo-lists" },
      listPane(t("bo.incoming"), incoming.items, cells, (x) => (x.status === "sent" ? receiveTransfer(right, x) : showTransfer(right, x)), "bo-incoming"),
      listPane(t("bo.outgoing"), outgoing.items, cells, (x) => showTransfer(right, x), "bo-outgoing"),
      btn(t("bo.new_transfer"), { cls: "btn-block", id: "bo-new-transfer", onclick: () => sendTransfer(right, outgoing.stores) })),
    right);
  if (!fresh) return;
  if (waiting.length) receiveTransfer(right, waiting[0]);
  else sendTransfer(right, outgoing.stores);
}

function sendTransfer(right, stores) {
  const to = h("select", { class: "input", id: "bo-to-store" },
    h("option", { value: "", text: "—" }), ...stores.map((s) => h("option", { value: s, text: s })));
  const lines = docLines({ id: "bo-transfer", qtyLabel: t("bo.qty") });
  to.addEventListener("change", () => lines.focus());
  const msg = messageLine();
  const submit = () => {
    if (!to.value) { msg.show(t("bo.choose_store")); to.focus(); return; }
    if (!lines.count) { msg.show(t("bo.empty")); return; }
    send("/transfers", { client_ref: pane.ref, to_store: to.value, lines: lines.body() }, msg,
         (r) => { showTransfer(right, r); transfers(right); });
  };
  pane = { lines, submit: () => lines.settled().then(submit), ref: newRef() };
  right.replaceChildren(formPane("bo-send",
    h("h2", { class: "bo-doc-title", text: t("bo.new_transfer") }),
    h("label", { class: "field" }, h("span", { class: "field-label", text: t("bo.to_store") }), to),
    lines.el, msg.el,
    btn(t("bo.send"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-submit", onclick: () => pane?.submit?.() })));
  lines.focus();
}

function receiveTransfer(right, x) {
  const lines = docLines({ id: "bo-transfer", qtyLabel: t("bo.arrived"),
                           expected: x.lines.map((l) => ({ sku: l.sku, name: l.sku, unit: "pcs", expected: l.qty })) });
  const msg = messageLine();
  const submit = () => {
    if (!lines.count) { msg.show(t("bo.empty")); return; }
    send(`/transfers/${encodeURIComponent(x.transfer_id)}/receive`, { client_ref: pane.ref, lines: lines.body() },
         msg, (r) => { showTransfer(right, r); transfers(right); });
  };
  pane = { lines, submit: () => lines.settled().then(submit), ref: newRef() };
  right.replaceChildren(formPane("bo-receive-transfer",
    h("h2", { class: "bo-doc-title", text: t("bo.transfer_from", { id: x.transfer_id, store: x.from_store }) }),
    lines.el, msg.el,
    btn(t("bo.receive"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-submit", onclick: () => pane?.submit?.() })));
  lines.focus();
}

function showTransfer(right, x) {
  pane = null;
  right.replaceChildren(formPane("bo-transfer-done",
    h("h2", { class: "bo-doc-title", id: "bo-transfer-title",
              text: `${x.transfer_id}: ${x.from_store} → ${x.to_store} · ${t("bo.status." + x.status)}` }),
    gapTable("bo-transfer-lines", x.lines.map((l) => ({ ...l, name: l.sku })),
      [["sku", t("bo.product")], ["qty", t("bo.sent")], ["received", t("bo.arrived")],
       ["shortage", t("bo.shortage")], ["surplus", t("bo.surplus")]])));
}

// ---- counts and write-offs -------------------------------------------------------------

function counts() {
  const scope = h("select", { class: "input", id: "bo-scope" },
    h("option", { value: "partial", text: t("bo.scope.partial") }), h("option", { value: "full", text: t("bo.scope.full") }));
  const lines = docLines({ id: "bo-count", qtyLabel: t("bo.counted"), zero: true });
  scope.addEventListener("change", () => lines.focus());
  const msg = messageLine();
  const result = h("div", { id: "bo-count-result" });
  const submit = () => {
    if (!lines.count) { msg.show(t("bo.empty")); return; }
    send("/counts", { client_ref: pane.ref, scope: scope.value, lines: lines.body("counted") }, msg, (r) => {
      pane = { lines: null, submit: null, ref: newRef() };
      result.replaceChildren(h("h3", { class: "pane-title", text: t("bo.corrections") }),
        gapTable("bo-corrections", r.corrections, [["sku", t("bo.product")], ["before", t("bo.book")],
          ["counted", t("bo.counted")], ["delta", t("bo.delta")]]));
      msg.show(t("bo.count_done", { n: r.count_id }), "ok");
    });
  };
  pane = { lines, submit: () => lines.settled().then(submit), ref: newRef() };
  body.replaceChildren(formPane("bo-count-form",
    h("p", { class: "muted", id: "bo-blind-hint", text: t("bo.blind_hint") }),
    h("label", { class: "field" }, h("span", { class: "field-label", text: t("bo.scope") }), scope),
    lines.el, msg.el,
    btn(t("bo.post_count"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-submit", onclick: () => pane?.submit?.() }), result));
  lines.focus();
}

async function writeoffs() {
  const mine = body;
  const reasons = (await get("/writeoffs/reasons")).items;
  if (mine !== body) return;
  const reason = h("select", { class: "input", id: "bo-reason" },
    ...reasons.map((r) => h("option", { value: r, text: t("bo.reason." + r) === "bo.reason." + r ? r : t("bo.reason." + r) })));
  const lines = docLines({ id: "bo-writeoff", qtyLabel: t("bo.qty") });
  reason.addEventListener("change", () => lines.focus());   // then straight back to scanning
  const msg = messageLine();
  const submit = () => {
    if (!lines.count) { msg.show(t("bo.empty")); return; }
    send("/writeoffs", { client_ref: pane.ref, reason: reason.value, lines: lines.body() }, msg, (r) => {
      msg.show(t("bo.writeoff_done", { n: r.doc_id }), "ok");
      pane.ref = newRef();
    });
  };
  pane = { lines, submit: () => lines.settled().then(submit), ref: newRef() };
  body.replaceChildren(formPane("bo-writeoff-form",
    h("label", { class: "field" }, h("span", { class: "field-label", text: t("bo.reason") }), reason),
    lines.el, msg.el,
    btn(t("bo.post_writeoff"), { key: "F6", cls: "btn-primary btn-lg", id: "bo-submit", onclick: () => pane?.submit?.() })));
  lines.focus();
}
