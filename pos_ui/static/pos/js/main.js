// The cashier screen's entry point: login, lock, the key router and the views.

import { init as initStrings, t, errorText } from "./i18n.js";
import * as fmt from "./format.js";
import { api, get, session, onSessionLost, onReachability } from "./api.js";
import { h } from "./dom.js";
import { state, onState } from "./state.js";
import { restore as restoreCart, isEmpty } from "./cart.js";
import { topDialog, closeAll } from "./dialog.js";
import { keypad, burstGuard } from "./widgets.js";
import * as sale from "./sale.js";
import * as returns from "./returns.js";
import * as shift from "./shift.js";
import * as backoffice from "./backoffice.js";
import * as orders from "./orders.js";
import { startStatus, stopStatus, setAgentReachable, renderStatus, pollStatus } from "./status.js";

const $ = (id) => document.getElementById(id);
const views = {};
const pinGuards = {};
let lastActivity = Date.now();
let lockedLogin = null;
let sessionLostShown = false;

// ---- navigation ------------------------------------------------------------------------

const nav = {
  go(view) {
    if (state.busy || state.view === view) return;
    closeAll();
    state.view = view;
    for (const [name, el] of Object.entries(views)) el.hidden = name !== view;
    document.body.dataset.view = view;
    if (view === "sale") sale.onShow();
    else if (view === "returns") returns.onShow();
    else if (view === "shift") shift.onShow();
    else if (view === "backoffice") backoffice.onShow();
    else if (view === "orders") orders.onShow();
  },
};

function showLogin(message) {
  state.me = null;
  state.view = null;
  closeAll();
  stopStatus();
  $("view-pos").hidden = true;
  $("lock").hidden = true;
  $("view-login").hidden = false;
  $("tb-lock").hidden = true;
  $("tb-backoffice").hidden = true;
  $("tb-orders").hidden = true;
  $("tb-cashier").textContent = "";
  $("tb-role").textContent = "";
  $("tb-meta").textContent = "";
  document.body.dataset.view = "login";
  const err = $("login-error");
  err.hidden = !message;
  err.textContent = message || "";
  $("login-pin").value = "";
  requestAnimationFrame(() => ($("login-name").value ? $("login-pin") : $("login-name")).focus());
}

function renderTopbar() {
  if (!state.me) return;
  $("tb-cashier").textContent = state.me.name;
  $("tb-role").textContent = t("role." + state.me.role);
  const shiftText = state.shift ? t("tb.shift", { n: state.shift.number })
    : state.shift === null ? t("tb.no_shift") : "";
  $("tb-meta").textContent = [t("tb.register", { n: state.register }), shiftText].filter(Boolean).join(" · ");
  $("tb-meta").dataset.shift = state.shift ? "open" : "closed";
}

async function enter(cashier) {
  sessionLostShown = false;
  state.me = cashier;
  try {
    const me = await get("/session");
    state.me = me.cashier || cashier;
    state.register = me.register || state.register;
    if (me.store) state.store = me.store;
    if (me.ui) state.ui = { ...state.ui, ...me.ui };
  } catch { /* the login answer is enough to go on */ }
  $("view-login").hidden = true;
  $("lock").hidden = true;
  $("view-pos").hidden = false;
  $("tb-lock").hidden = false;
  $("tb-backoffice").hidden = !backoffice.canUse();
  $("tb-orders").hidden = false;
  lastActivity = Date.now();
  startStatus();
  try { await shift.loadShift(); } catch (e) { state.shift = undefined; }
  renderTopbar();
  state.view = null;
  await sale.afterLogin();
  nav.go(state.shift === null && isEmpty() ? "shift" : "sale");
}

// ---- login -----------------------------------------------------------------------------

async function login() {
  const name = $("login-name").value.trim();
  const pin = $("login-pin").value;
  const err = $("login-error");
  if (!name) { $("login-name").focus(); return; }
  if (pinGuards.login.isScan()) {       // a barcode scanned into the PIN: never a login attempt
    pinGuards.login.reset(); $("login-pin").value = "";
    err.hidden = false; err.textContent = t("err.scan_in_field"); return;
  }
  if (!/^\d{4,8}$/.test(pin)) { err.hidden = false; err.textContent = t("login.pin_format"); $("login-pin").focus(); return; }
  const button = $("login-submit");
  button.disabled = true;
  try {
    const r = await api("POST", "/session", { login: name, pin, register: state.register }, { auth: false });
    session.set(r.token);
    err.hidden = true;
    await enter(r.cashier);
  } catch (e) {
    err.hidden = false;
    err.textContent = errorText(e);
    err.dataset.code = e.code || "";
    $("login-pin").value = "";
    $("login-pin").focus();
  } finally { button.disabled = false; }
}

function loginKey(e) {
  if (e.key !== "Enter") return false;
  if (document.activeElement === $("login-name") && !$("login-pin").value) { $("login-pin").focus(); return true; }
  login();
  return true;
}

// ---- lock ------------------------------------------------------------------------------

async function lock() {
  if (!state.me || state.busy) return;
  closeAll();
  lockedLogin = state.me.login;
  const name = state.me.name;
  const token = session.token;
  session.clear();
  stopStatus();
  if (token) {
    fetch("/api/v1/session", { method: "DELETE", headers: { Authorization: "Bearer " + token },
                               credentials: "omit", cache: "no-store" }).catch(() => {});
  }
  $("lock-who").textContent = t("lock.who", { name });
  $("lock-pin").value = "";
  $("lock-error").hidden = true;
  $("lock").hidden = false;
  document.body.dataset.locked = "1";
  requestAnimationFrame(() => $("lock-pin").focus());
}

async function unlock() {
  const pin = $("lock-pin").value;
  const err = $("lock-error");
  if (pinGuards.lock.isScan()) {
    pinGuards.lock.reset(); $("lock-pin").value = "";
    err.hidden = false; err.textContent = t("err.scan_in_field"); return;
  }
  if (!/^\d{4,8}$/.test(pin)) { err.hidden = false; err.textContent = t("login.pin_format"); return; }
  try {
    const r = await api("POST", "/session", { login: lockedLogin, pin, register: state.register }, { auth: false });
    session.set(r.token);
    state.me = r.cashier;
    $("lock").hidden = true;
    delete document.body.dataset.locked;
    lastActivity = Date.now();
    startStatus();
    renderTopbar();
    if (state.view === "sale") sale.onShow();
  } catch (e) {
    err.hidden = false;
    err.textContent = errorText(e);
    $("lock-pin").value = "";
    $("lock-pin").focus();
  }
}

function lockKey(e) {
  if (e.key === "Enter") { unlock(); return true; }
  return false;
}

// ---- keys ------------------------------------------------------------------------------

function isEditable(el) {
  return el instanceof HTMLElement && (el.isContentEditable || el.matches("input, textarea, select"));
}

function onKey(e) {
  lastActivity = Date.now();
  if (/^F([1-9]|10)$/.test(e.key)) e.preventDefault();   // no help page, reload, caret mode, menu
  let handled = false;
  if (!$("lock").hidden) handled = lockKey(e);
  else if (!state.me) handled = loginKey(e);
  else if (e.altKey && (e.code === "KeyL" || e.key.toLowerCase() === "l")) { lock(); handled = true; }
  else if (topDialog()) handled = topDialog().handleKey(e);
  else if (e.key === "F11" && backoffice.canUse() && !state.busy) { nav.go("backoffice"); handled = true; }
  else if (e.altKey && (e.code === "KeyO" || e.key.toLowerCase() === "o") && !state.busy) { nav.go("orders"); handled = true; }
  else if (state.view === "sale") handled = sale.saleKey(e);
  else if (state.view === "returns") handled = returns.returnsKey(e);
  else if (state.view === "shift") handled = shift.shiftKey(e);
  else if (state.view === "backoffice") handled = backoffice.backOfficeKey(e);
  else if (state.view === "orders") handled = orders.ordersKey(e);
  if (handled) {
    e.preventDefault();
    e.stopPropagation();
    return;
  }
  // A scanner or a keystroke while the focus is on a button: send it to the scan field.
  if (state.me && state.view === "sale" && !topDialog() && $("lock").hidden && !isEditable(e.target)
      && (e.key.length === 1 || e.key === "Enter") && !e.ctrlKey && !e.metaKey && !e.altKey) {
    sale.focusScan();
  }
}

// ---- boot ------------------------------------------------------------------------------

function boot() {
  let strings = {};
  try { strings = JSON.parse(document.body.dataset.strings || "{}"); } catch { /* English keys then */ }
  const lang = document.body.dataset.lang || "ru";
  initStrings(strings, lang);
  fmt.setLocale(lang);
  state.ui.language = lang;
  state.store = { id: document.body.dataset.storeId || "", name: document.body.dataset.storeName || "" };
  const reg = new URLSearchParams(location.search).get("register");
  if (reg && /^[\w-]{1,16}$/.test(reg)) sessionStorage.setItem("pos.register", reg);
  state.register = sessionStorage.getItem("pos.register") || "1";
  restoreCart();

  const pos = $("view-pos");
  const saleHost = h("div", { class: "view-part", id: "part-sale" });
  const retHost = h("div", { class: "view-part", id: "part-returns", hidden: true });
  const shiftHost = h("div", { class: "view-part", id: "part-shift", hidden: true });
  const boHost = h("div", { class: "view-part", id: "part-backoffice", hidden: true });
  const ordHost = h("div", { class: "view-part", id: "part-orders", hidden: true });
  pos.append(saleHost, retHost, shiftHost, boHost, ordHost);
  views.orders = ordHost;
  orders.buildOrdersView(ordHost, nav, (done) => sale.showSaleDone(done));
  views.backoffice = boHost;
  backoffice.buildBackOfficeView(boHost, nav);
  const boButton = h("button", { type: "button", class: "btn btn-top", id: "tb-backoffice", hidden: true,
                                 title: "F11", onclick: () => nav.go("backoffice") },
                     h("kbd", { text: "F11" }), h("span", { text: t("bo.title") }));
  $("tb-lock").before(boButton);
  const ordButton = h("button", { type: "button", class: "btn btn-top", id: "tb-orders", hidden: true,
                                  title: "Alt+O", onclick: () => nav.go("orders") },
                      h("kbd", { text: "Alt+O" }), h("span", { text: t("ord.button") }));
  boButton.before(ordButton);
  views.sale = saleHost;
  views.returns = retHost;
  views.shift = shiftHost;
  sale.buildSaleView(saleHost, nav);
  returns.buildReturnsView(retHost, nav);
  shift.buildShiftView(shiftHost, nav);

  $("login-keypad").append(keypad(() => $("login-pin")));
  pinGuards.login = burstGuard($("login-pin"));
  pinGuards.lock = burstGuard($("lock-pin"));
  $("lock-keypad").append(keypad(() => $("lock-pin")));
  $("login-submit").addEventListener("click", login);
  $("lock-submit").addEventListener("click", unlock);
  // Signing out = lock (the session is closed on the agent) + "switch cashier".
  $("lock-switch").addEventListener("click", () => {
    $("lock").hidden = true;
    delete document.body.dataset.locked;
    $("login-name").value = "";
    sale.resetSaleScreen();
    showLogin();
  });
  $("tb-lock").addEventListener("click", lock);
  $("status").addEventListener("click", () => pollStatus());     // tap to refresh now

  document.addEventListener("keydown", onKey, true);
  document.addEventListener("pointerdown", () => { lastActivity = Date.now(); }, true);
  document.addEventListener("pos:dialog-closed", () => requestAnimationFrame(sale.focusScan));
  onState((what) => { renderTopbar(); if (what === "shift") sale.refreshShiftBanner(); });
  onSessionLost(() => {
    if (sessionLostShown || !state.me) return;
    sessionLostShown = true;
    session.clear();
    showLogin(t("err.session_expired"));
  });
  onReachability(setAgentReachable);

  const tick = () => { $("tb-clock").textContent = fmt.clock(); };
  tick();
  setInterval(tick, 10000);
  setInterval(() => {
    const idle = Number(state.ui.idle_lock_seconds) || 0;
    if (state.me && idle > 0 && $("lock").hidden && !state.busy && Date.now() - lastActivity >= idle * 1000) lock();
  }, 1000);
  renderStatus({});

  if (session.token) {
    get("/session").then((me) => enter(me.cashier), () => { session.clear(); showLogin(); });
  } else {
    showLogin();
  }
}

boot();
