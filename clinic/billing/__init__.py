"""Billing: the price list, invoices, payments and cashier shifts."""
