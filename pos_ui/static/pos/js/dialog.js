// Modal dialogs.  Each shows its buttons with their keys ([Enter] Pay, [Esc] Back);
// the key router in main.js sends keys to the top dialog first.  No <form> anywhere, so a
// scanner's Enter can never submit or close something by accident: Enter only does what
// the dialog's Enter button does, and only when the dialog says the input is complete.

import { h, btn, keepFocus } from "./dom.js";
import { t } from "./i18n.js";

const stack = [];

// Focus stays inside the top dialog: Tab or a stray tap cannot reach the screen behind it.
document.addEventListener("focusin", (e) => {
  const top = stack[stack.length - 1];
  if (!top || top.el.contains(e.target)) return;
  const first = top.el.querySelector("input:not([disabled])") || top.el.querySelector(".dialog-actions .btn-primary, .dialog-actions .btn-pay, .dialog-actions .btn");
  (first || top.el).focus();
});

export function topDialog() { return stack[stack.length - 1] || null; }
export function anyDialog() { return stack.length > 0; }

/**
 * open({title, body, buttons: [{label, key, cls, onclick}], cls, onKey, onClose, initialFocus})
 * -> {el, close(result), done: Promise, setButtons(...)}
 * A button with key "Esc" (or none at all) closes the dialog when Escape is pressed.
 */
export function openDialog({ title, body, buttons = [], cls = "", onKey, onClose, initialFocus,
                             dismissable = true }) {
  const host = document.getElementById("dialogs");
  const footer = h("div", { class: "dialog-actions" });
  const titleId = "dlg-title-" + Math.random().toString(36).slice(2);
  const box = h("div", { class: `dialog ${cls}`.trim(), role: "dialog", "aria-modal": "true",
                         "aria-labelledby": titleId },
    h("div", { class: "dialog-head" },
      h("h2", { class: "dialog-title", id: titleId, text: title }),
      dismissable ? h("button", { type: "button", class: "dialog-x", "aria-label": t("btn.close"),
                                  text: "×", onclick: () => dlg.close(null) }) : null),
    h("div", { class: "dialog-body" }, body),
    footer);
  const overlay = h("div", { class: "overlay" }, box);
  keepFocus(footer);
  let resolve;
  const dlg = {
    el: box, overlay, buttons: [], closed: false,
    done: new Promise((r) => { resolve = r; }),
    close(result) {
      if (dlg.closed) return;
      dlg.closed = true;
      const i = stack.indexOf(dlg);
      if (i >= 0) stack.splice(i, 1);
      overlay.remove();
      onClose?.(result);
      resolve(result);
      document.dispatchEvent(new CustomEvent("pos:dialog-closed"));
    },
    setButtons(list) {
      footer.replaceChildren();
      dlg.buttons = list.filter(Boolean).map((b) => {
        const el = btn(b.label, { key: b.key, cls: b.cls || "", disabled: b.disabled,
                                  onclick: () => b.onclick?.(dlg) });
        el.classList.add("btn-lg");
        footer.append(el);
        return { ...b, el };
      });
    },
    button(key) { return dlg.buttons.find((b) => b.key === key)?.el || null; },
    handleKey(e) {
      if (onKey && onKey(e, dlg)) return true;
      const b = dlg.buttons.find((x) => x.key && keyMatches(x.key, e));
      if (b) {
        if (!b.el.disabled) b.onclick?.(dlg);
        return true;
      }
      if (e.key === "Escape" && dismissable) { dlg.close(null); return true; }
      return false;
    },
  };
  dlg.setButtons(buttons);
  stack.push(dlg);
  host.append(overlay);
  requestAnimationFrame(() => {
    // a key pressed before this frame (F4 for a split payment) may already have put the
    // focus in the dialog: never pull it back to the first field
    if (box.contains(document.activeElement)) return;
    const f = initialFocus?.() || box.querySelector("input:not([disabled]), select")
      || footer.querySelector(".btn-primary") || box;
    if (f === box) box.tabIndex = -1;
    f.focus();
  });
  return dlg;
}

export function closeAll() {
  while (stack.length) stack[stack.length - 1].close(null);
}

/** "F5" matches F5, "Enter" matches Enter and the keypad's Enter, "Esc" Escape. */
export function keyMatches(label, e) {
  if (label === "Esc") return e.key === "Escape";
  if (label === "Enter") return e.key === "Enter";
  if (label === "Del") return e.key === "Delete";
  if (label.startsWith("Alt+")) return e.altKey && e.key.toLowerCase() === label.slice(4).toLowerCase();
  return e.key === label && !e.altKey && !e.ctrlKey;
}

/** Ask yes/no; resolves true/false. */
export function confirmDialog(title, message, { yes = t("btn.yes"), no = t("btn.no"), danger = false } = {}) {
  const dlg = openDialog({
    title, body: h("p", { class: "dialog-text", text: message }), cls: "dialog-sm",
    buttons: [
      { label: no, key: "Esc", onclick: (d) => d.close(false) },
      { label: yes, key: "Enter", cls: danger ? "btn-danger" : "btn-primary", onclick: (d) => d.close(true) },
    ],
  });
  return dlg.done.then((r) => r === true);
}
