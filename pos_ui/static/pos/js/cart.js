// The open sale.  The browser keeps only what was scanned and how many; every price and
// total on screen comes from the agent's quote (the agent never trusts a price from here).
// The cart survives a reload of the tab (sessionStorage), with its client_ref, so a sale
// whose answer was lost can be found again instead of being made twice.

import { post } from "./api.js";
import { lineAmount, qtyWire } from "./format.js";
import { newRef } from "./api.js";

const KEY = "pos.cart";
const listeners = new Set();

export const cart = {
  lines: [],          // {sku, barcode, name, unit, price, milli}
  selected: -1,
  clientRef: null,
  attempted: false,   // a sale was sent with clientRef and its answer may have been lost
  customer: null,     // {phone, name, bonus_balance, balance_confirmed_at}
  redeem: 0,          // bonus to redeem, kopecks
  discount: null,     // the receipt's manual discount {percent|amount, reason}; lines carry theirs
  approval: null,     // {approval_login, approval_pin} of the manager who approved it: memory only
  quote: null,        // the agent's quote for exactly these lines
  quoteError: null,
  quoting: false,
  version: 0,
};

export function onCart(fn) { listeners.add(fn); }
function emit() {
  save();
  for (const fn of listeners) fn();
}

function save() {
  const { lines, selected, clientRef, attempted, customer, redeem, discount } = cart;
  sessionStorage.setItem(KEY, JSON.stringify({ lines, selected, clientRef, attempted, customer, redeem,
                                               discount }));
}

export function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && Array.isArray(saved.lines)) Object.assign(cart, saved);
  } catch { /* a broken saved cart is dropped */ }
}

export function isEmpty() { return cart.lines.length === 0; }

function touched() {
  cart.version += 1;
  cart.quote = null;
  cart.quoteError = null;
  if (!cart.clientRef) cart.clientRef = newRef();
}

/** Add a product (from a scan or the search); pieces of the same SKU add up on one line. */
export function addProduct(p, milli = 1000) {
  touched();
  let i = p.unit === "pcs" ? cart.lines.findIndex((l) => l.sku === p.sku && l.unit === "pcs") : -1;
  if (i >= 0) {
    cart.lines[i].milli += milli;
    if (p.barcode && !cart.lines[i].barcode) cart.lines[i].barcode = p.barcode;
  } else {
    cart.lines.push({ sku: p.sku, barcode: p.barcode || null, name: p.name, unit: p.unit,
                      price: p.price, milli });
    i = cart.lines.length - 1;
  }
  cart.selected = i;
  emit();
  return cart.lines[i];
}

export function setQty(i, milli) {
  if (!cart.lines[i] || !(milli > 0)) return;
  touched();
  cart.lines[i].milli = milli;
  cart.selected = i;
  emit();
}

export function removeLine(i) {
  if (!cart.lines[i]) return null;
  touched();
  const [gone] = cart.lines.splice(i, 1);
  cart.selected = Math.min(i, cart.lines.length - 1);
  if (!cart.lines.length) reset(false);
  emit();
  return gone;
}

export function select(i) {
  if (i < 0 || i >= cart.lines.length) return;
  cart.selected = i;
  for (const fn of listeners) fn("select");
}

export function setCustomer(customer) {
  touched();
  cart.customer = customer;
  cart.redeem = 0;
  emit();
}

export function setRedeem(kop) {
  touched();
  cart.redeem = Math.max(0, kop | 0);
  emit();
}

/** A manual discount on line ``i`` (or the receipt when ``i`` < 0); ``null``: none at all.
 *  ``approval`` (a manager's login and PIN) goes with the sale; it is never saved. */
export function setDiscount(i, spec = null, approval = null) {
  touched();
  if (i === null) {
    cart.discount = null;
    cart.approval = null;
    for (const l of cart.lines) delete l.discount;
  } else if (i >= 0 && cart.lines[i]) cart.lines[i].discount = spec;
  else cart.discount = spec;
  if (approval) cart.approval = approval;
  emit();
}

function reset(notify = true) {
  Object.assign(cart, { lines: [], selected: -1, clientRef: null, attempted: false,
                        customer: null, redeem: 0, quote: null, quoteError: null,
                        discount: null, approval: null });
  cart.version += 1;
  if (notify) emit();
}

export function clearCart() { reset(true); }

/** Lines as the agent takes them: a barcode (or SKU), a quantity and a manual discount
 *  with its reason, never a price. */
export function wireLines() {
  return cart.lines.map((l) => {
    const w = l.barcode ? { barcode: l.barcode, qty: qtyWire(l.milli) } : { sku: l.sku, qty: qtyWire(l.milli) };
    if (l.discount) w.discount = l.discount;
    return w;
  });
}

export function saleBody() {
  const body = { lines: wireLines() };
  if (cart.customer) body.customer_phone = cart.customer.phone;
  if (cart.customer && cart.redeem > 0) body.redeem_bonus = cart.redeem;
  if (cart.discount) body.discount = cart.discount;
  if (cart.approval) Object.assign(body, cart.approval);
  return body;
}

/** Local estimate while the quote is on its way (same rounding rule as the agent). */
export function localTotal() {
  return cart.lines.reduce((s, l) => s + lineAmount(l.price, l.milli), 0);
}

export function lineTotal(i) {
  const q = cart.quote;
  if (q && q.lines && q.lines[i]) return q.lines[i].amount - (q.lines[i].discount || 0);
  const l = cart.lines[i];
  return lineAmount(l.price, l.milli);
}

export function total() {
  return cart.quote ? cart.quote.total : localTotal();
}

export function itemCount() {
  return cart.lines.reduce((s, l) => s + (l.unit === "pcs" ? l.milli / 1000 : 1), 0);
}

let inflight = null;
/** Ask the agent to price the cart; only the answer for the newest cart is kept. */
export async function requote() {
  if (!cart.lines.length) {
    cart.quote = null;
    cart.quoteError = null;
    for (const fn of listeners) fn("quote");
    return null;
  }
  const version = cart.version;
  if (cart.quote && !cart.quoteError) return cart.quote;
  if (inflight && inflight.version === version) return inflight.promise;
  cart.quoting = true;
  const promise = post("/sales/quote", saleBody()).then((q) => {
    if (cart.version === version) { cart.quote = q; cart.quoteError = null; }
    return q;
  }, (e) => {
    if (cart.version === version) cart.quoteError = e;
    throw e;
  }).finally(() => {
    if (cart.version === version) {
      cart.quoting = false;
      for (const fn of listeners) fn("quote");
    }
  });
  inflight = { version, promise };
  return promise;
}

/** A quote that matches the cart right now (waits for it, retries once if it moved on). */
export async function freshQuote() {
  for (let i = 0; i < 3; i++) {
    const v = cart.version;
    const q = await requote();
    if (cart.version === v) return q;
  }
  return requote();
}

/** The sale with this cart's client_ref was sent (true) or surely not recorded (false). */
export function markAttempted(value) {
  cart.attempted = value;
  save();
}
