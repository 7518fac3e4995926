"""Greedy generation with transformers, the peer of `lmforge bench serving`.

Usage: hf_generate_peer.py FOLDER PROMPT_IDS MAX_NEW_TOKENS THREADS REPEATS

Loads the Hugging Face export FOLDER in float32 on the CPU with torch.set_num_threads(THREADS), generates once to
warm up, then REPEATS times greedily (do_sample=False, the KV cache on) after the comma-separated PROMPT_IDS, and
prints as its last line JSON: the tokens generated in all, the seconds they took, and the library versions.
"""
import json
import sys
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


def main(folder, prompt_ids, max_new_tokens, threads, repeats):
    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    prompt = torch.tensor([[int(i) for i in prompt_ids.split(",")]])
    mask = torch.ones_like(prompt)

    def generate():
        with torch.no_grad():
            out = model.generate(prompt, attention_mask=mask, do_sample=False, max_new_tokens=max_new_tokens,
                                 min_new_tokens=0)
        new = out[0, prompt.shape[1]:].tolist()
        if new and new[-1] == model.generation_config.eos_token_id:
            new = new[:-1]  # lmforge counts the tokens before the end token
        return len(new)

    generate()
    tokens = 0
    started = time.perf_counter()
    for _ in range(repeats):
        tokens += generate()
    seconds = time.perf_counter() - started
    print(json.dumps({"tokens": tokens, "seconds": seconds, "threads": torch.get_num_threads(),
                      "versions": {"torch": torch.__version__, "transformers": transformers.__version__}}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
