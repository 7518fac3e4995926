"""The Hugging Face tokenizers side of `lmforge bench tokenizer --against hf`.

encode: loads lmforge's exported tokenizer.json, optionally writes the ids of every document (encode_batch) for the
bench to compare, then times per-document `encode` and `encode_batch` over the same documents. The thread count is
the environment's RAYON_NUM_THREADS, set by the bench before this process starts (tokenizers reads it once).
train: trains a byte-level BPE vocabulary with tokenizers' own BpeTrainer on the same documents, with lmforge's
pre-tokenizer, special tokens and vocabulary size, and reports the time and this process's peak resident memory.
parity: for each JSON line of --inputs, {"text": ...} is encoded and its ids decoded, {"ids": [...]} decoded alone;
the answers, one JSON line each ({"ids", "decoded", "decodedSkippingSpecial"}), go to --out (HuggingFaceParityTest).
The last line printed is a JSON object of figures.
"""
import argparse
import array
import json
import os
import sys
import time

from tokenizers import Tokenizer, models, pre_tokenizers, trainers


def documents(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def rate(step, seconds):
    """MB (10^6 bytes) per wall second and per CPU second of this process (all its threads) of repeating `step`
    (which returns the bytes it encoded) for `seconds`, after one warm-up call; at least one timed call."""
    step()
    done = 0
    begin = time.perf_counter()
    cpu = time.process_time()
    deadline = begin + seconds
    while True:
        done += step()
        if time.perf_counter() >= deadline:
            break
    return done / (time.perf_counter() - begin) / 1e6, done / (time.process_time() - cpu) / 1e6


def encode(args):
    tokenizer = Tokenizer.from_file(args.tokenizer)
    docs = documents(args.documents)
    sizes = [len(d.encode("utf-8")) for d in docs]
    total = sum(sizes)
    if args.ids:
        out = array.array("I")
        for encoding in tokenizer.encode_batch(docs, add_special_tokens=False):
            out.append(len(encoding.ids))
            out.extend(encoding.ids)
        if sys.byteorder != "little":
            out.byteswap()
        with open(args.ids, "wb") as f:
            out.tofile(f)
    figures = {"threads": os.environ.get("RAYON_NUM_THREADS", "all"), "documents": len(docs), "bytes": total}

    def batch():
        tokenizer.encode_batch(docs, add_special_tokens=False)
        return total

    figures["batchMBps"], figures["batchCpuMBps"] = rate(batch, args.seconds)
    if args.per_document:
        position = [0]

        def one():
            i = position[0]
            position[0] = (i + 1) % len(docs)
            tokenizer.encode(docs[i], add_special_tokens=False)
            return sizes[i]

        def many():
            # Round-robin over the documents, a slice at a time, so the clock is read rarely.
            return sum(one() for _ in range(min(len(docs), 64)))

        figures["perDocumentMBps"], figures["perDocumentCpuMBps"] = rate(many, args.seconds)
    print(json.dumps(figures))


def train(args):
    base = Tokenizer.from_file(args.tokenizer)
    docs = documents(args.documents)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = base.pre_tokenizer
    tokenizer.decoder = base.decoder
    specials = [t.content for _, t in sorted(base.get_added_tokens_decoder().items())]
    trainer = trainers.BpeTrainer(vocab_size=args.vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    begin = time.perf_counter()
    cpu = time.process_time()
    tokenizer.train_from_iterator(docs, trainer=trainer, length=len(docs))
    seconds = time.perf_counter() - begin
    cpu_seconds = time.process_time() - cpu
    tokenizer.save(args.out)
    print(json.dumps({"threads": os.environ.get("RAYON_NUM_THREADS", "all"), "seconds": seconds, "cpuSeconds": cpu_seconds,
                      "peakRssBytes": peak_rss_bytes(), "vocabularySize": tokenizer.get_vocab_size()}))


def parity(args):
    tokenizer = Tokenizer.from_file(args.tokenizer)
    with open(args.inputs, encoding="utf-8") as f:
        inputs = [json.loads(line) for line in f]
    texts = [i["text"] for i in inputs if "text" in i]
    encoded = iter(tokenizer.encode_batch(texts, add_special_tokens=False))
    with open(args.out, "w", encoding="utf-8") as out:
        for i in inputs:
            ids = next(encoded).ids if "text" in i else i["ids"]
            out.write(json.dumps({"ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False),
                                  "decodedSkippingSpecial": tokenizer.decode(ids, skip_special_tokens=True)}) + "\n")
    print(json.dumps({"inputs": len(inputs)}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--documents", required=True)
    e.add_argument("--ids")
    e.add_argument("--seconds", type=float, default=3)
    e.add_argument("--per-document", action="store_true")
    t = sub.add_parser("train")
    t.add_argument("--tokenizer", required=True)
    t.add_argument("--documents", required=True)
    t.add_argument("--vocab-size", type=int, required=True)
    t.add_argument("--out", required=True)
    p = sub.add_parser("parity")
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--out", required=True)
    args = parser.parse_args()
    {"encode": encode, "train": train, "parity": parity}[args.mode](args)


if __name__ == "__main__":
    main()
