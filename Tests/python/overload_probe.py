"""Open-loop load on one model: requests arrive at a fixed rate whether or not earlier ones
have been answered (as real clients do), each on its own HTTP/1.1 connection to 127.0.0.1.
Every answer is recorded: status, time to the status line, Retry-After.

Usage: overload_probe.py PORT MODEL RATE SECONDS MAX_REQUESTS MAX_TOKENS REQUEST_TIMEOUT
CLIENT_TIMEOUT. Bounded: at most MAX_REQUESTS requests, sent within SECONDS, each given
CLIENT_TIMEOUT seconds. Prints one JSON object:
{"sent", "statuses": {code: count}, "timeouts", "errors", "retry_after_missing",
 "p50_429_ms", "p99_429_ms", "max_429_ms", "p50_200_ms", "p99_200_ms", "max_200_ms", "elapsed_s"}.
"""
import asyncio
import json
import sys
import time

PORT = int(sys.argv[1])
MODEL = sys.argv[2]
RATE = float(sys.argv[3])
SECONDS = float(sys.argv[4])
MAX_REQUESTS = int(sys.argv[5])
MAX_TOKENS = int(sys.argv[6])
REQUEST_TIMEOUT = sys.argv[7]
CLIENT_TIMEOUT = float(sys.argv[8])


def request_bytes(index):
    body = json.dumps({
        "model": MODEL,
        "prompt": f"Item {index % 50}: the",
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }).encode()
    head = (
        "POST /v1/completions HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{PORT}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"x-request-timeout: {REQUEST_TIMEOUT}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    return head + body


async def one(index, results):
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", PORT), CLIENT_TIMEOUT)
        writer.write(request_bytes(index))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), CLIENT_TIMEOUT)
        status_at = time.monotonic() - started
        headers = {}
        while True:
            line = await asyncio.wait_for(reader.readline(), CLIENT_TIMEOUT)
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        await asyncio.wait_for(reader.read(), CLIENT_TIMEOUT)
        writer.close()
        parts = status_line.split()
        status = int(parts[1]) if len(parts) > 1 else 0
        results.append((status, status_at, headers.get("retry-after")))
    except asyncio.TimeoutError:
        results.append(("timeout", time.monotonic() - started, None))
    except OSError as error:
        results.append(("error:" + type(error).__name__, time.monotonic() - started, None))


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)


async def main():
    results = []
    tasks = []
    start = time.monotonic()
    for index in range(MAX_REQUESTS):
        due = start + index / RATE
        if due - start > SECONDS:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, results)))
    await asyncio.gather(*tasks)
    statuses = {}
    for status, _, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    refused = [elapsed for status, elapsed, _ in results if status == 429]
    served = [elapsed for status, elapsed, _ in results if status == 200]
    print(json.dumps({
        "sent": len(tasks),
        "statuses": statuses,
        "timeouts": statuses.get("timeout", 0),
        "errors": sum(count for name, count in statuses.items() if name.startswith("error")),
        "retry_after_missing": sum(1 for status, _, retry in results if status == 429 and not (retry or "").isdigit()),
        "p50_429_ms": percentile(refused, 0.5),
        "p99_429_ms": percentile(refused, 0.99),
        "max_429_ms": percentile(refused, 1.0),
        "p50_200_ms": percentile(served, 0.5),
        "p99_200_ms": percentile(served, 0.99),
        "max_200_ms": percentile(served, 1.0),
        "elapsed_s": round(time.monotonic() - start, 2),
    }))


asyncio.run(main())
