"""Realistic supplier УПД files (ФНС formats 5.01 and 5.03) for the tests, in windows-1251
or UTF-8, written the way EDO operators send them: one ``Файл`` with ``Документ``,
``СвСчФакт`` (seller, buyer), ``ТаблСчФакт`` lines and ``ВсегоОпл``."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

# (НаимТов, ОКЕИ, КолТов, ЦенаТов, ДопСведТов attributes, marking codes)
LINES = [
    ("Молоко 3,2% 1 л", "796", "10", "62.50", {"КодТов": "MLK-0001"},
     ["0104607001234562215abcDEF\x1d93dGVz"]),  # GTIN inside the marking code
    ("Хлеб Бородинский", "796", "5", "38.00", {"КодТов": "4607001234579"}, []),  # code = EAN
    ("Кофе «Арабика» 250 г", "796", "4", "301.25", {"АртикулТов": "COFFEE"}, []),  # our SKU
    ("Печенье <Юбилейное> & Co", "796", "3", "45.10", {"КодТов": "NOPE-77"}, []),  # unknown
]


def upd_xml(version: str = "5.01", number: str = "УТ-1542", lines=LINES,
            encoding: str = "windows-1251", file_id: str | None = None) -> str:
    file_id = file_id or (f"ON_NSCHFDOPPR_2BM-7701000001-770101001_2BE-5001000002-"
                          f"500101001_20260301_{number}_{version}")
    num_attrs = (f'НомерДок="{number}" ДатаДок="01.03.2026"' if version == "5.03"
                 else f'НомерСчФ="{number}" ДатаСчФ="01.03.2026"')
    rows, total = [], 0
    for i, (name, okei, qty, price, extra, kiz) in enumerate(lines, 1):
        amount = f"{float(price) * float(qty):.2f}"
        total += float(amount)
        attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in extra.items())
        if version == "5.03" and kiz:
            attrs += f' ГТИН="{kiz[0][2:16]}"'  # 5.03 names the GTIN itself
            kiz = []
        marks = ("<НомСредИдентТов>" + "".join(f"<КИЗ>{k.replace(chr(29), '')}</КИЗ>"
                                               for k in kiz) + "</НомСредИдентТов>") if kiz else ""
        rows.append(
            f'<СведТов НомСтр="{i}" НаимТов={quoteattr(name)} ОКЕИ_Тов="{okei}" КолТов="{qty}" '
            f'ЦенаТов="{price}" СтТовБезНДС="{amount}" НалСт="без НДС" СтТовУчНал="{amount}">'
            f'<Акциз><БезАкциз>без акциза</БезАкциз></Акциз><СумНал><БезНДС>без НДС</БезНДС></СумНал>'
            f'<ДопСведТов ПрТовРаб="1" НаимЕдИзм="шт" {attrs}>{marks}</ДопСведТов></СведТов>')
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<Файл ИдФайл="{file_id}" ВерсФорм="{version}" ВерсПрог="Диадок 1.0">'
        '<СвУчДокОбор ИдОтпр="2BM-7701000001-770101001" ИдПол="2BE-5001000002-500101001">'
        '<СвОЭДОтпр НаимОрг="АО &quot;ПФ &quot;СКБ Контур&quot;" ИННЮЛ="6663003127" ИдЭДО="2BM"/>'
        '</СвУчДокОбор>'
        '<Документ КНД="1115131" Функция="СЧФДОП" ПоФактХЖ="Документ об отгрузке товаров" '
        'НаимДокОпр="Счет-фактура и документ об отгрузке товаров (выполнении работ), передаче '
        'имущественных прав (документ об оказании услуг)" ДатаИнфПр="01.03.2026" '
        'ВремИнфПр="10.15.00" НаимЭконСубСост="ООО &quot;Молочный завод&quot;">'
        f'<СвСчФакт {num_attrs} КодОКВ="643">'
        '<СвПрод><ИдСв><СвЮЛУч НаимОрг="ООО &quot;Молочный завод&quot;" ИННЮЛ="7701000001" '
        'КПП="770101001"/></ИдСв><Адрес><АдрРФ КодРегион="77" Город="Москва"/></Адрес></СвПрод>'
        '<СвПокуп><ИдСв><СвЮЛУч НаимОрг="ООО &quot;Магазин у дома&quot;" ИННЮЛ="5001000002" '
        'КПП="500101001"/></ИдСв></СвПокуп>'
        '</СвСчФакт>'
        f'<ТаблСчФакт>{"".join(rows)}<ВсегоОпл СтТовБезНДСВсего="{total:.2f}" '
        f'СтТовУчНалВсего="{total:.2f}"><СумНалВсего><БезНДС>без НДС</БезНДС></СумНалВсего>'
        '</ВсегоОпл></ТаблСчФакт>'
        '<СвПродПер><СвПер СодОпер="Товары переданы" ДатаПер="01.03.2026"/></СвПродПер>'
        '<Подписант ОблПолн="6" Статус="1" ОснПолн="Должностные обязанности">'
        '<ЮЛ ИННЮЛ="7701000001" Должн="Кладовщик"><ФИО Фамилия="Иванов" Имя="Иван"/></ЮЛ>'
        '</Подписант></Документ></Файл>')


def write_upd(dir_: Path, version="5.01", encoding="windows-1251", **kw) -> Path:
    text = upd_xml(version=version, encoding=encoding, **kw)
    name = f"ON_NSCHFDOPPR_{version}_{encoding}_{kw.get('number', 'УТ-1542')}.xml"
    path = Path(dir_) / name
    path.write_bytes(text.encode("cp1251" if encoding == "windows-1251" else "utf-8"))
    return path
