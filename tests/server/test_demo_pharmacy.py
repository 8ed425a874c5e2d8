"""The demo clinic's pharmacy: seed-demo adds a pharmacist login and MAIN's
stock, with drugs below their reorder level and batches expiring soon, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.org.models import MAIN_BRANCH, Branch, User
from clinic.pharmacy.models import StockMovement
from clinic.pharmacy.queries import expiring_soon, low_stock, stock_on_hand
from server.database import Database
from server.demo import seed_demo

pytestmark = pytest.mark.postgres


def test_the_demo_has_a_pharmacist_and_stock_to_show(central: Database) -> None:
    seed_demo(central)
    with central.sessions() as session:
        pharmacist = session.scalar(select(User).where(User.username == "pharmacy"))
        assert pharmacist is not None and pharmacist.role == Role.PHARMACIST
        main = session.scalar(select(Branch.id).where(Branch.code == MAIN_BRANCH))
        assert main is not None
        stocked = stock_on_hand(session, main)
        low = [d.code for d in low_stock(session, main)]
        expiring = expiring_soon(session, main, clinic_today())
        movements = session.scalar(select(func.count()).select_from(StockMovement))
    assert stocked and all(d.on_hand > 0 for d in stocked)
    assert low == ["DRG-ORSZN", "DRG-AL24"]
    assert {e.expired for e in expiring} == {True, False}
    seed_demo(central)
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == movements
