"""Shifts and cash-up: the cashier's own shift, the branch's day, and the
M-Pesa till statement reconciliation, one tab each."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout

from desktop.context import AppContext
from desktop.screens.base import Screen
from desktop.screens.shifts.cash_up_panel import CashUpPanel
from desktop.screens.shifts.mpesa_panel import MpesaPanel
from desktop.screens.shifts.shift_panel import ShiftPanel


class ShiftsScreen(Screen):
    key = "shifts"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        heading = QLabel(self.tr("Shifts and cash-up"))
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.shift = ShiftPanel(ctx)
        self.cash_up = CashUpPanel(ctx)
        self.mpesa = MpesaPanel(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("shift_tabs")
        self.tabs.addTab(self.shift, self.tr("My shift"))
        self.tabs.addTab(self.cash_up, self.tr("Branch cash-up"))
        self.tabs.addTab(self.mpesa, self.tr("M-Pesa reconciliation"))
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        self.shift.sig_shift_changed.connect(self.cash_up.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)

    def title(self) -> str:
        return self.tr("Shifts and cash-up")

    def refresh(self) -> None:
        current = self.tabs.currentWidget()
        if current is self.shift:
            self.shift.refresh()
        elif current is self.cash_up:
            self.cash_up.refresh()
