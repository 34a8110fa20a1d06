"""Wiring of component groups that `__main__.py` creates with one call, to stay short. A wiring
module may import components (like `__main__.py`); no component imports a wiring module."""
