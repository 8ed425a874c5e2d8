"""The pharmacist's screen: dispensing from the worklist, and the stock,
one tab each. Drugs are billed on the billing screen, as a cashier bills."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout

from desktop.context import AppContext
from desktop.screens.base import Screen
from desktop.screens.pharmacy.dispense_panel import DispensePanel
from desktop.screens.pharmacy.stock_panel import StockPanel


class PharmacyScreen(Screen):
    key = "pharmacy"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        heading = QLabel(self.tr("Pharmacy"))
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.dispensing = DispensePanel(ctx)
        self.stock = StockPanel(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pharmacy_tabs")
        self.tabs.addTab(self.dispensing, self.tr("Dispense"))
        self.tabs.addTab(self.stock, self.tr("Stock"))
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)

    def title(self) -> str:
        return self.tr("Pharmacy")

    def refresh(self) -> None:
        if self.tabs.currentWidget() is self.stock:
            self.stock.refresh()
        else:
            self.dispensing.refresh()
