"""Where the domain keeps things: the tables, the engine and sessions, the schema migrations, and the
column types that behave the same on SQLite and PostgreSQL.
"""
