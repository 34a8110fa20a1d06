"""The uptime monitor: the Flask app of the notes, deployed the way Zappa would."""

from components.monitor.args import UptimeMonitorArgs
from components.monitor.uptime_monitor import UptimeMonitor

__all__ = ["UptimeMonitor", "UptimeMonitorArgs"]
