"""Synchronisation with the shared PostgreSQL database.

The engine is pure; sync/pg is the only code that speaks psycopg.
"""
