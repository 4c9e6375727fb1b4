"""API views: one per use case. Each parses input, checks access, calls one service
or selector, and renders; errors are mapped to 4xx by api.exceptions."""
