"""Runs of the whole notebook batch on real patient-level data (NCCTG lung cohort).

A package, so that its conftest does not shadow ``tests/conftest.py`` (imported as ``conftest``).
"""
