"""Uptime monitor: HTTP(S) checks, alert state, DynamoDB history, a Flask status app."""
