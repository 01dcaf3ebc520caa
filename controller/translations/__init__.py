"""Bulletins' versions in other languages: the workflow (scoped, audited) and their speech at approval."""
