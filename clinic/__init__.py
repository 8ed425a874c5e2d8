"""The clinic domain: models, value rules, services and reports. No Qt here."""
