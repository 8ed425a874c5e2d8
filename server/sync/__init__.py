"""The server side of sync, mirroring the client's ``sync/`` package:
``routes`` (the ``/api/sync`` endpoints), ``apply`` (pushed changes, checked
against the one registry of :mod:`clinic.journal.entities`), ``feed`` (pull
pages in a device's scope) and ``audit`` (the devices' hash chains)."""
