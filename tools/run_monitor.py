"""`make run-monitor`: the uptime monitor's Flask app on http://127.0.0.1:5000/ over a seeded,
in-process moto table (see tools/local_monitor.py). Stop it with Ctrl-C."""

from __future__ import annotations

import argparse

from tools.local_monitor import local_monitor


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000)")
    args = parser.parse_args(argv)
    with local_monitor() as app:
        # Only this machine can reach it; threaded, as the status page and /ping may overlap.
        app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
