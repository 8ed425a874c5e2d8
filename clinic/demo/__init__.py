"""A made-up Kenyan clinic, for the demo and the benchmarks: names, phones
and ids (:mod:`clinic.demo.people`), what the clinic's records are made of
(:mod:`clinic.demo.kenya`), and three years of its patients and visits
(:mod:`clinic.demo.history`). Everything is drawn from seeded generators
(:mod:`clinic.demo.draws`), so a seed gives the same clinic every time.

Nothing here writes to a database: the server writes the history into
PostgreSQL (``server.demo``), the benchmarks into a local store (``bench``).
"""
