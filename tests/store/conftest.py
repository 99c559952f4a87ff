"""Every store test runs on SQLite and on a real PostgreSQL server the harness starts itself:
the `database_url` and `admin` fixtures of tests/conftest.py."""
