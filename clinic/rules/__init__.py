"""Pure value rules of the clinic: numbers, phones, ages, vitals, diagnoses."""
