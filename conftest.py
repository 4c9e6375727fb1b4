"""Root conftest: lets `pytest` from the repository root find the tests package."""
