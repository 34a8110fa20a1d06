"""Plain modules of the md5 API; `app.py` only routes requests to them."""
