// What the screen knows: who is logged in, the register, the shift, and which view shows.

export const state = {
  me: null,             // {login, name, role}
  register: "1",
  store: { id: "", name: "" },
  ui: { language: "ru", idle_lock_seconds: 300 },
  shift: undefined,     // the X report of the open shift; null = no open shift; undefined = unknown
  view: null,           // "sale" | "receipt" | "returns" | "shift"
  busy: false,          // a payment or a return is being sent: never lock or navigate then
};

const listeners = new Set();
export function onState(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function changed(what) { for (const fn of listeners) fn(what); }

export function isManager() { return state.me?.role === "manager"; }
