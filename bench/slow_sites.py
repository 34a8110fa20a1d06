"""Web sites on 127.0.0.1 that answer every request after a fixed delay; prints its port.

    python -m bench.slow_sites 0.1

An asyncio server: hundreds of requests wait at once on timers, with no thread per request, so
the delay it injects stays close to the one asked for even under the benchmark's load.
"""

from __future__ import annotations

import asyncio
import sys

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def _answer_after(
    delay_seconds: float, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(delay_seconds)
        writer.write(RESPONSE)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(delay_seconds: float) -> None:
    server = await asyncio.start_server(
        lambda reader, writer: _answer_after(delay_seconds, reader, writer),
        "127.0.0.1",
        0,
        backlog=1024,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1])))
