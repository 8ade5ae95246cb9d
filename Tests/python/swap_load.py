"""Streaming load for the hot-swap test: CLIENTS threads, each sending streaming
/v1/completions requests back to back over HTTP/1.1 keep-alive for SECONDS, to 127.0.0.1 only.

Prints one JSON object: per request its start and end (Unix seconds), the version header,
the `model` field of its chunks, whether it finished ([DONE] after a finish_reason), and any
error. Exits 0 whatever the outcomes; the test judges them.

usage: swap_load.py PORT CLIENTS SECONDS MODEL
"""
import http.client
import json
import sys
import threading
import time


def one_request(connection, model, index):
    body = json.dumps({
        "model": model, "prompt": f"Client {index} asks: name a colour.", "max_tokens": 8,
        "temperature": 0, "stream": True,
    })
    record = {"start": time.time(), "version": None, "models": [], "finished": False, "done": False, "error": None}
    try:
        connection.request("POST", "/v1/completions", body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        record["status"] = response.status
        record["version"] = response.getheader("x-switchyard-model-version")
        if response.status != 200:
            record["error"] = response.read().decode("utf-8", "replace")[:300]
            return record
        while True:
            line = response.readline()
            if not line:
                break
            line = line.strip()
            if not line.startswith(b"data: "):
                continue
            payload = line[len(b"data: "):]
            if payload == b"[DONE]":
                record["done"] = True
                break
            chunk = json.loads(payload)
            if "error" in chunk:
                record["error"] = json.dumps(chunk["error"])[:300]
                continue
            if chunk.get("model") not in record["models"]:
                record["models"].append(chunk.get("model"))
            for choice in chunk.get("choices", []):
                if choice.get("finish_reason"):
                    record["finished"] = True
        response.read()
    except Exception as error:  # noqa: BLE001 - every failure is reported, none ends the run
        record["error"] = f"{type(error).__name__}: {error}"
    finally:
        record["end"] = time.time()
    return record


def client(port, seconds, model, index, records, lock):
    deadline = time.time() + seconds
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    count = 0
    while time.time() < deadline:
        record = one_request(connection, model, index * 10000 + count)
        count += 1
        if record["error"]:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        with lock:
            records.append(record)
    connection.close()


def main():
    port, clients, seconds, model = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    records, lock = [], threading.Lock()
    threads = [threading.Thread(target=client, args=(port, seconds, model, i, records, lock)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"requests": records}))


if __name__ == "__main__":
    main()
