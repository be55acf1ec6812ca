"""The console's words in Russian and English (``t(key)`` in the templates)."""

from __future__ import annotations

LANGS = ("ru", "en")

WORDS = {
    "title": ("Консоль сети магазинов", "Chain console"),
    "stores": ("Магазины", "Stores"), "sales": ("Продажи", "Sales"),
    "stock": ("Остатки", "Stock"), "loyalty": ("Бонусы: перерасход", "Bonus overdrafts"),
    "orders": ("Заказы", "Orders"), "sign_in": ("Войти", "Sign in"),
    "sign_out": ("Выйти", "Sign out"), "admin_token": ("Токен администратора", "Admin token"),
    "bad_token": ("Неверный токен администратора", "Not the admin token"),
    "store": ("Магазин", "Store"), "status": ("Состояние", "Status"),
    "ok": ("в норме", "ok"), "lagging": ("отстаёт", "lagging"), "dead": ("нет связи", "dead"),
    "last_seen": ("Последняя связь", "Last seen"), "lag": ("Задержка, с", "Lag, s"),
    "pending": ("Не получено событий", "Pending events"), "days": ("Дни", "Days"),
    "day_complete": ("день закрыт", "day complete"), "day_open": ("день не закрыт",
                                                                  "day incomplete"),
    "never": ("никогда", "never"), "version": ("Версия агента", "Agent version"),
    "summary": ("Итоги", "Totals"), "sales_count": ("Чеков", "Receipts"),
    "sales_total": ("Выручка", "Takings"), "returns_total": ("Возвраты", "Returns"),
    "net_total": ("Итого", "Net"), "date": ("Дата", "Date"),
    "by_day": ("По дням", "By day"), "by_store": ("По магазинам", "By store"),
    "by_product": ("По товарам", "By product"), "sku": ("Артикул", "SKU"),
    "name": ("Наименование", "Name"), "qty": ("Кол-во", "Qty"),
    "discount": ("Скидка", "Discount"), "vat": ("НДС", "VAT"),
    "returned": ("Возвращено", "Returned"),
    "z_reports": ("Z-отчёты и фискальный регистратор", "Z reports vs the fiscal register"),
    "shift": ("Смена", "Shift"), "register": ("Касса", "Register"),
    "z_sales": ("Z: продажи", "Z: sales"), "hub_sales": ("Хаб: продажи", "Hub: sales"),
    "fiscalized": ("Фискализировано", "Fiscalized"),
    "diverges": ("расхождение", "diverges"), "matches": ("сходится", "matches"),
    "rejected": ("Отвергнутые события", "Rejected events"), "reason": ("Причина", "Reason"),
    "seq": ("Номер", "Seq"), "type": ("Тип", "Type"),
    "sync_history": ("История синхронизации", "Sync history"),
    "received": ("Получено", "Received"), "events": ("Событий", "Events"),
    "none": ("нет", "none"), "on_hand": ("В наличии", "On hand"),
    "out_of_stock": ("Нет в наличии в", "Out of stock in"), "search": ("Найти", "Search"),
    "phone": ("Телефон", "Phone"), "amount": ("Сумма", "Amount"),
    "balance_after": ("Баланс после", "Balance after"),
    "stale_first": ("Сначала магазины без связи и отстающие.",
                    "Dead and lagging stores first."),
    "period_days": ("За дней", "Days"), "show": ("Показать", "Show"),
    "chart": ("График выручки по дням", "Takings by day"),
    "rub": ("₽", "RUB"),
    # pick-up orders (console_orders)
    "order": ("Заказ", "Order"), "overdue": ("просрочен", "overdue"),
    "overdue_first": ("Сначала просроченные: готовы к выдаче дольше срока хранения.",
                      "Overdue first: ready for pick-up longer than the hold time."),
    "collect_hours": ("срок хранения, ч", "hold time, h"),
    "overdue_orders": ("Заказы: просрочено / открыто", "Orders: overdue / open"),
    "open_orders": ("Открытые заказы", "Open orders"), "all_orders": ("Все заказы магазина",
                                                                      "All the store's orders"),
    "all": ("все", "all"), "lines": ("Позиции", "Lines"), "total": ("Сумма заказа", "Total"),
    "prepaid": ("Предоплата", "Prepaid"), "due": ("К оплате", "Due"),
    "bonus_redeemed": ("Списано бонусов", "Bonus redeemed"), "price": ("Цена", "Price"),
    "ready_at": ("Готов с", "Ready since"), "updated": ("Изменён", "Updated"),
    "store_status": ("Статус в магазине", "Status at the store"), "sale": ("Чек", "Sale"),
    "order_history": ("История заказа", "Order history"), "at": ("Когда", "When"),
    "by": ("Кто", "By"),
    "order_new": ("новый", "new"), "order_accepted": ("принят", "accepted"),
    "order_assembled": ("собран", "assembled"), "order_ready": ("готов к выдаче", "ready"),
    "order_collected": ("выдан", "collected"), "order_cancelled": ("отменён", "cancelled"),
    "availability": ("Доступно к заказу", "Availability"),
    "availability_note": ("По магазину или артикулу: остаток, резерв заказов, доступно, на "
                          "момент последнего полученного события магазина (как видит сайт).",
                          "By store or SKU: on hand, reserved by orders, available, as of the "
                          "store's last event the hub holds (what the website sees)."),
    "reserved": ("Резерв", "Reserved"), "available": ("Доступно", "Available"),
    "as_of": ("На момент", "As of"), "all_stock": ("Все остатки магазина",
                                                   "All the store's stock"),
}


def translator(lang: str):
    i = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = WORDS.get(key)
        return pair[i] if pair else key
    return t
