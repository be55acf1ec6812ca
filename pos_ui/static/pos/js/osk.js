// An on-screen letter keyboard for touch-only tills ([ui] touch_keyboard): Russian and
// English layouts, digits, space, backspace and clear, typing into one input.

import { h, keepFocus } from "./dom.js";
import { t, lang } from "./i18n.js";

const LAYOUTS = {
  ru: ["1234567890", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбюё"],
  en: ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"],
};

export function letterKeyboard(input) {
  let layout = lang === "en" ? "en" : "ru";
  const el = h("div", { class: "osk", id: "osk", role: "group", "aria-label": t("osk.label") });
  const type = (fn) => {
    input.value = fn(input.value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  };
  const key = (label, onclick, cls = "", extra = {}) =>
    h("button", { type: "button", class: `osk-key ${cls}`.trim(), text: label, onclick, ...extra });
  const paint = () => {
    el.dataset.layout = layout;
    el.replaceChildren(
      ...LAYOUTS[layout].map((row) => h("div", { class: "osk-row" },
        ...[...row].map((c) => key(c, () => type((v) => (v.length < 100 ? v + c : v)), "", { "data-char": c })))),
      h("div", { class: "osk-row" },
        key(layout === "ru" ? "EN" : "РУ", () => { layout = layout === "ru" ? "en" : "ru"; paint(); }, "osk-wide",
            { id: "osk-layout", "aria-label": t("osk.switch") }),
        key(t("osk.space"), () => type((v) => v + " "), "osk-wide", { id: "osk-space" }),
        key("⌫", () => type((v) => v.slice(0, -1)), "", { id: "osk-back", "aria-label": t("kp.back") }),
        key("C", () => type(() => ""), "", { id: "osk-clear", "aria-label": t("kp.clear") })));
  };
  paint();
  return keepFocus(el);
}
