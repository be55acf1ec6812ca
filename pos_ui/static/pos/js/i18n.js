import { money } from "./format.js";

// Interface strings: given to the page by the agent (data-strings), in the configured
// language.  t("key", {name: value}) fills {name} placeholders; values are plain text and
// are only ever put on screen with textContent.

let S = {};
export let lang = "ru";

export function init(strings, language) {
  S = strings || {};
  lang = language || "ru";
}

export function t(key, params) {
  let s = Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (params[name] ?? m));
  }
  return s;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(S, key);
}

/** A human sentence for an API error, in the interface language. */
export function errorText(e, params = {}) {
  if (!e) return "";
  if (!e.code) return String(e.message || e);
  if (e.code === "network") return t("err.network");
  if (e.code === "timeout") return t("err.timeout");
  if (e.code === "unauthorized" && e.field === "pin") {
    const m = /\((\d+) attempts? left\)/.exec(e.message || "");
    const left = e.extra?.attempts_left ?? (m ? m[1] : null);
    return left != null ? t("err.wrong_pin_left", { n: left }) : t("err.wrong_pin");
  }
  if (e.code === "locked_out") {
    const secs = Number(e.extra?.retry_after) || 60;
    return t("err.locked_out", { min: Math.max(1, Math.ceil(secs / 60)) });
  }
  if (e.status >= 500) return t("err.server");
  if (e.code === "invalid" && e.field === "phone") return t("err.bad_phone");
  if (e.code === "invalid" && e.field === "customer_phone") {
    return /not available/i.test(e.message || "") ? t("err.loyalty_unavailable") : t("err.bad_phone");
  }
  const key = "err." + e.code;
  const extra = { ...(e.extra || {}) };
  if (typeof extra.available === "number") extra.available = money(extra.available);
  if (has(key)) return t(key, { ...extra, ...params });
  if (e.status === 404 && e.missingRoute) return t("err.not_available");
  return e.message || t("err.unknown");
}
