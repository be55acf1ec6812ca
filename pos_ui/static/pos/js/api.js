// The agent's JSON API.  The session token lives in sessionStorage only: it dies with the
// tab, is never written to localStorage or a cookie, and is dropped on logout and lock.

const TOKEN_KEY = "pos.token";
const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = extra.field;
    this.extra = extra;
    // A 404 from Flask's router (the endpoint itself is not in this agent yet).
    this.missingRoute = status === 404 && code === "not_found"
      && /requested URL was not found/i.test(message || "");
  }

  /** The request may or may not have been applied (no answer, or the agent failed). */
  get uncertain() {
    return this.status === 0 || this.status >= 500;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

let lostHandler = null;
let activity = null;

/** Called once when the agent says the session is gone (expired, logged out elsewhere). */
export function onSessionLost(fn) { lostHandler = fn; }
/** Called on every answer from the agent: true when reachable, false on a network error. */
export function onReachability(fn) { activity = fn; }

export async function api(method, path, body, { timeout = TIMEOUT_MS, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.token;
  if (auth && token) headers.Authorization = "Bearer " + token;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  let resp;
  try {
    resp = await fetch("/api/v1" + path, {
      method, headers, cache: "no-store", credentials: "omit", signal: ctl.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    activity?.(false);
    throw new ApiError(0, ctl.signal.aborted ? "timeout" : "network", String(e));
  } finally {
    clearTimeout(timer);
  }
  activity?.(true);
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(resp.status, err.code || `http_${resp.status}`,
                           err.message || resp.statusText, err);
    if (resp.status === 401 && auth && (e.code === "no_session" || e.code === "session_expired")) {
      lostHandler?.(e);
    }
    throw e;
  }
  return data ?? {};
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body ?? {}, opts);
export const del = (path, opts) => api("DELETE", path, undefined, opts);

/** A fresh id for client_ref (works on plain http too, unlike crypto.randomUUID). */
export function newRef() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? "?" + s : "";
}
