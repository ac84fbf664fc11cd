"""The pure domain: households' case files, the income-line policy, code tables and rules.

Nothing here does I/O or reads a clock; dates and recording times are passed in.
"""
