"""Branches, for admins: each site's code, name, KMHFL code and SHA facility
id; add a branch or change one (only an admin of all branches may; the
server says so to anyone else). The rows live on the clinic server
(:mod:`desktop.screens.admin.server`)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from desktop.context import AppContext
from desktop.screens.admin.server import AdminApi, Json, ServerScreen
from desktop.widgets import ErrorForm, fill_table, rows_table, selected_row

FIELDS = ("code", "name", "kmhfl_code", "sha_facility_id")


def _load(api: AdminApi) -> list[Json]:
    return api.branches()


class BranchesScreen(ServerScreen):
    key = "branches"
    form: ErrorForm

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.branches: list[Json] = []
        heading = QLabel(self.tr("Branches"))
        heading.setObjectName("heading")
        new = QPushButton(self.tr("New branch"))
        new.clicked.connect(self.new_branch)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(new)
        self.table = rows_table(
            [self.tr("Code"), self.tr("Name"), self.tr("KMHFL code"), self.tr("SHA facility id")],
            stretch=1,
        )
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.fields = {name: QLineEdit() for name in FIELDS}
        self.fields["code"].setPlaceholderText(self.tr("e.g. WEST"))
        self.fields["kmhfl_code"].setPlaceholderText(self.tr("the facility's number, e.g. 13023"))
        self.form = ErrorForm(QFormLayout())
        labels = (
            self.tr("Code"),
            self.tr("Name"),
            self.tr("KMHFL code"),
            self.tr("SHA facility id"),
        )
        for name, label in zip(FIELDS, labels, strict=True):
            self.form.add(name, label, self.fields[name])
        self.save = QPushButton(self.tr("Add branch"))
        self.save.setDefault(True)
        self.save.clicked.connect(self.save_branch)
        self.editor = QGroupBox(self.tr("New branch"))
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.addLayout(self.form.layout)
        editor_layout.addWidget(self.save)
        editor_layout.addStretch(1)
        self.editor.setFixedWidth(420)
        columns = QHBoxLayout()
        columns.addWidget(self.table, 1)
        columns.addWidget(self.editor)
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(columns, 1)

    def title(self) -> str:
        return self.tr("Branches")

    def refresh(self) -> None:
        self.call(_load, self._show)

    def _show(self, branches: list[Json]) -> None:
        self.branches = branches
        fill_table(self.table, [[branch[name] or "" for name in FIELDS] for branch in branches])
        self._show_selected()

    def selected_branch(self) -> Json | None:
        row = selected_row(self.table)
        return self.branches[row] if row is not None else None

    def _show_selected(self) -> None:
        branch = self.selected_branch()
        if branch is None:
            return
        self.form.clear_errors()
        self.editor.setTitle(self.tr("Change %1").replace("%1", branch["code"]))
        for name, field in self.fields.items():
            field.setText(branch[name] or "")
        self.save.setText(self.tr("Save changes"))

    def new_branch(self) -> None:
        self.table.clearSelection()
        self.form.clear_errors()
        self.editor.setTitle(self.tr("New branch"))
        for field in self.fields.values():
            field.clear()
        self.save.setText(self.tr("Add branch"))

    def save_branch(self) -> None:
        values: dict[str, str | None] = {
            name: field.text().strip() or None for name, field in self.fields.items()
        }
        values["code"], values["name"] = values["code"] or "", values["name"] or ""
        branch = self.selected_branch()
        if branch is None:
            self.call(lambda api: api.add_branch(values), self._saved)
        else:
            branch_id = str(branch["id"])
            self.call(lambda api: api.edit_branch(branch_id, values), self._saved)

    def _saved(self, branch: Json) -> None:
        def shown(branches: list[Json]) -> None:
            self.table.clearSelection()
            self._show(branches)
            for row, listed in enumerate(branches):
                if listed["id"] == branch["id"]:
                    self.table.selectRow(row)

        self.call(_load, shown)
