"""Input and output shapes of the API, in camelCase as spec 11.1 writes them.

Each use case has its own Input and Output serializers; inputs only check shape
and limits (spec 10.2), services apply the rules.
"""
