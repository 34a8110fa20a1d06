"""The md5 API of the notes: a Chalice app on Lambda behind API Gateway."""

from components.api.chalice_api import ChaliceApi, ChaliceApiArgs

__all__ = ["ChaliceApi", "ChaliceApiArgs"]
