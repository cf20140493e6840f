"""A small site for the browser tests of unordered streaming under three CSPs."""
