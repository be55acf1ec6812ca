// The quick-key grid on the sale screen: favourite products from [quick_keys] skus (bread,
// bags, weighed fruit).  A key adds its product exactly as choosing it in the search does;
// a weighed one opens the weight dialog, which reads the scale as a weighed scan does.

import { h } from "./dom.js";
import { get } from "./api.js";
import * as fmt from "./format.js";
import { t } from "./i18n.js";

export async function loadQuickKeys(host, onPick) {
  let items = [];
  try {
    items = (await get("/quick-keys")).items || [];
  } catch { items = []; }          // no grid is better than a broken sale screen
  host.replaceChildren(...items.map((p) => h("button", {
    type: "button", class: "quick-key", dataset: { sku: p.sku, unit: p.unit },
    title: p.name, onclick: () => onPick(p) },
    h("span", { class: "qk-name", text: p.name }),
    h("span", { class: "qk-price", text: fmt.money(p.price) + (p.unit === "kg" ? ` /${t("unit.kg")}` : "") }))));
  host.hidden = items.length === 0;
}
