"""The LLM gateway's Django-side adapter: litellm, its errors, its costs, the demo model."""
