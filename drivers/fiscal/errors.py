"""Error codes of Shtrih-M 54-FZ registers and the exceptions of the fiscal layer.

Why a table of our own: a cashier sees these messages on the POS screen, so each one says
what happened *and what to do*, in Russian (what the cashier reads) and English (what the
logs and the support team read). Each code also has a category so the agent can decide what
to do without parsing text (paper -> show "insert paper", shift -> offer "close shift", ...).

Codes 0x01..0x20 are the fiscal storage (ФН) codes on registers that have one; every
register this driver targets has one, so those codes are read in their ФН meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Category(str, Enum):
    """What kind of problem an error is; the POS screen picks its dialog from this."""

    PAPER = "paper"
    SHIFT = "shift"
    RECEIPT_STATE = "receipt_state"
    PAYMENTS = "payments"
    PASSWORD = "password"
    UNSUPPORTED = "unsupported"
    FISCAL_STORAGE = "fiscal_storage"
    PRINTING = "printing"
    DATA = "data"
    HARDWARE = "hardware"
    LINK = "link"
    OTHER = "other"


@dataclass(frozen=True)
class ErrorInfo:
    """One protocol error code as a cashier and a support engineer should read it."""

    code: int
    category: Category
    ru: str
    en: str
    #: True when the same command may simply be sent again once the cause is fixed
    #: (an error answer means the register did not execute the command).
    retry_after_fix: bool = True


_C = Category
_TABLE: list[tuple] = [
    # --- fiscal storage (ФН) --------------------------------------------------------------
    (0x01, _C.FISCAL_STORAGE, "ФН не понял команду — обратитесь в сервисный центр",
     "Fiscal storage rejected the command format; call service"),
    (0x02, _C.FISCAL_STORAGE, "Неверное состояние ФН — закройте документ или смену и повторите",
     "Fiscal storage is in the wrong state for this command"),
    (0x03, _C.FISCAL_STORAGE, "Ошибка ФН — продажи невозможны, обратитесь в сервисный центр",
     "Fiscal storage failure; call service"),
    (0x04, _C.FISCAL_STORAGE, "Ошибка криптопроцессора ФН — обратитесь в сервисный центр",
     "Fiscal storage crypto co-processor error; call service"),
    (0x05, _C.FISCAL_STORAGE, "Срок действия ФН истёк — нужна замена ФН, обратитесь в сервисный центр",
     "Fiscal storage expired; it must be replaced"),
    (0x06, _C.FISCAL_STORAGE, "Архив ФН переполнен — нужна замена ФН, обратитесь в сервисный центр",
     "Fiscal storage archive is full; it must be replaced"),
    (0x07, _C.FISCAL_STORAGE, "Неверные дата или время в кассе — проверьте часы ККТ",
     "Wrong date or time on the register; check its clock"),
    (0x08, _C.FISCAL_STORAGE, "В ФН нет запрошенных данных", "Fiscal storage has no such data"),
    (0x09, _C.DATA, "ФН: неверные параметры команды — сообщите в поддержку",
     "Fiscal storage: invalid command parameters; report to support"),
    (0x10, _C.DATA, "Слишком длинные данные чека (TLV) — сократите наименование или реквизит",
     "TLV data too long; shorten the item name or attribute"),
    (0x11, _C.FISCAL_STORAGE, "Нет связи с ОФД — продавать можно, проверьте интернет кассы",
     "No connection to the fiscal data operator (OFD); check the register's network"),
    (0x12, _C.FISCAL_STORAGE, "Ресурс криптопроцессора ФН исчерпан — нужна замена ФН",
     "Fiscal storage crypto resource used up; replace the storage"),
    (0x14, _C.FISCAL_STORAGE, "Ресурс хранения ФН исчерпан — нужна замена ФН, обратитесь в сервисный центр",
     "Fiscal storage resource used up; it must be replaced"),
    (0x15, _C.FISCAL_STORAGE, "Документы 30 дней не переданы в ОФД — восстановите связь с ОФД",
     "Documents not sent to the OFD for too long; restore the OFD connection"),
    (0x16, _C.SHIFT, "Смена длится больше 24 часов — закройте смену (Z-отчёт) и откройте новую",
     "Shift is older than 24 hours; close it (Z report) and open a new one"),
    (0x17, _C.FISCAL_STORAGE, "Неверная разница времени между операциями — проверьте часы ККТ",
     "Wrong time difference between operations; check the register clock"),
    (0x20, _C.FISCAL_STORAGE, "Сообщение ОФД не принято ФН", "Fiscal storage rejected the OFD message"),
    # --- register (ККТ) ---------------------------------------------------------------
    (0x26, _C.PAYMENTS, "Внесённая сумма меньше суммы чека — добавьте оплату",
     "Amount tendered is less than the receipt total; add a payment"),
    (0x2B, _C.RECEIPT_STATE, "Предыдущую команду отменить невозможно", "Previous command cannot be undone"),
    (0x2C, _C.SHIFT, "Касса уже обнулена — повторный Z-отчёт невозможен",
     "Register already zeroed; a second Z report is impossible"),
    (0x2D, _C.DATA, "Сумма по отделу меньше суммы сторно", "Department total is below the void amount"),
    (0x2E, _C.PAYMENTS, "В кассе нет столько наличных для выплаты",
     "Not enough cash in the register for this payout"),
    (0x30, _C.HARDWARE, "ККТ заблокирована — нужен пароль налогового инспектора, вызовите сервис",
     "Register locked awaiting the tax inspector password; call service"),
    (0x32, _C.SHIFT, "Требуется общее гашение — обратитесь в сервисный центр",
     "A general reset is required; call service"),
    (0x33, _C.DATA, "Неверные параметры команды — сообщите в поддержку (проверьте ставку НДС)",
     "Invalid command parameters (check the VAT rate mapping); report to support"),
    (0x34, _C.DATA, "Нет данных", "No data"),
    (0x35, _C.DATA, "Параметр не подходит к настройкам кассы — сообщите в поддержку",
     "Parameter conflicts with the register settings; report to support"),
    (0x36, _C.DATA, "Параметры команды не подходят к этой модели ККТ",
     "Command parameters not valid for this register model"),
    (0x37, _C.UNSUPPORTED, "Команда не поддерживается этой ККТ — обновите прошивку или настройки драйвера",
     "Command not supported by this register; update firmware or driver settings", False),
    (0x38, _C.HARDWARE, "Ошибка памяти ККТ — обратитесь в сервисный центр", "Register ROM error; call service"),
    (0x39, _C.HARDWARE, "Внутренняя ошибка ККТ — перезагрузите кассу", "Internal register error; restart it"),
    (0x3C, _C.SHIFT, "Смена уже открыта — операция невозможна", "Shift is open; operation impossible"),
    (0x3D, _C.SHIFT, "Смена не открыта — откройте смену", "Shift is not open; open a shift first"),
    (0x45, _C.PAYMENTS, "Оплата меньше итога чека — добавьте оплату",
     "Payments are less than the receipt total; add a payment"),
    (0x46, _C.PAYMENTS, "В кассе не хватает наличных", "Not enough cash in the register"),
    (0x48, _C.DATA, "Слишком большая сумма чека", "Receipt total overflow"),
    (0x49, _C.RECEIPT_STATE, "Операция невозможна в чеке этого типа", "Operation impossible in this receipt type"),
    (0x4A, _C.RECEIPT_STATE, "Открыт чек — закройте или отмените его",
     "A receipt is open; close or cancel it first"),
    (0x4B, _C.RECEIPT_STATE, "Буфер чека переполнен — слишком много позиций",
     "Receipt buffer full; too many lines"),
    (0x4D, _C.PAYMENTS, "Безналичная оплата больше суммы чека — исправьте сумму оплаты картой",
     "Non-cash payment exceeds the receipt total"),
    (0x4E, _C.SHIFT, "Смена длится больше 24 часов — закройте смену (Z-отчёт)",
     "Shift is older than 24 hours; close it (Z report)"),
    (0x4F, _C.PASSWORD, "Неверный пароль кассира на ККТ — проверьте пароль в настройках кассы",
     "Wrong operator password for the register; check the register settings", False),
    (0x50, _C.PRINTING, "ККТ ещё печатает предыдущий документ — подождите и нажмите «Повторить»",
     "Register is still printing the previous document; wait and retry"),
    (0x55, _C.RECEIPT_STATE, "Чек уже закрыт — операция невозможна", "Receipt is closed; operation impossible"),
    (0x56, _C.RECEIPT_STATE, "Нет документа для повтора", "No document to repeat"),
    (0x58, _C.PRINTING, "ККТ ждёт продолжения печати — нажмите «Повторить»",
     "Register waits for the continue-print command; retry"),
    (0x59, _C.RECEIPT_STATE, "Документ открыт другим кассиром", "Document is open by another operator"),
    (0x5A, _C.DATA, "Скидка больше суммы чека", "Discount exceeds the receipt total"),
    (0x5E, _C.DATA, "Неверная операция", "Invalid operation"),
    (0x5F, _C.DATA, "Отрицательный итог чека", "Negative receipt total"),
    (0x60, _C.DATA, "Переполнение при умножении цены на количество", "Overflow in price x quantity"),
    (0x61, _C.DATA, "Цена вне допустимого диапазона", "Price out of range"),
    (0x62, _C.DATA, "Количество вне допустимого диапазона", "Quantity out of range"),
    (0x63, _C.DATA, "Неверный номер отдела", "Department out of range"),
    (0x6B, _C.PAPER, "Нет бумаги — вставьте рулон и нажмите «Повторить»",
     "Out of paper; insert a roll and press Retry"),
    (0x6C, _C.PAPER, "Нет контрольной ленты — вставьте рулон и нажмите «Повторить»",
     "Journal tape missing; insert a roll and retry"),
    (0x71, _C.HARDWARE, "Ошибка отрезчика бумаги — проверьте принтер ККТ", "Paper cutter error"),
    (0x72, _C.RECEIPT_STATE, "Команда невозможна в текущем подрежиме ККТ — подождите и повторите",
     "Command not allowed in the current sub-mode; wait and retry"),
    (0x73, _C.RECEIPT_STATE, "Команда невозможна в текущем режиме ККТ",
     "Command not allowed in the current mode"),
    (0x74, _C.HARDWARE, "Ошибка памяти ККТ — перезагрузите кассу", "Register RAM error; restart it"),
    (0x75, _C.HARDWARE, "Ошибка питания ККТ — проверьте блок питания", "Register power error"),
    (0x76, _C.HARDWARE, "Ошибка принтера ККТ — проверьте печатающий механизм", "Printer error (no tacho pulses)"),
    (0x77, _C.HARDWARE, "Ошибка принтера ККТ — закройте крышку и проверьте датчики", "Printer sensor error"),
    (0x7B, _C.HARDWARE, "Ошибка оборудования ККТ — обратитесь в сервисный центр", "Hardware failure; call service"),
    (0x7E, _C.DATA, "Неверная длина поля", "Wrong field length"),
    (0x8E, _C.DATA, "Нулевой итог чека — добавьте товар", "Zero receipt total; add an item"),
    (0x8F, _C.FISCAL_STORAGE, "Касса не зарегистрирована в ФНС — продажи невозможны",
     "Register is not fiscalised; sales impossible", False),
    (0x90, _C.DATA, "Текст длиннее, чем позволяют настройки ККТ", "Text longer than the register allows"),
    (0x94, _C.RECEIPT_STATE, "Исчерпан лимит позиций в чеке — разбейте покупку на два чека",
     "Too many operations in the receipt; split it"),
    (0x96, _C.SHIFT, "Выполните Z-отчёт (закройте смену)", "Run the Z report (close the shift)"),
    (0xC0, _C.HARDWARE, "Подтвердите дату и время на ККТ", "Confirm the register date and time"),
    (0xC9, _C.PRINTING, "Перегрев печатающей головки — подождите минуту и повторите",
     "Print head overheated; wait a minute and retry"),
    (0xCF, _C.HARDWARE, "Сбились часы ККТ — установите дату и время", "Register clock reset; set date and time"),
]

ERRORS: dict[int, ErrorInfo] = {
    code: ErrorInfo(code, cat, ru, en, *rest)  # type: ignore[misc]
    for code, cat, ru, en, *rest in _TABLE
}


def describe_error(code: int) -> ErrorInfo:
    """The cashier-readable description of a protocol error code (never raises)."""
    info = ERRORS.get(code)
    if info is not None:
        return info
    return ErrorInfo(code, Category.OTHER,
                     f"Ошибка ККТ 0x{code:02X} — сообщите в поддержку",
                     f"Register error 0x{code:02X}; report to support")


# --- exceptions ---------------------------------------------------------------------------

class FiscalError(Exception):
    """Base of every error the fiscal layer raises.

    ``retry_safe`` tells the caller whether repeating the same business call cannot create a
    second fiscal document. ``ru`` is for the cashier, ``en`` for logs.
    """

    category: Category = Category.OTHER
    retry_safe: bool = False

    def __init__(self, ru: str, en: str, *, category: Category | None = None,
                 retry_safe: bool | None = None) -> None:
        super().__init__(f"{ru} / {en}")
        self.ru = ru
        self.en = en
        if category is not None:
            self.category = category
        if retry_safe is not None:
            self.retry_safe = retry_safe

    # the core's device-failure contract (agent.ports.DeviceFailure)
    @property
    def needs_person(self) -> bool:
        """Link, paper and printing troubles pass by themselves; the rest needs a person."""
        return self.category not in (Category.LINK, Category.PAPER, Category.PRINTING)

    def message(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


class DeviceError(FiscalError):
    """The register answered with an error code: the command was *not* executed."""

    def __init__(self, command: int, code: int) -> None:
        self.command = command
        self.code = code
        self.info = describe_error(code)
        super().__init__(self.info.ru, f"{self.info.en} (command 0x{command:02X}, code 0x{code:02X})",
                         category=self.info.category, retry_safe=self.info.retry_after_fix)


class ConfigError(FiscalError, ValueError):
    """Bad register URL, option or receipt data: nothing was sent to the register."""

    category = Category.DATA


class LinkError(FiscalError):
    """A problem on the wire (port, cable, network)."""

    category = Category.LINK


class LinkDown(LinkError):
    """The command was not delivered (no answer to ENQ, port cannot open, NAK storm).

    The register did not execute it, so sending it again is safe.
    """

    retry_safe = True

    def __init__(self, en: str) -> None:
        super().__init__("Нет связи с ККТ — проверьте кабель и питание кассы и нажмите «Повторить»", en)


class LinkLost(LinkError):
    """The command was delivered but its answer was lost: the outcome is unknown.

    The register may or may not have executed it. Never resend a state-changing command
    after this; read the register's state (status, last fiscal document) to find out.
    """

    retry_safe = False

    def __init__(self, command: int, en: str) -> None:
        self.command = command
        super().__init__("Связь с ККТ прервалась во время операции — проверяем результат",
                         f"{en} (command 0x{command:02X}); outcome unknown")


class NotExecuted(FiscalError):
    """The operation was definitely not performed (checked on the register after a
    failure); calling it again is safe."""

    retry_safe = True
    _ru = "Операция не выполнена — нажмите «Повторить»"
    _en = "Operation not performed; safe to retry"

    def __init__(self, cause: BaseException | None = None) -> None:
        self.cause = cause
        extra_ru = f" ({cause.ru})" if isinstance(cause, FiscalError) else ""
        extra_en = f" ({cause.en})" if isinstance(cause, FiscalError) else ""
        super().__init__(self._ru + extra_ru, self._en + extra_en)
        if isinstance(cause, FiscalError) and cause.category is not Category.LINK:
            self.category = cause.category


class ReceiptNotFiscalized(NotExecuted):
    """The receipt was definitely not fiscalised (any open receipt was cancelled).

    Calling ``fiscalize`` again with the same receipt is safe; ``cause`` says why it failed
    (a paper-out cause means: insert paper first).
    """

    category = Category.RECEIPT_STATE
    _ru = "Чек не пробит и отменён — нажмите «Повторить»"
    _en = "Receipt not fiscalised and cancelled; safe to retry"


class OutcomeUnknown(FiscalError):
    """The register could not be reached to check whether the receipt was fiscalised.

    Retry ``fiscalize`` with the *same* receipt on the same register object (or one sharing
    its ``state_path``): it checks the fiscal storage before doing anything else, so it returns
    the existing document instead of printing a second one.
    """

    category = Category.LINK
    retry_safe = True

    def __init__(self, cause: BaseException | None = None) -> None:
        self.cause = cause
        super().__init__("Нет связи с ККТ: неизвестно, пробит ли чек. Восстановите связь и нажмите "
                         "«Повторить» — второй чек не будет пробит",
                         "Register unreachable; receipt outcome unknown. Retry fiscalize with the "
                         "same receipt once the link is back")
