"""A supplier's УПД / счёт-фактура XML (ФНС formats 5.01-5.03, ``ON_NSCHFDOPPR_…``) read
as an expected delivery.

The file is streamed (``iterparse``) in whatever encoding its XML declaration names
(windows-1251 from most EDO operators, or UTF-8).  Both versions' names are read: the
document number and date are ``СвСчФакт/@НомерСчФ``, ``@ДатаСчФ`` in 5.01 and ``@НомерДок``,
``@ДатаДок`` in 5.03.  A line (``ТаблСчФакт/СведТов``) is matched to a product by
barcode/GTIN (``ДопСведТов/@ГТИН``, the GTIN inside a marking code ``КИЗ``, a numeric
``КодТов``), then by ``КодТов`` / ``АртикулТов`` as our SKU; a line nothing matches is kept
(the act will show it as not received) and reported.  A file whose ``ИдФайл`` was imported
before is the delivery already held.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from . import text as textrule
from .errors import Invalid
from .models import Barcode, Product

FUNCTIONS = ("СЧФ", "СЧФДОП", "ДОП")
VERSIONS = ("5.01", "5.02", "5.03")
PIECES, KILOGRAMS = "796", "166"


def _text(value, what: str) -> str | None:
    """A text of the file as it may be stored (``agent.text``'s rule for imports): bidi
    controls stripped, control characters refuse the file naming where, NFC."""
    if value is None:
        return None
    try:
        return textrule.clean(value, what, strip_bidi=True)
    except textrule.BadText as e:
        raise Invalid(f"{what}: {e.reason}", field="file") from None


def _dec(text, what: str) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise Invalid(f"{what}: {text!r} is not a number", field="file") from None
    if not value.is_finite():
        raise Invalid(f"{what}: {text!r} is not a number", field="file")
    return value


def _gtins(line: ET.Element) -> list[str]:
    """Barcodes a line names: the GTIN attribute, GTINs inside marking codes, a numeric code."""
    out = []
    extra = line.find("ДопСведТов")
    if extra is None:
        return out
    candidates = [extra.get("ГТИН") or ""]
    for kiz in extra.iter("КИЗ"):  # DataMatrix: 01 + 14-digit GTIN + 21 + serial ...
        text = (kiz.text or "").strip()
        if text.startswith("01") and text[2:16].isdigit():
            candidates.append(text[2:16])
    code = (extra.get("КодТов") or "").strip()
    if code.isdigit() and len(code) in (8, 12, 13, 14):
        candidates.append(code)
    for c in candidates:
        c = c.strip()
        if not c.isdigit():
            continue
        out.append(c)
        if len(c) == 14 and c.startswith("0"):
            out.append(c[1:])  # GTIN-14 of an EAN-13
    return out


def _match(line: ET.Element) -> tuple[Product | None, str | None, str | None]:
    barcodes = _gtins(line)
    for code in barcodes:
        row = Barcode.get_or_none(Barcode.code == code)
        if row is not None:
            return Product.get_by_id(row.product_id), code, None
    extra = line.find("ДопСведТов")
    for key in ("КодТов", "АртикулТов"):
        article = (extra.get(key) or "").strip() if extra is not None else ""
        if article:
            product = Product.get_or_none(Product.sku == article)
            if product is not None:
                return product, barcodes[0] if barcodes else None, article
    article = None
    if extra is not None:
        article = (extra.get("КодТов") or extra.get("АртикулТов") or "").strip() or None
    return None, barcodes[0] if barcodes else None, article


def read(path: Path) -> dict:
    """The document's head and lines, matched against the catalog (nothing is written)."""
    head: dict = {}
    lines, unmatched = [], []
    seen_file = False
    try:
        for event, el in ET.iterparse(str(path), events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == "Файл":
                    seen_file = True
                    head["file_id"] = _text(el.get("ИдФайл"), "ИдФайл")
                    head["version"] = el.get("ВерсФорм")
                elif tag == "Документ":
                    head["knd"], head["function"] = el.get("КНД"), el.get("Функция")
                elif tag == "СвПрод":
                    head["in_seller"] = True
                elif tag == "СвСчФакт":
                    head["number"] = _text(el.get("НомерДок") or el.get("НомерСчФ"),
                                           "СвСчФакт/@НомерДок")
                    head["date"] = _text(el.get("ДатаДок") or el.get("ДатаСчФ"),
                                         "СвСчФакт/@ДатаДок")
                continue
            if tag in ("СвЮЛУч", "СвИП", "СвФЛУч") and head.get("in_seller"):
                head["supplier"] = _text(el.get("НаимОрг") or _fio(el) or "", "СвПрод")
                head["supplier_inn"] = _text(el.get("ИННЮЛ") or el.get("ИННФЛ"), "СвПрод/@ИНН")
            elif tag == "СвПрод":
                head["in_seller"] = False
            elif tag == "СведТов":
                lines.append(_line(el, len(lines) + 1, unmatched))
                el.clear()
    except ET.ParseError as e:
        raise Invalid(f"{path.name}: not a readable XML file ({e})", field="file") from None
    except (LookupError, UnicodeDecodeError) as e:
        raise Invalid(f"{path.name}: unsupported encoding ({e})", field="file") from None
    if not seen_file or head.get("version") not in VERSIONS:
        raise Invalid(f"{path.name}: not a УПД / счёт-фактура of format 5.01-5.03 (root Файл "
                      f"with ВерсФорм, got {head.get('version')!r})", field="file")
    if head.get("knd") != "1115131" and head.get("function") not in FUNCTIONS:
        raise Invalid(f"{path.name}: Документ is not a УПД (КНД 1115131, Функция СЧФ/СЧФДОП/ДОП)",
                      field="file")
    if not head.get("number"):
        raise Invalid(f"{path.name}: the document has no number (СвСчФакт)", field="file")
    if not lines:
        raise Invalid(f"{path.name}: the document has no lines (ТаблСчФакт/СведТов)", field="file")
    if not head.get("file_id"):
        head["file_id"] = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    return {**head, "lines": lines, "unmatched": unmatched}


def _fio(el: ET.Element) -> str:
    fio = el.find("ФИО")
    if fio is None:
        return ""
    return " ".join(x for x in (fio.get("Фамилия"), fio.get("Имя"), fio.get("Отчество")) if x)


def _line(el: ET.Element, n: int, unmatched: list) -> dict:
    no = _text(el.get("НомСтр"), "НомСтр") or str(n)
    name = (_text(el.get("НаимТов"), f"line {no} НаимТов") or "").strip() or f"строка {no}"
    qty = _dec(el.get("КолТов"), f"line {no} КолТов")
    if qty <= 0 or qty != qty.quantize(Decimal("0.001")):
        raise Invalid(f"line {no}: КолТов {qty} must be above zero with at most 3 decimals",
                      field="file")
    price = el.get("ЦенаТов")
    kopecks = None
    if price not in (None, ""):
        kopecks = int((_dec(price, f"line {no} ЦенаТов") * 100).quantize(Decimal(1), ROUND_HALF_UP))
    product, barcode, article = _match(el)
    article = _text(article, f"line {no} КодТов")
    milli = int(qty * 1000)
    if product is not None and product.unit == "pcs" and milli % 1000:
        raise Invalid(f"line {no}: {qty} of {product.sku} is not a whole number of pieces",
                      field="file")
    if product is None:
        unmatched.append({"line": no, "name": name, "barcode": barcode, "article": article,
                          "qty": f"{qty:.3f}"})
    return {"product": product, "name": name[:255], "barcode": barcode, "article": article,
            "qty": milli, "price": kopecks, "unit_code": el.get("ОКЕИ_Тов")}


def import_file(store, path) -> dict:
    """Read the file and record it as an expected delivery, in one transaction."""
    from .deliveries import add_expected, answer
    path = Path(path)
    if not path.is_file():
        raise Invalid(f"{path}: no such file", field="file")
    doc = read(path)
    with store.db.write():
        delivery, created = add_expected(
            "upd:" + doc["file_id"], "upd", doc["number"][:60],
            (doc.get("supplier") or "?")[:200], doc["lines"],
            supplier_inn=doc.get("supplier_inn"), doc_date=doc.get("date"),
            unmatched=doc["unmatched"])
    return {"delivery": answer(delivery), "created": created, "unmatched": doc["unmatched"],
            "version": doc["version"]}
