"""Entities (selectors): the pure rules that normalize, validate and extract identifiers."""
