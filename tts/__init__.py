"""Vietnamese speech: text normalisation and synthesis engines."""
