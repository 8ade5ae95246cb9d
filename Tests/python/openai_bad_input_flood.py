"""Floods the server with bad requests (every row of the bad-input table) over HTTP/2 and
HTTP/1.1 while good streaming chat requests run through the openai client beside them; every
bad request must get its status and every good one must complete.

Usage: openai_bad_input_flood.py BASE_URL MAX_BODY_BYTES. Bounded: at most 60 rounds of the
table per client and 20 seconds.
"""
import sys
import threading
import time

import httpx2 as httpx
import openai

BASE = sys.argv[1]
MAX_BODY = int(sys.argv[2])
GOOD = '{"model":"echo","messages":[{"role":"user","content":"hi"}]}'
TABLE = [
    ("POST", "/chat/completions", '{"model": "echo", "messages": [', "application/json", 400),
    ("POST", "/chat/completions", '{"model":"echo","messages":"hi"}', "application/json", 400),
    ("POST", "/chat/completions", '{"model":"echo"}', "application/json", 400),
    ("POST", "/completions", '{"model":"echo"}', "application/json", 400),
    ("POST", "/chat/completions", '{"model":"nope","messages":[{"role":"user","content":"x"}]}', "application/json", 404),
    ("POST", "/completions", '{"model":"echo","prompt":"x","max_tokens":0}', "application/json", 400),
    ("POST", "/completions", '{"model":"echo","prompt":"' + "w " * 9000 + '"}', "application/json", 400),
    ("POST", "/completions", '{"model":"echo","prompt":"' + "x" * MAX_BODY + '"}', "application/json", 413),
    ("POST", "/chat/completions", GOOD, "text/plain", 415),
    ("POST", "/engines", GOOD, "application/json", 404),
    ("GET", "/chat/completions", None, None, 405),
]
failures = []
deadline = time.monotonic() + 20


def flood(http2):
    client = httpx.Client(base_url=BASE, http1=not http2, http2=http2, timeout=30)
    for _ in range(60):
        if time.monotonic() > deadline:
            break
        for method, path, body, content_type, status in TABLE:
            headers = {"content-type": content_type} if content_type else {}
            response = client.request(method, path, content=body, headers=headers)
            error = response.json().get("error", {}) if response.content else {}
            if response.status_code != status or "x-request-id" not in response.headers or not error.get("message"):
                failures.append(f"{method} {path} over {'h2' if http2 else 'h1'}: {response.status_code} {response.text[:120]}")
                return


def good():
    client = openai.OpenAI(base_url=BASE, api_key="unused", max_retries=0, timeout=30)
    for index in range(25):
        text = f"good request {index}"
        chunks = client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": text}], stream=True)
        got = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        if got != text:
            failures.append(f"good request {index} returned {got!r}")
            return


threads = [threading.Thread(target=flood, args=(True,)), threading.Thread(target=flood, args=(False,)),
           threading.Thread(target=good), threading.Thread(target=good)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if failures:
    sys.exit("FAILED " + failures[0])
print("ok flood")
