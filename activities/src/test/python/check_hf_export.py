"""Checks an lmforge Hugging Face export with the real clients (run by HfExportCompatibilityTest).

Usage: check_hf_export.py FOLDER CASES.json REPORT.json [BF16_FOLDER]

CASES holds what lmforge computed: per-position log-probabilities (`score`), greedy generations (`generate`),
the ids SFT trained on per conversation (`chat`) and its tokenizer's ids for texts (`encode`). This script loads
FOLDER with transformers' AutoModelForCausalLM and AutoTokenizer on the CPU and the tokenizers library, computes
the same things and writes the comparison to REPORT; the Java test judges it. BF16_FOLDER, the same model
exported in bfloat16, is scored too (loaded as float32, so only the weights' rounding differs).
"""
import json
import sys

import tokenizers
import torch
import transformers
from safetensors import safe_open
from transformers import AutoModelForCausalLM, AutoTokenizer


def chat_ids(tokenizer, messages, add_generation_prompt=False):
    rendered = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    if hasattr(rendered, "keys"):  # transformers 5 returns a BatchEncoding
        rendered = rendered["input_ids"]
    return list(rendered)


def score_difference(model, cases):
    worst = 0.0
    for case in cases["score"]:
        ids = case["ids"]
        with torch.no_grad():
            log_probs = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
        for i, theirs in enumerate(case["logProbabilities"]):
            worst = max(worst, abs(log_probs[i, ids[i + 1]].item() - theirs))
    return worst


def main(folder, cases_path, report_path, bf16_folder=None):
    torch.set_num_threads(2)
    cases = json.load(open(cases_path, encoding="utf-8"))
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    raw = tokenizers.Tokenizer.from_file(folder + "/tokenizer.json")
    report = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                           "tokenizers": tokenizers.__version__},
              "modelClass": type(model).__name__, "tokenizerClass": type(tokenizer).__name__}

    positions = 0
    text_mismatches = []
    for case in cases["score"]:
        positions += len(case["logProbabilities"])
        # lmforge scores text as plain text, special token spellings included: split_special_tokens does that.
        encoded = tokenizer(case["text"], add_special_tokens=False, split_special_tokens=True)["input_ids"]
        if encoded != case["ids"][1:]:
            text_mismatches.append(case["text"][:80])
    worst = score_difference(model, cases)
    report["score"] = {"texts": len(cases["score"]), "positions": positions, "maxAbsDifference": worst,
                       "autoTokenizerMismatches": text_mismatches}

    mismatches = []
    for case in cases["generate"]:
        prompt = torch.tensor([case["promptIds"]])
        with torch.no_grad():
            out = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                                 max_new_tokens=case["maxTokens"])
        new = out[0, prompt.shape[1]:].tolist()
        if new and new[-1] == tokenizer.eos_token_id:
            new = new[:-1]  # lmforge reports the tokens before the end token
        if new != case["ids"]:
            mismatches.append({"prompt": case["prompt"], "lmforge": case["ids"], "transformers": new})
    report["generate"] = {"prompts": len(cases["generate"]),
                          "tokens": sum(len(c["ids"]) for c in cases["generate"]), "mismatches": mismatches}

    chat = {"conversations": 0, "mismatches": [], "specialInContent": []}
    for case in cases["chat"]:
        ids = chat_ids(tokenizer, case["messages"])
        if case.get("contentSpellsSpecialToken"):
            chat["specialInContent"].append({"same": ids == case["ids"]})
            continue
        chat["conversations"] += 1
        if ids != case["ids"]:
            chat["mismatches"].append({"messages": case["messages"], "lmforge": case["ids"], "transformers": ids})
    for case in cases.get("chatPrompts", []):
        ids = chat_ids(tokenizer, case["messages"], add_generation_prompt=True)
        chat["conversations"] += 1
        if ids != case["ids"]:
            chat["mismatches"].append({"messages": case["messages"], "lmforge": case["ids"], "transformers": ids})
    report["chat"] = chat

    encode_mismatches = []
    for case in cases["encode"]:
        ids = raw.encode(case["text"], add_special_tokens=False).ids
        if ids != case["ids"]:
            encode_mismatches.append({"text": case["text"][:200], "lmforge": case["ids"][:50], "tokenizers": ids[:50]})
        if raw.decode(ids, skip_special_tokens=False) != case["text"]:
            encode_mismatches.append({"text": case["text"][:200], "decode": "differs"})
    report["encode"] = {"texts": len(cases["encode"]), "mismatches": encode_mismatches}

    if bf16_folder:
        bf16 = AutoModelForCausalLM.from_pretrained(bf16_folder, dtype=torch.float32)
        bf16.eval()
        with safe_open(bf16_folder + "/model.safetensors", "pt") as weights:
            stored = sorted({str(weights.get_tensor(name).dtype) for name in weights.keys()})
        report["bf16"] = {"storedDtypes": stored, "maxAbsDifference": score_difference(bf16, cases)}

    with open(report_path, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:5])
