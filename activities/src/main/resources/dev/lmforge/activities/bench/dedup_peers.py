"""The peers' side of `lmforge bench data --against datatrove`: MinHash near-duplicate removal over the same JSONL
files ({"id", "text", ...} per line) by datatrove and by datasketch, one process and one task each so that the
figures are per core.

datatrove: its four MinHash stages (signatures, buckets, clusters, filter) through LocalPipelineExecutor with one
worker. The word tokenizer is a whitespace split of datatrove's own simplified text (lower case, punctuation and
digits folded, white space collapsed): datatrove's default for English is spaCy's, a large install that would only
make it slower.
datasketch: MinHash over the same word 5-grams, then MinHashLSH with the same bands and rows; documents are taken in
order, and one is removed when a document already kept shares a band with it and their estimated Jaccard similarity
reaches the threshold (the usual query-then-insert use).

Writes the ids of the removed documents, one a line, to --removed and prints one JSON line of figures: CPU seconds
of the signature step and of the whole removal (this process and its children, user and system).
"""
import argparse
import glob
import json
import os
import resource
import time


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def datatrove(args):
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.word_tokenizers import WordTokenizer

    class WhitespaceTokenizer(WordTokenizer):
        def __init__(self):
            super().__init__("whitespace")

        def word_tokenize(self, text):
            return text.split()

        def sent_tokenize(self, text):
            return [text]

        def span_tokenize(self, text):
            return [(0, len(text))]

    config = MinhashConfig(n_grams=args.ngrams, num_buckets=args.bands, hashes_per_bucket=args.rows, seed=args.seed,
                           hash_config=HashConfig(precision=64))
    work = args.work
    logs = os.path.join(work, "logs")

    def reader():
        return JsonlReader(args.input, text_key="text", id_key="id", glob_pattern="*.jsonl", compression=None)

    def run(name, pipeline, tasks):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=os.path.join(logs, name),
                              skip_completed=False).run()

    start = cpu_seconds()
    run("signatures", [reader(), MinhashDedupSignature(output_folder=os.path.join(work, "signatures"), config=config,
                                                       language=WhitespaceTokenizer())], 1)
    signed = cpu_seconds()
    run("buckets", [MinhashDedupBuckets(input_folder=os.path.join(work, "signatures"),
                                        output_folder=os.path.join(work, "buckets"), config=config)], args.bands)
    run("clusters", [MinhashDedupCluster(input_folder=os.path.join(work, "buckets"),
                                         output_folder=os.path.join(work, "remove_ids"), config=config)], 1)
    run("filter", [reader(),
                   MinhashDedupFilter(input_folder=os.path.join(work, "remove_ids"),
                                      exclusion_writer=JsonlWriter(os.path.join(work, "removed"), compression=None)),
                   JsonlWriter(os.path.join(work, "kept"), compression=None)], 1)
    done = cpu_seconds()
    removed = []
    for file in sorted(glob.glob(os.path.join(work, "removed", "*.jsonl"))):
        with open(file, encoding="utf-8") as f:
            removed.extend(json.loads(line)["id"] for line in f)
    return removed, signed - start, done - start


def datasketch(args):
    import re

    from datasketch import MinHash, MinHashLSH

    words = re.compile(r"\w+")
    files = sorted(glob.glob(os.path.join(args.input, "*.jsonl")))
    start = cpu_seconds()
    ids, signatures = [], []
    for file in files:
        with open(file, encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                tokens = words.findall(doc["text"].lower())
                grams = {" ".join(tokens[i:i + args.ngrams]).encode("utf-8")
                         for i in range(max(1, len(tokens) - args.ngrams + 1))}
                m = MinHash(num_perm=args.bands * args.rows, seed=args.seed)
                m.update_batch(list(grams))
                ids.append(doc["id"])
                signatures.append(m)
    signed = cpu_seconds()
    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.bands * args.rows, params=(args.bands, args.rows))
    removed = []
    for i, m in enumerate(signatures):
        if any(signatures[j].jaccard(m) >= args.threshold for j in lsh.query(m)):
            removed.append(ids[i])
        else:
            lsh.insert(i, m)
    done = cpu_seconds()
    return removed, signed - start, done - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["datatrove", "datasketch"])
    parser.add_argument("--input", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--removed", required=True)
    parser.add_argument("--ngrams", type=int, required=True)
    parser.add_argument("--bands", type=int, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    wall = time.perf_counter()
    removed, signature, whole = (datatrove if args.peer == "datatrove" else datasketch)(args)
    with open(args.removed, "w", encoding="utf-8") as f:
        f.writelines(i + "\n" for i in removed)
    print(json.dumps({"peer": args.peer, "signatureCpuSeconds": signature, "wholeCpuSeconds": whole,
                      "wallSeconds": time.perf_counter() - wall, "removed": len(removed)}))


if __name__ == "__main__":
    main()
