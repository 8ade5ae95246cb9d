"""Drives /v1/chat/completions with the official openai client against the echo model.

Usage: openai_chat.py BASE_URL   (e.g. http://127.0.0.1:PORT/v1). Exits non-zero with a
one-line reason on the first failed check; prints one `ok` line per check.
"""
import sys

import openai

client = openai.OpenAI(base_url=sys.argv[1], api_key="unused", max_retries=0, timeout=30)
MESSAGES = [
    {"role": "system", "content": "Repeat after me."},
    {"role": "user", "content": "Hello  there, friend"},
]


def check(name, condition, detail=""):
    if not condition:
        sys.exit(f"FAILED {name}: {detail}")
    print(f"ok {name}")


reply = client.chat.completions.create(model="echo", messages=MESSAGES)
check("chat text", reply.choices[0].message.content == "Hello  there, friend", reply)
check("chat shape", reply.object == "chat.completion" and reply.id.startswith("chatcmpl-"), reply)
check("chat role", reply.choices[0].message.role == "assistant", reply)
check("chat finish", reply.choices[0].finish_reason == "stop", reply)
check("chat usage", (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (6, 3), reply.usage)

cut = client.chat.completions.create(model="echo", messages=MESSAGES, max_completion_tokens=2)
check("chat length", cut.choices[0].finish_reason == "length" and cut.choices[0].message.content == "Hello  there,", cut)

raw = client.chat.completions.with_raw_response.create(model="echo", messages=MESSAGES, max_tokens=1)
check("model version header", raw.headers.get("x-switchyard-model-version") == "1", dict(raw.headers))
check("request id header", raw.headers.get("x-request-id", "").startswith("req_"), dict(raw.headers))

chunks = list(client.chat.completions.create(
    model="echo", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
check("chat stream text", text == "Hello  there, friend", text)
check("chat stream role first", chunks[0].choices[0].delta.role == "assistant", chunks[0])
check("chat stream finish", [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop", chunks[-2])
check("chat stream usage", chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 3, chunks[-1])

first = client.chat.completions.create(model="echo", messages=MESSAGES, seed=1234, temperature=1.0)
second = client.chat.completions.create(model="echo", messages=MESSAGES, seed=1234, temperature=1.0)
check("seed reproducible", first.choices[0].message.content == second.choices[0].message.content, (first, second))

both = client.chat.completions.create(model="echo", messages=MESSAGES, n=2, seed=5)
check("n=2", [c.index for c in both.choices] == [0, 1] and both.usage.completion_tokens == 6, both)

stopped = client.chat.completions.create(model="echo", messages=MESSAGES, stop=[","])
check("stop", stopped.choices[0].message.content == "Hello  there" and stopped.choices[0].finish_reason == "stop", stopped)

probs = client.chat.completions.create(model="echo", messages=MESSAGES, logprobs=True, top_logprobs=1, max_tokens=2)
entries = probs.choices[0].logprobs.content
check("logprobs", [e.token for e in entries] == ["Hello", "  there,"] and entries[0].logprob == 0.0, probs)

try:
    client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    check("unknown model", False, "no error raised")
except openai.NotFoundError as error:
    check("unknown model", error.status_code == 404 and error.body.get("code") == "model_not_found", error.body)

try:
    client.chat.completions.create(model="echo", messages=MESSAGES, temperature=5)
    check("bad temperature", False, "no error raised")
except openai.BadRequestError as error:
    check("bad temperature", error.body.get("param") == "temperature", error.body)

models = client.models.list()
check("models", "echo" in [m.id for m in models.data], models)
