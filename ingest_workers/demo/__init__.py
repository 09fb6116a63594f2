"""Data without an account: the deterministic sample person (`sample_person`), and local
simulators of the Oura and Peloton APIs that serve it (`oura_simulator`, `peloton_simulator`,
on the shared scaffolding of `api_simulator`), for `biolake demo`, the tests and the benchmarks.
"""
