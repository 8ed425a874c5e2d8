"""The pharmacy: dispensing prescriptions and the drug stock as a ledger."""
