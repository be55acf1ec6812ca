// The lines of a stock document as scanned or typed: a scan field (a scanner's burst and
// Enter adds one; "3*code" adds three), a table of products with editable quantities, and
// for deliveries a "damaged" switch so scans count as damaged goods.  Quantities are kept
// as integer thousandths; the book quantity is never asked for (counts are blind).

import { h, btn } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { get, qs } from "./api.js";
import { beep, messageLine } from "./widgets.js";

/** "2", "0,5", "1.250" -> thousandths; null when not a quantity. */
export function parseMilli(text) {
  const m = /^\s*(\d{1,6})(?:[.,](\d{1,3}))?\s*$/.exec(String(text ?? ""));
  if (!m) return null;
  return Number(m[1]) * 1000 + Number((m[2] || "").padEnd(3, "0"));
}

export function milliText(milli, unit) {
  const whole = Math.trunc(milli / 1000);
  const frac = String(Math.abs(milli % 1000)).padStart(3, "0");
  return unit === "kg" || milli % 1000 ? `${whole},${frac}` : String(whole);
}

export function qtyText(text, unit) {
  const milli = parseMilli(String(text).replace("-", ""));
  if (milli == null) return String(text);
  return (String(text).startsWith("-") ? "−" : "") + milliText(milli, unit);
}

/**
 * docLines({id, qtyLabel, damaged, expected, zero}) -> {el, focus(), body(key), clear(), count}
 * expected: [{sku, name, unit, expected}] rows shown before anything is scanned.
 * zero: a line may be sent with quantity 0 (a count); otherwise empty lines are left out.
 */
export function docLines({ id, qtyLabel, damaged = false, expected = null, zero = false }) {
  const rows = new Map();               // sku -> {sku, name, unit, qty, bad, expected, inputs}
  const scan = h("input", { class: "input input-lg", id: `${id}-scan`, autocomplete: "off",
                            spellcheck: "false", maxlength: "64", placeholder: t("bo.scan_ph"),
                            "aria-label": t("bo.scan_ph") });
  const badToggle = damaged ? h("input", { type: "checkbox", id: `${id}-damaged` }) : null;
  const msg = messageLine();
  const tbody = h("tbody", { id: `${id}-body` });
  const head = h("tr", {}, h("th", { text: t("bo.product") }),
    expected ? h("th", { class: "num", text: t("bo.expected") }) : null,
    h("th", { class: "num", text: qtyLabel }),
    damaged ? h("th", { class: "num", text: t("bo.damaged") }) : null, h("th", {}));
  const table = h("table", { class: "doc-table", id: `${id}-table` }, h("thead", {}, head), tbody);

  function row(p) {
    let r = rows.get(p.sku);
    if (r) return r;
    r = { sku: p.sku, name: p.name, unit: p.unit || "pcs", qty: 0, bad: 0, expected: p.expected };
    const qty = h("input", { class: "input input-sm num", inputmode: "decimal", autocomplete: "off",
                             "aria-label": qtyLabel, dataset: { role: "qty" } });
    qty.addEventListener("change", () => { const v = parseMilli(qty.value); if (v != null) r.qty = v; render(r); });
    const bad = damaged ? h("input", { class: "input input-sm num", inputmode: "decimal", autocomplete: "off",
                                       "aria-label": t("bo.damaged"), dataset: { role: "damaged" } }) : null;
    bad?.addEventListener("change", () => { const v = parseMilli(bad.value); if (v != null) r.bad = v; render(r); });
    r.inputs = { qty, bad };
    r.tr = h("tr", { dataset: { sku: p.sku } },
      h("td", {}, h("span", { class: "doc-name", text: p.name }), h("span", { class: "doc-sku muted", text: p.sku })),
      expected ? h("td", { class: "num", text: p.expected != null ? qtyText(p.expected, r.unit) : "—" }) : null,
      h("td", { class: "num" }, qty), damaged ? h("td", { class: "num" }, bad) : null,
      h("td", {}, btn("×", { cls: "btn-sm btn-warn", onclick: () => { rows.delete(p.sku); r.tr.remove(); } })));
    rows.set(p.sku, r);
    tbody.append(r.tr);
    render(r);
    return r;
  }

  function render(r) {
    r.inputs.qty.value = r.qty || zero ? milliText(r.qty, r.unit) : "";
    if (r.inputs.bad) r.inputs.bad.value = r.bad ? milliText(r.bad, r.unit) : "";
    r.tr.dataset.qty = String(r.qty);
    if (r.expected != null) {
      const exp = parseMilli(r.expected) ?? 0;
      r.tr.dataset.gap = r.qty === exp ? "none" : r.qty < exp ? "short" : "over";
    }
  }

  let queue = Promise.resolve();     // scans are applied in the order they were made

  function onScan() {
    const raw = scan.value.trim();
    scan.value = "";
    if (!raw) return;
    const asDamaged = Boolean(badToggle?.checked);   // the switch as it was at this scan
    queue = queue.then(() => applyScan(raw, asDamaged));
  }

  async function applyScan(raw, asDamaged) {
    const m = /^(\d{1,4}(?:[.,]\d{1,3})?)\*(.+)$/.exec(raw);
    const times = m ? parseMilli(m[1]) : 1000;
    const code = m ? m[2].trim() : raw;
    try {
      const p = await get("/stock-docs/product" + qs({ code }));
      const r = row(p);
      if (asDamaged) { r.bad += times; r.qty += times; } else r.qty += times;
      render(r);
      tbody.querySelectorAll("tr.last").forEach((x) => x.classList.remove("last"));
      r.tr.classList.add("last");
      msg.show(t("bo.added", { name: p.name }), "ok");
      beep(true);
    } catch (e) {
      msg.show(errorText(e));
      beep(false);
    }
  }
  scan.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); onScan(); }
  });

  for (const p of expected || []) row(p);
  const el = h("div", { class: "doc-lines", id },
    h("div", { class: "doc-scan" }, scan,
      badToggle ? h("label", { class: "doc-toggle" }, badToggle, h("span", { text: t("bo.damaged_toggle") }), h("kbd", { text: "F8" })) : null),
    msg.el, h("div", { class: "doc-table-wrap" }, table));

  return {
    el,
    msg,
    focus() { scan.focus(); },
    settled() { return queue; },
    toggleDamaged() { if (badToggle) badToggle.checked = !badToggle.checked; },
    get count() { return [...rows.values()].filter((r) => r.qty > 0 || zero).length; },
    body(key = "qty") {
      return [...rows.values()].filter((r) => r.qty > 0 || (zero && r.inputs.qty.value !== "")).map((r) => {
        const line = { sku: r.sku, [key]: milliText(r.qty, "kg").replace(",", ".") };
        if (damaged && r.bad) line.damaged_qty = milliText(r.bad, "kg").replace(",", ".");
        return line;
      });
    },
  };
}
