"""OP and receipt numbers handed out from leased blocks."""
