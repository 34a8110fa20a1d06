"""The ground floor: reading raw stack config into typed values, collecting problems."""

from components.config.reader import Reader, SettingsError

__all__ = ["Reader", "SettingsError"]
