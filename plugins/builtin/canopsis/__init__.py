"""Talking to Canopsis: the HTTP client, the builtin routes and the builtin sender."""
