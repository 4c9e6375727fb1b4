"""Tools agents can call: built-in Python tools and HTTP tools."""
