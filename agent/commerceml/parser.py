"""A streaming reader of CommerceML 2 (2.03-2.10) files: what they say, not what it means.

``read(path)`` yields small tuples in document order while ``iterparse`` walks the file;
every element is dropped from the tree as soon as it has been read, so memory stays flat
whatever the file's size.  Tags are matched by their local name (any namespace or none),
the encoding is whatever the XML declaration says (UTF-8, windows-1251).

Yielded items (values are raw strings; ``values.py`` turns them into kopecks, units, ...):

=====================  =============================================================
("group", (id, path))  a classifier group; path = names from the top, " / "-joined
("price_type", (id, name))
("warehouse", (id, name))
("catalog", Section)   a Каталог starts its products (id, delta)
("product", Item)      a Товар
("package", Section)   a ПакетПредложений starts its offers (catalog id, delta)
("offer", Item)        a Предложение
("end", Section)       a Каталог or ПакетПредложений was read to its end
=====================  =============================================================
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

DELETED_WORDS = ("true", "да", "1")


_LOCAL: dict[str, str] = {}


def local(tag: str) -> str:
    """'{urn:1C.ru:commerceml_2}Товар' -> 'Товар' (remembered: a file has few distinct tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        if len(_LOCAL) > 10_000:  # a file of made-up tags must not grow this without bound
            _LOCAL.clear()
        name = _LOCAL[tag] = tag.rpartition("}")[2]
    return name


@dataclass
class Section:
    kind: str  # catalog | package
    id: str = ""
    delta: bool = False
    listed: bool = False  # a package whose offers carry names/characteristics (not only prices or rests)


@dataclass
class Item:
    """One Товар or Предложение, flattened."""

    id: str
    sku: str = ""
    name: str = ""
    barcodes: list = field(default_factory=list)
    unit: tuple | None = None  # (code, short name, international abbreviation, text)
    group_id: str | None = None
    vat: str | None = None
    requisites: dict = field(default_factory=dict)  # ЗначенияРеквизитов: name -> value
    code: str | None = None  # a direct <Код>
    features: list = field(default_factory=list)  # ХарактеристикиТовара: (name, value)
    prices: list = field(default_factory=list)  # (price type id, ЦенаЗаЕдиницу, Коэффициент)
    total_qty: str | None = None  # Количество, or an Остаток without a warehouse
    warehouse_qty: list = field(default_factory=list)  # (warehouse id, quantity)
    deleted: bool = False


def _text(el) -> str:
    return (el.text or "").strip()


def _deleted(el, status: str | None) -> bool:
    return (status or "").strip().casefold() == "удален"


def _unit(el) -> tuple:
    a = {local(k): v for k, v in el.attrib.items()}
    return (a.get("Код", "").strip(), a.get("НаименованиеКраткое", "").strip(),
            a.get("МеждународноеСокращение", "").strip(), _text(el))


def _stock(item: Item, el) -> None:
    """Остатки/Остаток: per warehouse (Склад/Ид + Количество) or a bare total."""
    for rest in el:
        if local(rest.tag) != "Остаток":
            continue
        for part in rest:
            name = local(part.tag)
            if name == "Количество":
                item.total_qty = _text(part)
            elif name == "Склад":
                wid = qty = None
                for x in part:
                    if local(x.tag) == "Ид":
                        wid = _text(x)
                    elif local(x.tag) == "Количество":
                        qty = _text(x)
                if wid and qty is not None:
                    item.warehouse_qty.append((wid, qty))


def build_item(el) -> Item:
    """A Товар or Предложение element (its subtree is small) -> Item."""
    item = Item(id="", deleted=_deleted(el, el.get("Статус")))
    for c in el:
        name = local(c.tag)
        if name == "Ид":
            item.id = _text(c)
        elif name == "Артикул":
            item.sku = _text(c)
        elif name == "Наименование":
            item.name = _text(c)
        elif name == "Штрихкод":
            item.barcodes += [b for b in _text(c).replace(";", ",").replace(" ", ",").split(",") if b]
        elif name == "БазоваяЕдиница":
            item.unit = _unit(c)
        elif name == "Группы":
            ids = [_text(g) for g in c if local(g.tag) == "Ид" and _text(g)]
            item.group_id = ids[0] if ids else None
        elif name == "СтавкиНалогов":
            for rate in c:
                kids = {local(x.tag): _text(x) for x in rate}
                if kids.get("Наименование", "НДС").casefold() in ("ндс", "vat") and "Ставка" in kids:
                    item.vat = kids["Ставка"]
        elif name == "ЗначенияРеквизитов":
            for req in c:
                kids = {local(x.tag): _text(x) for x in req}
                if kids.get("Наименование"):
                    item.requisites[kids["Наименование"]] = kids.get("Значение", "")
        elif name == "Код":
            item.code = _text(c)
        elif name == "ХарактеристикиТовара":
            for feat in c:
                kids = {local(x.tag): _text(x) for x in feat}
                if kids.get("Наименование") and kids.get("Значение"):
                    item.features.append((kids["Наименование"], kids["Значение"]))
        elif name == "Цены":
            for price in c:
                kids = {local(x.tag): _text(x) for x in price}
                item.prices.append((kids.get("ИдТипаЦены", ""), kids.get("ЦенаЗаЕдиницу", ""),
                                    kids.get("Коэффициент", "")))
        elif name == "Количество":
            item.total_qty = _text(c)
        elif name == "Склад":  # <Склад ИдСклада="..." КоличествоНаСкладе="..."/>
            a = {local(k): v for k, v in c.attrib.items()}
            if a.get("ИдСклада") and a.get("КоличествоНаСкладе") is not None:
                item.warehouse_qty.append((a["ИдСклада"].strip(), a["КоличествоНаСкладе"].strip()))
        elif name == "Остатки":
            _stock(item, c)
        elif name == "ПометкаУдаления":
            item.deleted = item.deleted or _text(c).casefold() in DELETED_WORDS
        elif name == "Статус":
            item.deleted = item.deleted or _deleted(c, _text(c))
    return item


def _pair(el) -> tuple[str, str]:
    kids = {local(x.tag): _text(x) for x in el}
    return kids.get("Ид", ""), kids.get("Наименование", "")


# record tag -> (the parent it must have, the section it must be in)
RECORDS = {"Товар": ("Товары", "catalog"), "Предложение": ("Предложения", "package"),
           "ТипЦены": ("ТипыЦен", None), "Склад": ("Склады", None)}
SECTIONS = {"Каталог": "catalog", "ПакетПредложений": "package"}
LISTING = ("Наименование", "ХарактеристикиТовара", "Штрихкод", "Артикул")


def read(path):
    """Yield what the file says, in order (see the module docstring).  Raises ET.ParseError."""
    stack: list = []  # open elements outside records
    names: list[str] = []  # their local names
    record = None  # the record element being collected (its insides raise no events here)
    groups: list[list] = []  # open classifier groups: [id, name]
    section: Section | None = None
    started = False  # the section's items have begun (its header has been read)
    for event, el in ET.iterparse(path, events=("start", "end")):
        if record is not None:  # the hot path: elements inside a Товар or Предложение
            if el is not record or event == "start":
                continue
            record = None
            name = names.pop()
            stack.pop()
            if name == "Товар":
                yield "product", build_item(el)
            elif name == "Предложение":
                item = build_item(el)
                if section and not section.listed and any(local(c.tag) in LISTING for c in el):
                    section.listed = True
                yield "offer", item
            elif name == "ТипЦены":
                yield "price_type", _pair(el)
            elif name == "Склад":
                yield "warehouse", _pair(el)
            stack[-1].remove(el)  # read: let it go (the parent's only child by now)
            continue
        name = local(el.tag)
        if event == "start":
            parent = names[-1] if names else None
            stack.append(el)
            names.append(name)
            where = RECORDS.get(name)
            if where and where[0] == parent and (
                    where[1] is None or section is not None and section.kind == where[1]):
                record = el
                if name in ("Товар", "Предложение") and section and not started:
                    started = True
                    yield section.kind, section
            elif name in SECTIONS:
                section, started = Section(SECTIONS[name]), False
                flag = {local(k): v for k, v in el.attrib.items()}.get("СодержитТолькоИзменения")
                section.delta = (flag or "").strip().casefold() == "true"
            elif name == "Группа" and parent == "Группы" and "Классификатор" in names:
                groups.append([None, None])
            continue
        # the end of an element outside records
        names.pop()
        stack.pop()
        parent_el = stack[-1] if stack else None
        parent = names[-1] if names else None
        if groups and parent == "Группа":
            if name == "Ид":
                groups[-1][0] = _text(el)
            elif name == "Наименование":
                groups[-1][1] = _text(el)
        elif name == "Группа" and groups:
            gid, gname = groups[-1]
            if gid and gname:
                yield "group", (gid, " / ".join(g[1] or "" for g in groups))
            groups.pop()
        elif section and parent in SECTIONS:
            if name == "Ид" and section.kind == "catalog" or name == "ИдКаталога":
                section.id = _text(el)
            elif name == "СодержитТолькоИзменения":
                section.delta = _text(el).casefold() == "true"
        elif name in SECTIONS and section:
            if not started:
                yield section.kind, section
            yield "end", section
            section = None
        if parent_el is not None:
            parent_el.remove(el)  # read: let it go (it is the parent's only child by now)
        else:
            el.clear()


def peek(path) -> int:
    """Where a file goes in a run: classifier (0), catalog (1), offers that list goods (2),
    prices (3), rests (4), nothing of use (9).  Reads only as far as it needs to know."""
    seen = package = False
    for kind, value in read(path):
        if kind in ("catalog", "product"):
            return 1
        if kind == "offer":
            if value.name or value.features or value.barcodes or value.sku:
                return 2
            return 3 if value.prices else 4
        package = package or kind == "package"
        seen = seen or kind in ("group", "price_type", "warehouse")
    return 2 if package else 0 if seen else 9
