// Money and quantities for the screen.  Money is integer kopecks from the agent; it is
// formatted with integer arithmetic only (no floats, no rounding surprises), in the
// interface language's format: ru "1 234,56 ₽", en "₽1,234.56".  Quantities are integer
// thousandths ("milli") on the screen and decimal strings ("1.500") on the wire.

const LOCALES = {
  ru: { group: "\u00a0", decimal: ",", symbol: "₽", before: false, bcp47: "ru-RU" },
  en: { group: ",", decimal: ".", symbol: "₽", before: true, bcp47: "en-GB" },
};
let L = LOCALES.ru;

export function setLocale(lang) {
  L = LOCALES[lang] || LOCALES.ru;
}

function groupDigits(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, L.group);
}

/** 123456 -> "1 234,56" (no currency sign). */
export function amount(kop) {
  if (typeof kop !== "number" || !Number.isFinite(kop)) return "—";
  const neg = kop < 0;
  const n = Math.abs(Math.trunc(kop));
  const text = groupDigits(String(Math.floor(n / 100))) + L.decimal + String(n % 100).padStart(2, "0");
  return (neg ? "−" : "") + text;
}

/** 123456 -> "1234,56" (ru) / "1234.56" (en): for putting an amount into an input. */
export function plain(kop) {
  return `${Math.floor(kop / 100)}${L.decimal}${String(kop % 100).padStart(2, "0")}`;
}

/** 123456 -> "1 234,56 ₽" (ru) / "₽1,234.56" (en). */
export function money(kop) {
  if (typeof kop !== "number" || !Number.isFinite(kop)) return "—";
  const neg = kop < 0;
  const body = amount(Math.abs(kop));
  const s = L.before ? L.symbol + body : body + "\u00a0" + L.symbol;
  return (neg ? "−" : "") + s;
}

/** Whole numbers with the locale's grouping: 12345 -> "12 345". */
export function count(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "—";
  return (n < 0 ? "−" : "") + groupDigits(String(Math.abs(Math.trunc(n))));
}

/** "1 234,5" / "1234.50" / "₽ 10" -> kopecks, or null when it is not an amount. */
export function parseMoney(text) {
  const s = String(text ?? "").replace(/[\s\u00a0\u202f₽]/g, "");
  const m = /^(\d{1,10})(?:[.,](\d{0,2}))?$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

/** "1,5" / "0.755" / "2" -> thousandths, or null (more than 3 places, zero, junk). */
export function parseQty(text) {
  const s = String(text ?? "").replace(/[\s\u00a0]/g, "");
  const m = /^(\d{1,5})(?:[.,](\d{0,3}))?$/.exec(s);
  if (!m) return null;
  const milli = Number(m[1]) * 1000 + Number((m[2] || "").padEnd(3, "0"));
  return milli > 0 && milli <= 10_000_000 ? milli : null;
}

/** "1.500" from the agent -> 1500. */
export function milliOf(qty) {
  if (typeof qty === "number") return Math.round(qty * 1000);
  const m = /^(-?)(\d+)(?:\.(\d{1,3}))?$/.exec(String(qty ?? "").trim());
  if (!m) return 0;
  const v = Number(m[2]) * 1000 + Number((m[3] || "").padEnd(3, "0"));
  return m[1] ? -v : v;
}

/** 1500 -> "1.500" (the wire format the agent parses exactly). */
export function qtyWire(milli) {
  return `${Math.floor(milli / 1000)}.${String(milli % 1000).padStart(3, "0")}`;
}

/** For people: pieces as whole numbers, weight with three decimals in the locale. */
export function qty(milli, unit) {
  if (unit === "kg") {
    return groupDigits(String(Math.floor(milli / 1000))) + L.decimal + String(milli % 1000).padStart(3, "0");
  }
  if (milli % 1000 === 0) return count(milli / 1000);
  return groupDigits(String(Math.floor(milli / 1000))) + L.decimal + String(milli % 1000).padStart(3, "0").replace(/0+$/, "");
}

/** The agent's per-line rounding: price x qty, half up, to the kopeck (exact, BigInt). */
export function lineAmount(price, milli) {
  return Number((BigInt(price) * BigInt(milli) + 500n) / 1000n);
}

/** total x part/whole, half up; used cumulatively like the agent does for returns. */
export function share(total, part, whole) {
  if (!whole) return 0;
  return Number((BigInt(total) * BigInt(part) * 2n + BigInt(whole)) / (2n * BigInt(whole)));
}

/** ISO time -> "05.03.2026 14:07" (ru) / "05/03/2026 14:07" (en), local time of the register. */
export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(L.bcp47, { year: "numeric", month: "2-digit", day: "2-digit",
                                     hour: "2-digit", minute: "2-digit" });
}

export function clock(d = new Date()) {
  return d.toLocaleTimeString(L.bcp47, { hour: "2-digit", minute: "2-digit" });
}

/** "+79161234567" -> "+7 916 123-45-67"; anything else as it is. */
export function phone(e164) {
  const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(e164 || "");
  return m ? `+7 ${m[1]} ${m[2]}-${m[3]}-${m[4]}` : (e164 || "");
}
