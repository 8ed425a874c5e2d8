"""The clinic's PCs, for admins: each with its branch, the roles it serves,
its last sync, its app version, how far its clock is off and the changes it
still had to push; change the roles a PC serves, or revoke a stolen one
(its next sync is refused). The rows live on the clinic server
(:mod:`desktop.screens.admin.server`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from clinic.clock import NAIROBI
from clinic.enums import Role
from desktop.context import AppContext
from desktop.display import role_text
from desktop.screens.admin.server import AdminApi, Json, ServerScreen
from desktop.widgets import fill_table, rows_table, selected_row
from sync.engine import SKEW_WARNING_SECONDS


@dataclass(frozen=True)
class Pcs:
    devices: list[Json]
    branches: dict[str, str]
    """Branch codes by id."""


def _load(api: AdminApi) -> Pcs:
    return Pcs(api.devices(), {b["id"]: b["code"] for b in api.branches()})


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(NAIROBI).strftime("%d %b %H:%M")


class DevicesScreen(ServerScreen):
    key = "devices"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.pcs = Pcs([], {})
        heading = QLabel(self.tr("PCs"))
        heading.setObjectName("heading")
        reload = QPushButton(self.tr("Reload"))
        reload.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(reload)
        self.table = rows_table(
            [
                self.tr("PC"),
                self.tr("Branch"),
                self.tr("Serves"),
                self.tr("Last sync"),
                self.tr("App"),
                self.tr("Clock"),
                self.tr("Pending"),
                self.tr("Status"),
            ],
            stretch=2,
        )
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.roles: dict[Role, QCheckBox] = {role: QCheckBox(role_text(role)) for role in Role}
        grid = QGridLayout()
        for index, box in enumerate(self.roles.values()):
            grid.addWidget(box, index // 4, index % 4)
        self.save_roles = QPushButton(self.tr("Save the roles"))
        self.save_roles.clicked.connect(self.set_roles)
        self.revoke = QPushButton(self.tr("Revoke this PC…"))
        self.revoke.setObjectName("danger")
        self.revoke.clicked.connect(self.ask_revoke)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_roles)
        buttons.addWidget(self.revoke)
        self.editor = QGroupBox(self.tr("Choose a PC"))
        editor_layout = QVBoxLayout(self.editor)
        note = QLabel(
            self.tr(
                "Staff log in only on PCs that serve their role (admins on any). A PC that "
                "may hold more after a change pulls it at its next sync. A revoked PC is "
                "refused at its next sync; its work not yet synced stays on it."
            )
        )
        note.setWordWrap(True)
        editor_layout.addWidget(note)
        editor_layout.addLayout(grid)
        editor_layout.addLayout(buttons)

        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.editor)
        self._show_selected()

    def title(self) -> str:
        return self.tr("PCs")

    def refresh(self) -> None:
        self.call(_load, self._show)

    def _show(self, pcs: Pcs) -> None:
        self.pcs = pcs
        fill_table(
            self.table,
            [
                [
                    device["name"],
                    pcs.branches.get(device["branch_id"], ""),
                    self._serves(device["roles"]),
                    _when(device["last_seen_at"]),
                    device["app_version"] or "",
                    self._skew(device["clock_skew_seconds"]),
                    "" if device["pending_changes"] is None else str(device["pending_changes"]),
                    self.tr("Revoked %1").replace("%1", _when(device["revoked_at"]))
                    if device["revoked_at"]
                    else self.tr("Active"),
                ]
                for device in pcs.devices
            ],
        )
        self._show_selected()

    def _serves(self, roles: list[str]) -> str:
        if set(roles) >= {role.value for role in Role}:
            return self.tr("Every role")
        return ", ".join(role_text(role) for role in roles)

    def _skew(self, seconds: int | None) -> str:
        if seconds is None:
            return ""
        if abs(seconds) <= SKEW_WARNING_SECONDS:
            return self.tr("right")
        minutes = round(abs(seconds) / 60)
        ahead = self.tr("%1 min fast") if seconds > 0 else self.tr("%1 min slow")
        return ahead.replace("%1", str(minutes))

    def selected_device(self) -> Json | None:
        row = selected_row(self.table)
        return self.pcs.devices[row] if row is not None else None

    def _show_selected(self) -> None:
        device = self.selected_device()
        usable = device is not None and not device["revoked_at"]
        for role, box in self.roles.items():
            box.setChecked(device is not None and role.value in device["roles"])
            box.setEnabled(usable)
        self.save_roles.setEnabled(usable)
        self.revoke.setEnabled(usable)
        self.editor.setTitle(
            self.tr("%1 serves:").replace("%1", device["name"])
            if device is not None
            else self.tr("Choose a PC")
        )

    def set_roles(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        device_id = str(device["id"])
        roles = [role.value for role, box in self.roles.items() if box.isChecked()]
        self.call(lambda api: api.set_device_roles(device_id, roles), self._changed)

    def ask_revoke(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        sure = QMessageBox.question(
            self,
            self.tr("Revoke this PC?"),
            self.tr(
                "Revoke %1? Nobody can sync or log in online from it again; its work "
                "not yet synced stays on it."
            ).replace("%1", device["name"]),
        )
        if sure == QMessageBox.StandardButton.Yes:
            self.revoke_selected()

    def revoke_selected(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        device_id = str(device["id"])
        self.call(lambda api: api.revoke_device(device_id), self._changed)

    def _changed(self, _device: Json) -> None:
        self.refresh()
