"""The quick-key grid: [quick_keys] skus in order with prices and barcodes, unknown or
hidden SKUs named in ``missing``, and a config that cannot be a grid refused at start."""

from __future__ import annotations

import pytest

from agent.config import validate
from agent.errors import Invalid
from tests.conftest import Api, make_store


def test_the_grid_follows_the_config_and_names_what_is_missing(tmp_path):
    from pos_ui import create_app
    store = make_store(tmp_path / "s", quick_keys={"skus": ["BREAD", "CHEESE", "NOPE", "MILK"]})
    try:
        api = Api(create_app(store).test_client()).login("anna")
        got = api.get("/api/v1/quick-keys").get_json()
        assert [(p["sku"], p["unit"], p["price"]) for p in got["items"]] == [
            ("BREAD", "pcs", 5450), ("CHEESE", "kg", 89900), ("MILK", "pcs", 8990)]
        assert got["items"][0]["barcode"] == "4607001234579"
        assert got["missing"] == ["NOPE"]
        assert Api(create_app(store).test_client()).get("/api/v1/quick-keys").status_code == 401
    finally:
        store.close()


def test_no_config_no_grid(cashier):
    assert cashier.get("/api/v1/quick-keys").get_json() == {"items": [], "missing": []}


@pytest.mark.parametrize("skus", [["x" * 65], [""], ["A"] * 49, [1, 2], "BREAD"])
def test_a_config_that_cannot_be_a_grid_is_refused(skus):
    with pytest.raises(Invalid) as e:
        validate({"store": {"id": "S1"}, "quick_keys": {"skus": skus}})
    assert e.value.field == "quick_keys.skus"
