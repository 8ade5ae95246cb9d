"""Drives /v1/completions with the official openai client against the echo model.

Usage: openai_completions.py BASE_URL. Exits non-zero with a one-line reason on the first
failed check; prints one `ok` line per check.
"""
import sys

import openai

client = openai.OpenAI(base_url=sys.argv[1], api_key="unused", max_retries=0, timeout=30)
PROMPT = "The quick brown fox jumps"


def check(name, condition, detail=""):
    if not condition:
        sys.exit(f"FAILED {name}: {detail}")
    print(f"ok {name}")


reply = client.completions.create(model="echo", prompt=PROMPT, max_tokens=3)
check("completion text", reply.choices[0].text == "The quick brown", reply)
check("completion shape", reply.object == "text_completion" and reply.id.startswith("cmpl-"), reply)
check("completion finish", reply.choices[0].finish_reason == "length", reply)
check("completion usage", (reply.usage.prompt_tokens, reply.usage.total_tokens) == (5, 8), reply.usage)

whole = client.completions.create(model="echo", prompt=PROMPT, max_tokens=100)
check("completion stop", whole.choices[0].text == PROMPT and whole.choices[0].finish_reason == "stop", whole)

chunks = list(client.completions.create(
    model="echo", prompt=PROMPT, max_tokens=100, stream=True, stream_options={"include_usage": True}))
text = "".join(c.choices[0].text for c in chunks if c.choices)
check("completion stream text", text == PROMPT, text)
check("completion stream usage", chunks[-1].usage.completion_tokens == 5, chunks[-1])

first = client.completions.create(model="echo", prompt=PROMPT, seed=99, temperature=0.8, top_p=0.9)
second = client.completions.create(model="echo", prompt=PROMPT, seed=99, temperature=0.8, top_p=0.9)
check("seed reproducible", first.choices[0].text == second.choices[0].text, (first, second))

probs = client.completions.create(model="echo", prompt=PROMPT, max_tokens=2, logprobs=1)
check("logprobs", probs.choices[0].logprobs.tokens == ["The", " quick"]
      and probs.choices[0].logprobs.text_offset == [0, 3], probs)

batch = client.completions.create(model="echo", prompt=["a b", "c"], max_tokens=5, n=2)
check("prompt list", [c.text for c in batch.choices] == ["a b", "a b", "c", "c"], batch)

try:
    client.completions.create(model="missing", prompt=PROMPT)
    check("unknown model", False, "no error raised")
except openai.NotFoundError as error:
    check("unknown model", error.status_code == 404, error)

try:
    client.completions.create(model="echo", prompt=PROMPT, max_tokens=0)
    check("max_tokens 0", False, "no error raised")
except openai.BadRequestError as error:
    check("max_tokens 0", error.body.get("param") == "max_tokens", error.body)
