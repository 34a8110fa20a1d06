"""The Lambda building block (function, role, log group, alarms, alias) and packaging."""
