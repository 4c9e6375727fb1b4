"""Django's PostgreSQL backend, with a connection the server has dropped replaced."""
