"""SHA claims and their batches."""
