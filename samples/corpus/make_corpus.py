#!/usr/bin/env python3
"""Rebuilds the lmforge sample corpus from Debian documentation packages.

Usage:  python3 samples/corpus/make_corpus.py [--debs DIR]

DIR holds the .deb files listed in SOURCES (fetched with `apt-get download` into DIR when missing; needs
Debian's apt and dpkg-deb, and the `zstd` tool for the .zst dump). The output is deterministic for a given
set of packages: every random choice comes from one seeded generator.

What it writes next to this script:
  dump-2024-01.jsonl, dump-2024-02.jsonl.gz, dump-2024-03.jsonl.zst, dump-2024-04.jsonl
      one JSON record a line: {"id","text","dump","domain","lang","url"}
  planted.tsv
      the ground truth: for each record, the original document it copies and how (original, exact, near,
      junk), with the word-5-gram Jaccard similarity of a near copy to its original
It prints the planted overlap counts that SOURCES.md records.
"""
import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240101
DUMPS = ["2024-01", "2024-02", "2024-03", "2024-04"]
DUMP_FILES = {"2024-01": "dump-2024-01.jsonl", "2024-02": "dump-2024-02.jsonl.gz",
              "2024-03": "dump-2024-03.jsonl.zst", "2024-04": "dump-2024-04.jsonl"}
# Where a document first appears: crawls grow, so older dumps hold more of the originals.
ORIGIN_WEIGHTS = [0.40, 0.25, 0.20, 0.15]
P_EXACT_LATER = 0.30       # re-crawled unchanged in a later dump
P_NEAR_LATER = 0.15        # re-crawled with changed boilerplate in a later dump
P_EXACT_WITHIN = 0.04      # the same page under a second URL in the same dump
P_NEAR_WITHIN = 0.03       # a second URL with other boilerplate in the same dump
NEAR_MIN_CHARS = 1500      # shorter bodies are only ever copied exactly: boilerplate would swamp them
JUNK_PER_DUMP = 12

# (package, path inside the package, domain, lang)
SOURCES = [
    ("debian-reference-en", "usr/share/debian-reference/debian-reference.en.txt.gz", "debian-reference", "en"),
    ("debian-reference-zh-cn", "usr/share/debian-reference/debian-reference.zh-cn.txt.gz", "debian-reference", "zh"),
    ("debian-faq", "usr/share/doc/debian/FAQ/debian-faq.en.txt.gz", "debian-faq", "en"),
    ("debian-faq-zh-cn", "usr/share/doc/debian/FAQ/debian-faq.zh-cn.txt.gz", "debian-faq", "zh"),
    ("maint-guide", "usr/share/doc/maint-guide/maint-guide.en.txt.gz", "maint-guide", "en"),
    ("maint-guide-zh-cn", "usr/share/doc/maint-guide-zh-cn/maint-guide.zh-cn.txt.gz", "maint-guide", "zh"),
]

MIRRORS = ["www.debian.org", "ftp.de.debian.org", "mirrors.tuna.tsinghua.edu.cn", "ftp.jp.debian.org",
           "mirror.example.net", "deb.example.org"]
TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")


def fetch(debs):
    os.makedirs(debs, exist_ok=True)
    missing = [p for p, _, _, _ in SOURCES if not any(f.startswith(p + "_") for f in os.listdir(debs))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)


def read_source(debs, package, path):
    deb = next(os.path.join(debs, f) for f in sorted(os.listdir(debs)) if f.startswith(package + "_"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
        with gzip.open(os.path.join(tmp, path), "rt", encoding="utf-8") as f:
            return f.read()


def split_documents(text, rng):
    """Cuts a manual into documents of a few paragraphs each, at paragraph boundaries."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    docs, current, target = [], [], rng.randint(600, 3500)
    for p in paragraphs:
        current.append("\n".join(line.strip() for line in p.splitlines()))
        if sum(len(c) for c in current) >= target:
            docs.append("\n\n".join(current))
            current, target = [], rng.randint(600, 3500)
    if current:
        docs.append("\n\n".join(current))
    return docs


def footer(lang, mirror, date):
    if lang == "zh":
        return f"本页面来自 {mirror} 镜像 · 最后更新 {date}"
    return f"Served by {mirror} · last updated {date}"


def boilerplate_variant(body, lang, rng):
    """A near copy: the same body with another site's header, footer and dates."""
    mirror = rng.choice(MIRRORS)
    date = f"20{rng.randint(22, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    header = "首页 | 下载 | 文档 | 支持" if lang == "zh" else "Home | Download | Docs | Support"
    return f"{header}\n\n{body}\n\n{footer(lang, mirror, date)}\nPage generated {date} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"


def original_text(body, lang):
    return f"{body}\n\n{footer(lang, 'www.debian.org', '2023-02-04')}"


def jaccard(a, b, k=5):
    def shingles(t):
        tokens = TOKEN.findall(t.lower())
        return {" ".join(tokens[i:i + k]) for i in range(max(1, len(tokens) - k + 1))}
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def junk(rng, n):
    """Documents quality filters should reject: link menus, repeated lines, symbol soup, ellipsis teasers.
    Each carries its own random tokens so that no two junk documents are near-duplicates of each other."""
    kind = n % 4
    site = f"site{rng.randint(1000, 9999)}"
    if kind == 0:
        items = ["Home", "News", "Login", "Register", "Contact", "About", "Privacy", "Terms", "Sitemap", "Help", site]
        return "menu", "\n".join(" | ".join(rng.sample(items, 5)) for _ in range(rng.randint(8, 20)))
    if kind == 1:
        line = rng.choice(["Click here to subscribe to our newsletter! Offer", "点击这里订阅我们的新闻通讯！优惠"])
        return "repeated-lines", "\n".join([f"{line} {site}"] * rng.randint(15, 40))
    if kind == 2:
        return "symbol-soup", "\n".join("".join(rng.choice("#$%&*@^~<>{}[]|=+_/\\") for _ in range(60))
                                        for _ in range(rng.randint(5, 15)))
    words = ["linux", "kernel", "package", "mirror", "install", "upgrade", "driver", "desktop", "server", "boot"]
    return "ellipsis", "\n".join(f"- Read more about {rng.choice(words)} {rng.randint(0, 99999)} on {site}..."
                                  for _ in range(rng.randint(10, 25)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debs", default=os.path.join(tempfile.gettempdir(), "lmforge-corpus-debs"))
    args = parser.parse_args()
    fetch(args.debs)
    rng = random.Random(SEED)

    # Base documents: (key, body, domain, lang)
    base = []
    for package, path, domain, lang in SOURCES:
        for i, body in enumerate(split_documents(read_source(args.debs, package, path), rng)):
            base.append((f"{package}#{i:04d}", body, domain, lang))

    records = {d: [] for d in DUMPS}   # dump -> [(url, text, domain, lang, base key, kind, jaccard)]
    for key, body, domain, lang in base:
        origin = rng.choices(range(len(DUMPS)), weights=ORIGIN_WEIGHTS)[0]
        url = f"https://www.debian.org/doc/{key.replace('#', '/')}"
        text = original_text(body, lang)
        can_near = len(body) >= NEAR_MIN_CHARS

        def near():
            t = boilerplate_variant(body, lang, rng)
            return t, round(jaccard(text, t), 4)

        records[DUMPS[origin]].append((url, text, domain, lang, key, "original", 1.0))
        for d in range(origin, len(DUMPS)):
            dump = DUMPS[d]
            if d > origin:
                roll = rng.random()
                if roll < P_EXACT_LATER or (roll < P_EXACT_LATER + P_NEAR_LATER and not can_near):
                    records[dump].append((url, text, domain, lang, key, "exact", 1.0))
                elif roll < P_EXACT_LATER + P_NEAR_LATER:
                    t, j = near()
                    records[dump].append((url, t, domain, lang, key, "near", j))
            if rng.random() < P_EXACT_WITHIN:
                records[dump].append((url + "?print=1", text, domain, lang, key, "exact", 1.0))
            if can_near and rng.random() < P_NEAR_WITHIN:
                t, j = near()
                records[dump].append((url.replace("www.debian.org", rng.choice(MIRRORS[1:])), t, domain, lang,
                                      key, "near", j))
    for dump in DUMPS:
        for n in range(JUNK_PER_DUMP):
            kind, text = junk(rng, n)
            records[dump].append((f"https://spam.example.com/{dump}/{n}", text, "web", "", f"junk:{dump}:{n}",
                                  "junk:" + kind, 0.0))
        rng.shuffle(records[dump])

    with open(os.path.join(HERE, "planted.tsv"), "w", encoding="utf-8") as planted:
        planted.write("id\tdump\tbase\tkind\tjaccard_to_base\n")
        for dump in DUMPS:
            lines = []
            for n, (url, text, domain, lang, key, kind, j) in enumerate(records[dump]):
                doc_id = f"{dump}-{n:05d}"
                record = {"id": doc_id, "text": text, "dump": dump, "domain": domain, "lang": lang, "url": url}
                lines.append(json.dumps(record, ensure_ascii=False) + "\n")
                planted.write(f"{doc_id}\t{dump}\t{key}\t{kind}\t{j}\n")
            write_dump(os.path.join(HERE, DUMP_FILES[dump]), "".join(lines).encode("utf-8"))
    report(base, records)


def write_dump(path, data):
    if path.endswith(".gz"):
        with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
            gz.write(data)
    elif path.endswith(".zst"):
        subprocess.run(["zstd", "-q", "-f", "-19", "-o", path], input=data, check=True)
    else:
        with open(path, "wb") as f:
            f.write(data)


def report(base, records):
    """Prints the planted overlap in the shape of the paper's Table 1: the share of each dump's records that
    deduplication removes within that dump alone, and across all dumps keeping the earliest copy."""
    print(f"base documents: {len(base)}")
    seen = set()
    totals = [0, 0, 0, 0]   # records, bytes, removed within, removed across
    print("| dump | file | records | bytes | original | exact | near | junk | removed within dump | removed across dumps |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for dump in DUMPS:
        rows = records[dump]
        kinds = {k: sum(1 for r in rows if r[5].split(":")[0] == k) for k in ("original", "exact", "near", "junk")}
        keys = [r[4] for r in rows if not r[5].startswith("junk")]
        within = len(keys) - len(set(keys))
        across = within + sum(1 for k in set(keys) if k in seen)
        nbytes = sum(len(r[1].encode()) for r in rows)
        print(f"| {dump} | {DUMP_FILES[dump]} | {len(rows)} | {nbytes} | {kinds['original']} | {kinds['exact']} | "
              f"{kinds['near']} | {kinds['junk']} | {within} ({100 * within / len(rows):.1f} %) | "
              f"{across} ({100 * across / len(rows):.1f} %) |")
        seen.update(keys)
        for i, v in enumerate((len(rows), nbytes, within, across)):
            totals[i] += v
    print(f"| all | | {totals[0]} | {totals[1]} | | | | | {totals[2]} ({100 * totals[2] / totals[0]:.1f} %) | "
          f"{totals[3]} ({100 * totals[3] / totals[0]:.1f} %) |")
    js = [r[6] for d in DUMPS for r in records[d] if r[5] == "near"]
    print(f"near copies: {len(js)}, word-5-gram Jaccard to the original: min {min(js):.3f}, mean {sum(js) / len(js):.3f}")


if __name__ == "__main__":
    sys.exit(main())
