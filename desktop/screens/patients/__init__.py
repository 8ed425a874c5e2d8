"""The Patients screen: search, register, edit, patient page, register import."""

from desktop.screens.patients.import_dialog import ImportDialog
from desktop.screens.patients.page import PatientPage
from desktop.screens.patients.register import PatientDialog, SavedPatient
from desktop.screens.patients.screen import PatientsScreen

__all__ = ["ImportDialog", "PatientDialog", "PatientPage", "PatientsScreen", "SavedPatient"]
