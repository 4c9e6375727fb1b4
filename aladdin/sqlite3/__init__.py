"""Django's SQLite backend, with each statement's placeholder conversion made once."""
