// Small pieces shared by every screen: the on-screen keypad, the scanner-burst guard,
// toasts and a short beep.

import { h, keepFocus, clear } from "./dom.js";
import { t } from "./i18n.js";

/** A numeric keypad typing into whatever input target() returns (big touch targets). */
export function keypad(target, { decimal = false, onEnter = null } = {}) {
  const press = (key) => {
    const input = target();
    if (!input) return;
    if (key === "C") input.value = "";
    else if (key === "⌫") input.value = input.value.slice(0, -1);
    else if (input.maxLength > 0 && input.value.length >= input.maxLength) return;
    else input.value += key;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    if (document.activeElement !== input) input.focus();
  };
  const keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", decimal ? "," : "C", "0", "⌫"];
  const pad = h("div", { class: "keypad", role: "group", "aria-label": t("kp.label") },
    keys.map((k) => h("button", {
      type: "button", class: "kp-key" + (k === "C" || k === "⌫" ? " kp-fn" : ""),
      "aria-label": k === "⌫" ? t("kp.back") : k === "C" ? t("kp.clear") : k,
      text: k, onclick: () => press(k) })));
  if (onEnter) {
    pad.classList.add("with-enter");
    if (decimal) pad.append(h("button", { type: "button", class: "kp-key kp-fn", text: "C",
                                          "aria-label": t("kp.clear"), onclick: () => press("C") }));
    pad.append(h("button", { type: "button", class: "kp-key kp-enter", text: "↵",
                             "aria-label": "Enter", onclick: () => onEnter() }));
  }
  return keepFocus(pad);
}

/**
 * Tells a barcode scanner's burst from a person typing.  A scanner "types" 8-14 characters
 * a few milliseconds apart and then Enter; a person on a keypad is ~100 ms per key.  Fields
 * that take amounts or weights use it so a stray scan cannot become a payment of
 * 4 607 001 234 ₽ or a 4607 kg weight.
 */
export function burstGuard(input, { minLength = 8, maxGapMs = 35 } = {}) {
  let times = [];
  input.addEventListener("keydown", (e) => {
    if (e.key && e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) {
      times.push(performance.now());
      if (times.length > 64) times.shift();
    }
  });
  input.addEventListener("input", () => { if (!input.value) times = []; });
  return {
    isScan() {
      const n = Math.min(input.value.length, times.length);
      if (n < minLength) return false;
      const last = times.slice(-n);
      return (last[n - 1] - last[0]) / (n - 1) < maxGapMs;
    },
    reset() { times = []; },
  };
}

let toastBox = null;
export function toast(message, kind = "info", ms = 3500) {
  toastBox = toastBox || document.getElementById("toasts");
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status",
                        text: message });
  toastBox.append(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

let audio = null;
/** A short beep: high for OK, low for an error (no sound files, nothing to download). */
export function beep(ok = true) {
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = ok ? 1400 : 300;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (ok ? 0.06 : 0.25));
  } catch { /* no sound device: fine */ }
}

/** An inline message line under a form (error / ok / info), text only. */
export function messageLine(cls = "form-msg") {
  const el = h("p", { class: cls, role: "alert", hidden: true });
  return {
    el,
    show(msg, kind = "error") {
      el.hidden = !msg;
      el.textContent = msg || "";
      el.dataset.kind = kind;
    },
    hide() { el.hidden = true; el.textContent = ""; },
  };
}

export function emptyState(icon, title, hint) {
  return h("div", { class: "empty" }, h("div", { class: `empty-icon icon-${icon}`, "aria-hidden": "true" }),
           h("p", { class: "empty-title", text: title }), hint ? h("p", { class: "empty-hint", text: hint }) : null);
}

let lastApprover = "";

/** The approving manager's login (the server tries a PIN against that account only). */
export function approverField(id) {
  const input = h("input", { class: "input input-lg", id, autocomplete: "off", maxlength: "64",
                             autocapitalize: "off", spellcheck: "false", "aria-label": t("approve.login") });
  input.value = lastApprover;
  input.addEventListener("change", () => { lastApprover = input.value.trim(); });
  const field = h("label", { class: "field" }, h("span", { class: "field-label", text: t("approve.login") }), input);
  return { input, field, value: () => input.value.trim() };
}

export { clear };
