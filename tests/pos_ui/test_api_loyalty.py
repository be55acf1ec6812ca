import uuid

import pytest

from agent.models import Audit, BonusEntry, Customer, Outbox


@pytest.fixture
def loyal(tmp_path):
    from pos_ui import create_app
    from tests.conftest import Api, make_store
    store = make_store(tmp_path / "l", loyalty={"welcome_bonus": 10000, "accrual_percent": 5,
                                                "redeem_cap_percent": 30,
                                                "excluded_skus": ["COFFEE"]})
    anon = Api(create_app(store).test_client())
    yield anon
    store.close()


@pytest.mark.parametrize("spelling", ["8 916 123-45-67", "+7 (916) 123 45 67", "79161234567",
                                      "+79161234567", "8(916)1234567"])
def test_phone_is_normalised_to_e164_from_any_spelling(loyal, spelling):
    api = loyal.login("anna")
    assert api.post("/api/v1/customers", json={"phone": "+79161234567", "name": "Ольга"}
                    ).status_code == 201
    r = api.get("/api/v1/customers", query_string={"phone": spelling})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["phone"] == "+79161234567"
    assert r.get_json()["bonus_balance"] == 10000  # the welcome bonus


def test_same_phone_twice_is_409_and_garbage_is_400(loyal):
    api = loyal.login("anna")
    assert api.post("/api/v1/customers", json={"phone": "8 916 123-45-67"}).status_code == 201
    r = api.post("/api/v1/customers", json={"phone": "+7 916 1234567"})
    assert r.status_code == 409
    for bad in ("12", "телефон", "+7 916", ""):
        r = api.post("/api/v1/customers", json={"phone": bad})
        assert r.status_code == 400 and r.get_json()["error"]["field"] == "phone"
    assert api.get("/api/v1/customers?phone=+79990000000").status_code == 404
    assert Customer.select().count() == 1


def test_accrual_on_money_only_redeem_capped_and_excluded_skus(loyal):
    api = loyal.login("anna")
    api.post("/api/v1/shifts/open", json={"opening_cash": 0})
    api.post("/api/v1/customers", json={"phone": "+79161234567"})
    lines = [{"sku": "MILK", "qty": 10}, {"sku": "COFFEE", "qty": 1}]  # 899.00 + 459.00
    q = api.post("/api/v1/sales/quote", json={"lines": lines, "customer_phone": "89161234567"}
                 ).get_json()
    # the cap (30% of the eligible 899.00 = 269.70) is above the balance: the balance limits
    assert q["bonus"]["balance"] == 10000 and q["bonus"]["max_redeem"] == 10000
    r = api.post("/api/v1/sales/quote", json={"lines": lines, "customer_phone": "89161234567",
                                              "redeem_bonus": 10001})
    assert r.status_code == 409
    assert r.get_json()["error"]["limit"] == "balance" and r.get_json()["error"]["available"] == 10000
    sale = api.sell(lines, customer_phone="89161234567", redeem_bonus=10000)
    assert sale["bonus_redeemed"] == 10000 and sale["total"] == 89900 + 45900 - 10000
    assert sale["bonus_earned"] == (89900 - 10000) * 5 // 100  # none on coffee, none on bonus
    assert [ln["discount"] for ln in sale["lines"]] == [10000, 0]
    r = api.get("/api/v1/customers?phone=89161234567").get_json()
    assert r["bonus_balance"] == sale["bonus_earned"]
    kinds = [e.kind for e in BonusEntry.select().order_by(BonusEntry.id)]
    assert kinds == ["welcome", "redemption", "accrual"]
    assert Outbox.select().where(Outbox.type == "loyalty.posted").count() == 3


def test_cap_is_named_when_exceeded(loyal):
    api = loyal.login("anna")
    api.post("/api/v1/customers", json={"phone": "+79161234567"})
    r = api.post("/api/v1/sales/quote", json={"lines": [{"sku": "BREAD", "qty": 1}],
                                              "customer_phone": "+79161234567",
                                              "redeem_bonus": 2000})
    assert r.status_code == 409 and r.get_json()["error"]["limit"] == "cap"


def test_partial_return_takes_back_exactly_what_its_lines_earned(loyal):
    api = loyal.login("maria")
    api.post("/api/v1/shifts/open", json={"opening_cash": 0})
    api.post("/api/v1/customers", json={"phone": "+79161234567"})
    sale = api.sell([{"sku": "MILK", "qty": 4}, {"sku": "BREAD", "qty": 2}],
                    customer_phone="+79161234567", redeem_bonus=3000)
    milk = sale["lines"][0]
    r = api.post("/api/v1/returns", json={"client_ref": "r1", "sale_id": sale["sale_id"],
                                          "lines": [{"line_id": milk["line_id"], "qty": 1}]})
    ret = r.get_json()
    # one of four: each share is the line's figure x 1/4, rounded half up
    assert ret["bonus_reversed"] == (milk["bonus_earned"] * 2 + 4) // 8
    assert ret["bonus_restored"] == (milk["discount"] * 2 + 4) // 8
    assert ret["total"] == ((milk["amount"] - milk["discount"]) * 2 + 4) // 8


def test_spent_bonus_is_withheld_from_the_refund_never_a_negative_balance(loyal):
    api = loyal.login("maria")
    api.post("/api/v1/shifts/open", json={"opening_cash": 0})
    api.post("/api/v1/customers", json={"phone": "+79161234567"})
    BonusEntry.delete().execute()  # start from zero: no welcome bonus
    big = api.sell([{"sku": "MILK", "qty": 100}], customer_phone="+79161234567")
    earned = big["bonus_earned"]
    assert earned == 44950
    api.sell([{"sku": "MILK", "qty": 20}], customer_phone="+79161234567",
             redeem_bonus=earned)  # spends all the first sale earned
    before = api.get("/api/v1/customers?phone=+79161234567").get_json()["bonus_balance"]
    r = api.post("/api/v1/returns", json={"client_ref": "r", "sale_id": big["sale_id"],
                                          "lines": [{"line_id": big["lines"][0]["line_id"],
                                                     "qty": 100}]})
    ret = r.get_json()
    assert r.status_code == 201
    assert ret["bonus_reversed"] == before and ret["bonus_withheld"] == earned - before
    assert ret["total"] == big["total"] - ret["bonus_withheld"]
    assert api.get("/api/v1/customers?phone=+79161234567").get_json()["bonus_balance"] == 0


@pytest.fixture
def adjusting(tmp_path):
    """A chain that lets its store managers adjust balances ([loyalty] store_adjustments)."""
    from pos_ui import create_app
    from tests.conftest import Api, make_store
    store = make_store(tmp_path / "a", loyalty={"welcome_bonus": 10000,
                                                "store_adjustments": True})
    yield Api(create_app(store).test_client())
    store.close()


def test_a_store_cannot_adjust_balances_unless_the_chain_allows_it(loyal):
    boss = loyal.login("maria")
    boss.post("/api/v1/customers", json={"phone": "+79161234567"})
    n = Outbox.select().count()
    r = boss.post("/api/v1/customers/+79161234567/adjustments",
                  json={"amount": 500, "reason": "компенсация за брак"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "adjustments_disabled"
    assert Outbox.select().count() == n and BonusEntry.select().count() == 1
    assert boss.get("/api/v1/customers?phone=+79161234567").get_json()["bonus_balance"] == 10000


def test_manual_adjustment_is_a_managers_with_a_reason_and_audited(adjusting):
    loyal = adjusting
    api = loyal.login("anna")
    api.post("/api/v1/customers", json={"phone": "+79161234567"})
    r = api.post("/api/v1/customers/+79161234567/adjustments", json={"amount": 50000,
                                                                    "reason": "жалоба"})
    assert r.status_code == 403
    boss = loyal.login("maria")
    r = boss.post("/api/v1/customers/+79161234567/adjustments", json={"amount": 500})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "reason"
    r = boss.post("/api/v1/customers/+79161234567/adjustments",
                  json={"amount": -20000, "reason": "ошибка"})
    assert r.status_code == 409 and r.get_json()["error"]["limit"] == "balance"
    r = boss.post("/api/v1/customers/+79161234567/adjustments",
                  json={"amount": 500, "reason": "компенсация за брак"})
    assert r.status_code == 201 and r.get_json()["bonus_balance"] == 10500
    assert Audit.select().where(Audit.action == "bonus.adjusted").count() == 1
    ledger = boss.get("/api/v1/customers/+79161234567/ledger").get_json()["items"]
    assert ledger[0]["kind"] == "adjustment" and ledger[0]["cashier"] == "maria"


def test_unknown_customer_on_a_sale_changes_nothing(loyal):
    api = loyal.login("anna")
    api.post("/api/v1/shifts/open", json={"opening_cash": 0})
    n = Outbox.select().count()
    r = api.post("/api/v1/sales", json={"client_ref": uuid.uuid4().hex,
                                        "lines": [{"sku": "MILK", "qty": 1}],
                                        "customer_phone": "+79990001122",
                                        "payments": [{"method": "cash", "amount": 9000}]})
    assert r.status_code == 404 and r.get_json()["error"]["field"] == "phone"
    assert Outbox.select().count() == n
