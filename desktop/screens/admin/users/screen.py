"""Staff, for admins: everyone with their role and branch; add a user, change
their name, role or branch, deactivate them (their sessions end at once),
or give them a one-time password they change at their next login. The
rows live on the clinic server (:mod:`desktop.screens.admin.server`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
)

from clinic.enums import Role
from clinic.org.models import MAIN_BRANCH
from desktop.context import AppContext
from desktop.display import role_text
from desktop.screens.admin.server import AdminApi, Json, ServerScreen
from desktop.widgets import ErrorForm, fill_table, rows_table, selected_row

ALL_BRANCHES = ""
"""The branch choice of an admin who runs every branch."""


@dataclass(frozen=True)
class Staff:
    users: list[Json]
    branches: list[Json]


def _load(api: AdminApi) -> Staff:
    return Staff(users=api.users(), branches=api.branches())


class UsersScreen(ServerScreen):
    key = "users"
    form: ErrorForm

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.staff = Staff([], [])
        heading = QLabel(self.tr("Staff"))
        heading.setObjectName("heading")
        new = QPushButton(self.tr("New user"))
        new.clicked.connect(self.new_user)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(new)
        self.table = rows_table(
            [
                self.tr("Username"),
                self.tr("Full name"),
                self.tr("Role"),
                self.tr("Branch"),
                self.tr("Status"),
            ],
            stretch=1,
        )
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role_text(role), role.value)
        self.branch = QComboBox()
        self.password = QLineEdit()
        self.password.setPlaceholderText(self.tr("at least 10 characters"))
        for combo in (self.role, self.branch):
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.form = ErrorForm(QFormLayout())
        self.form.add("username", self.tr("Username"), self.username)
        self.form.add("full_name", self.tr("Full name"), self.full_name)
        self.form.add("role", self.tr("Role"), self.role)
        self.form.add("branch_code", self.tr("Branch"), self.branch)
        self.form.add("password", self.tr("First password"), self.password)
        self.save = QPushButton(self.tr("Add user"))
        self.save.setDefault(True)
        self.save.clicked.connect(self.save_user)
        self.active = QPushButton(self.tr("Deactivate"))
        self.active.clicked.connect(self.toggle_active)
        self.reset = QPushButton(self.tr("One-time password"))
        self.reset.clicked.connect(self.reset_password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save)
        buttons.addWidget(self.active)
        buttons.addWidget(self.reset)
        self.outcome = QLabel()
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = QGroupBox(self.tr("New user"))
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.addLayout(self.form.layout)
        editor_layout.addLayout(buttons)
        editor_layout.addWidget(self.outcome)
        editor_layout.addStretch(1)
        self.editor.setFixedWidth(420)

        columns = QHBoxLayout()
        columns.addWidget(self.table, 1)
        columns.addWidget(self.editor)
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(columns, 1)
        self.new_user()

    def title(self) -> str:
        return self.tr("Staff")

    def refresh(self) -> None:
        self.call(_load, self._show)

    # --- showing ---------------------------------------------------------

    def _branch_code(self, branch_id: str | None) -> str:
        for branch in self.staff.branches:
            if branch["id"] == branch_id:
                return str(branch["code"])
        return ""

    def _home(self) -> str:
        """Where new staff go unless chosen: the admin's own branch (for an
        admin of all branches, MAIN)."""
        return self._branch_code(str(self.ctx.user.branch_id)) or MAIN_BRANCH

    def _show(self, staff: Staff) -> None:
        self.staff = staff
        chosen = self.branch.currentData()
        self.branch.clear()
        self.branch.addItem(self.tr("All branches (admins only)"), ALL_BRANCHES)
        for branch in staff.branches:
            self.branch.addItem(f"{branch['code']} — {branch['name']}", branch["code"])
        chosen = self._home() if chosen is None else chosen
        self.branch.setCurrentIndex(max(0, self.branch.findData(chosen)))
        fill_table(
            self.table,
            [
                [
                    user["username"],
                    user["full_name"],
                    role_text(user["role"]),
                    self._branch_code(user["branch_id"]) or self.tr("All branches"),
                    self._status(user),
                ]
                for user in staff.users
            ],
        )
        self._show_selected()

    def _status(self, user: Json) -> str:
        if not user["active"]:
            return self.tr("Deactivated")
        if user["must_change_password"]:
            return self.tr("Active; must change password")
        return self.tr("Active")

    def selected_user(self) -> Json | None:
        row = selected_row(self.table)
        return self.staff.users[row] if row is not None else None

    def _show_selected(self) -> None:
        user = self.selected_user()
        self.form.clear_errors()
        if user is None:
            return
        self.editor.setTitle(self.tr("Change %1").replace("%1", user["username"]))
        self.username.setText(user["username"])
        self.username.setEnabled(False)
        self.full_name.setText(user["full_name"])
        self.role.setCurrentIndex(self.role.findData(user["role"]))
        code = self._branch_code(user["branch_id"])
        self.branch.setCurrentIndex(max(0, self.branch.findData(code or ALL_BRANCHES)))
        self.password.clear()
        self.password.setEnabled(False)
        self.save.setText(self.tr("Save changes"))
        self.active.setText(self.tr("Deactivate") if user["active"] else self.tr("Reactivate"))
        self.active.setEnabled(True)
        self.reset.setEnabled(True)

    def new_user(self) -> None:
        """An empty form for a new member of staff."""
        self.table.clearSelection()
        self.form.clear_errors()
        self.editor.setTitle(self.tr("New user"))
        for field in (self.username, self.full_name, self.password):
            field.clear()
            field.setEnabled(True)
        self.role.setCurrentIndex(self.role.findData(Role.RECEPTIONIST.value))
        self.branch.setCurrentIndex(max(0, self.branch.findData(self._home())))
        self.save.setText(self.tr("Add user"))
        self.active.setEnabled(False)
        self.reset.setEnabled(False)
        self.outcome.clear()

    # --- changing ----------------------------------------------------------

    def _chosen_branch(self) -> str | None:
        code = self.branch.currentData()
        return str(code) if code else None

    def save_user(self) -> None:
        user = self.selected_user()
        fields: dict[str, Any] = {
            "full_name": self.full_name.text().strip(),
            "role": self.role.currentData(),
            "branch_code": self._chosen_branch(),
        }
        if user is None:
            fields |= {"username": self.username.text().strip().lower()}
            fields |= {"password": self.password.text()}
            self.call(lambda api: api.add_user(fields), self._saved)
        else:
            user_id = str(user["id"])
            self.call(lambda api: api.edit_user(user_id, fields), self._saved)

    def toggle_active(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        user_id, active = str(user["id"]), not user["active"]
        self.call(lambda api: api.edit_user(user_id, {"active": active}), self._saved)

    def reset_password(self) -> None:
        """Give the selected user a new one-time password, shown here once."""
        user = self.selected_user()
        if user is None:
            return
        user_id, password = str(user["id"]), secrets.token_urlsafe(9)

        def shown(answer: Json) -> None:
            self._saved(answer)
            self.outcome.setText(
                self.tr(
                    "One-time password for %1: %2\nGive it to them in person; they choose "
                    "their own at their next login."
                )
                .replace("%1", answer["username"])
                .replace("%2", password)
            )

        self.call(lambda api: api.edit_user(user_id, {"password": password}), shown)

    def _saved(self, answer: Json) -> None:
        self.outcome.setText(self.tr("Saved %1.").replace("%1", answer["username"]))
        self.call(_load, lambda staff: self._show_again(staff, str(answer["id"])))

    def _show_again(self, staff: Staff, user_id: str) -> None:
        self.table.clearSelection()
        self._show(staff)
        for row, user in enumerate(staff.users):
            if user["id"] == user_id:
                self.table.selectRow(row)
