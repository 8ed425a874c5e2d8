"""One folder per screen: patients, queue, triage, consultation, login."""
