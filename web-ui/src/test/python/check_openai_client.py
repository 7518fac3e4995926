"""Calls lmforge's OpenAI-compatible API with the official openai client, as OpenAiApiTest asks.

check_openai_client.py BASE_URL API_TOKEN CASES_JSON REPORT_JSON

CASES_JSON: {"model": M, "chat": [{"messages": [...], "maxTokens": N}], "completions": [{"prompt": P,
"maxTokens": N}], "tooLong": P}. REPORT_JSON gets, per case, the text answered whole and the text streamed
(with the chunk count, usage and seconds), and the client's error for a prompt past the context.
"""
import json
import sys
import time

import openai

base_url, token, cases_file, report_file = sys.argv[1:5]
with open(cases_file, encoding="utf-8") as f:
    cases = json.load(f)
client = openai.OpenAI(base_url=base_url.rstrip("/") + "/v1", api_key=token, max_retries=0, timeout=120)
model = cases["model"]
report = {"openaiVersion": openai.__version__, "chat": [], "completions": []}

for case in cases["chat"]:
    started = time.perf_counter()
    whole = client.chat.completions.create(model=model, messages=case["messages"], max_tokens=case["maxTokens"],
                                           temperature=0)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    pieces = []
    usage = None
    for chunk in client.chat.completions.create(model=model, messages=case["messages"],
                                                max_tokens=case["maxTokens"], temperature=0, stream=True,
                                                stream_options={"include_usage": True}):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.usage is not None:
            usage = chunk.usage.model_dump()
    report["chat"].append({
        "text": whole.choices[0].message.content,
        "role": whole.choices[0].message.role,
        "finishReason": whole.choices[0].finish_reason,
        "usage": whole.usage.model_dump(),
        "seconds": seconds,
        "streamed": "".join(pieces),
        "streamedChunks": len(pieces),
        "streamedUsage": usage,
        "streamedSeconds": time.perf_counter() - started,
    })

for case in cases["completions"]:
    whole = client.completions.create(model=model, prompt=case["prompt"], max_tokens=case["maxTokens"])
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=model, prompt=case["prompt"], max_tokens=case["maxTokens"], stream=True) if c.choices)
    report["completions"].append({"text": whole.choices[0].text, "streamed": streamed,
                                  "finishReason": whole.choices[0].finish_reason})

try:
    client.completions.create(model=model, prompt=cases["tooLong"], max_tokens=4)
    report["tooLong"] = {"refused": False}
except openai.BadRequestError as e:
    report["tooLong"] = {"refused": True, "status": e.status_code, "body": e.body}

try:
    client.chat.completions.create(model="0" * 64, messages=[{"role": "user", "content": "hi"}])
    report["unknownModel"] = {"refused": False}
except openai.NotFoundError as e:
    report["unknownModel"] = {"refused": True, "status": e.status_code}

with open(report_file, "w", encoding="utf-8") as f:
    json.dump(report, f, indent=2)
