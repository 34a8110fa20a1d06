"""`make run-monitor`: the uptime monitor's Flask app on http://127.0.0.1:5000/ over a seeded,
in-process moto table (see tools/local_monitor.py). Stop it with Ctrl-C.

Its start takes several seconds (importing moto, seeding a day of checks): it says so line by
line, flushed, so the wait before Flask's banner is never silent.
"""

from __future__ import annotations

import argparse


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000)")
    args = parser.parse_args(argv)
    say(
        f"Starting the uptime monitor for http://127.0.0.1:{args.port}/: "
        "importing Flask, boto3 and moto..."
    )
    # Imported here, after the first line: moto alone takes seconds to import.
    from tools.local_monitor import local_monitor

    with local_monitor(progress=say) as app:
        say("Sample data ready; starting Flask's development server...")
        # Only this machine can reach it; threaded, as the status page and /ping may overlap.
        app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
