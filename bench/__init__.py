"""Benchmarks of Seth Clinic and the data they run on (see README.md)."""
