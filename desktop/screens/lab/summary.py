"""A visit's lab results as the clinician reads them beside the requests:
each test with its results, abnormal ones amber, critical ones red."""

from __future__ import annotations

import html

from clinic.enums import LabStatus
from clinic.lab.queries import RequestResults, ResultLine
from desktop.display import flag_text, translate
from desktop.screens.queue.screen import CRITICAL_COLOUR

ABNORMAL_COLOUR = "#8a5a00"


def _line(line: ResultLine) -> str:
    text = f"{html.escape(line.label)} {html.escape(line.shown)}"
    if line.flag is not None and line.abnormal:
        text += f" ({html.escape(flag_text(line.flag))})"
    if line.reference_range:
        text += f' <span style="color:#616161">[{html.escape(line.reference_range)}]</span>'
    if line.critical:
        return f'<b style="color:{CRITICAL_COLOUR}">{text}</b>'
    if line.abnormal:
        return f'<b style="color:{ABNORMAL_COLOUR}">{text}</b>'
    return text


def results_summary(requests: list[RequestResults]) -> str:
    """Rich text: one line per requested test; empty without requests."""
    lines = []
    for request in requests:
        name = f"<b>{html.escape(request.test_name)}</b>"
        if request.status == LabStatus.RESULTED and request.results:
            critical = translate("LabResults", "Critical")
            mark = (
                f'<span style="color:{CRITICAL_COLOUR}">\N{WARNING SIGN} {critical}</span> '
                if request.critical
                else ""
            )
            lines.append(f"{mark}{name}: " + "; ".join(_line(r) for r in request.results))
        elif request.status == LabStatus.CANCELLED:
            lines.append(f"{name}: <i>" + translate("LabResults", "cancelled") + "</i>")
        else:
            lines.append(f"{name}: <i>" + translate("LabResults", "waiting for the lab") + "</i>")
    return "<br>".join(lines)
