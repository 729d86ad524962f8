#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference numbers for the Inspect log reader, computed without Deltascope, and the small
synthetic logs (good and broken) its tests read.

Reads the real Inspect logs in ../shared/data/real/inspect_logs with Python's zipfile (deflate
entries) and the zstd command-line tool (zstd entries, zip method 93; Python 3.11 has no zstd
module), counts the paired flips, and takes the exact one-sided McNemar p from scipy.stats.binom.
Writes vectors.json and the synthetic logs next to this script.

    python3 tests/data/inspect/make_inspect_vectors.py
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib

from scipy.stats import binom

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "real", "inspect_logs"))

GPT5 = "2025-09-15T15-02-26-04-00_popularity_L8g2GLGDDfsiXvdJ8LyZNJ.eval"
SONNET = "2025-09-15T15-02-26-04-00_popularity_LthYhadZHuQjsMYHHKRep2.eval"


def value_of(v):
    """Inspect's score values as numbers: C 1, I 0, P 0.5, N 0, booleans, numbers."""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        table = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
        if v in table:
            return table[v]
        low = v.lower()
        if low in ("true", "yes"):
            return 1.0
        if low in ("false", "no"):
            return 0.0
        return float(v)
    return None


def zstd_decompress(data):
    return subprocess.run(["zstd", "-d", "-q", "-c"], input=data, capture_output=True, check=True).stdout


def read_entry(path, info):
    """An entry's bytes; zstd entries are inflated by the zstd tool from their raw bytes."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        f.seek(info.header_offset + 30 + name_len + extra_len)
        raw = f.read(info.compress_size)
    if info.compress_type == 93:
        return zstd_decompress(raw)
    if info.compress_type == 8:
        return zlib.decompress(raw, -15)
    if info.compress_type == 0:
        return raw
    raise ValueError("method %d" % info.compress_type)


def eval_samples(path):
    """{sample id: {epoch: {metric: value}}} from the samples/ entries of a .eval log."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            n = info.filename
            if not n.startswith("samples/") or not n.endswith(".json"):
                continue
            s = json.loads(read_entry(path, info))
            out.setdefault(str(s["id"]), {})[s["epoch"]] = metrics_of(s)
    return out


def json_samples(path):
    with open(path) as f:
        log = json.load(f)
    out = {}
    for s in log.get("samples", []):
        out.setdefault(str(s["id"]), {})[s["epoch"]] = metrics_of(s)
    return out


def metrics_of(sample):
    m = {}
    for scorer, score in (sample.get("scores") or {}).items():
        v = score.get("value")
        if isinstance(v, dict):
            for k, x in v.items():
                m[scorer + "." + k] = value_of(x)
        else:
            m[scorer] = value_of(v)
    return m


def mean_scores(samples, metric):
    out = {}
    for sid, epochs in samples.items():
        vals = [e[metric] for e in epochs.values() if e.get(metric) is not None]
        out[sid] = sum(vals) / len(vals) if vals else None
    return out


def mcnemar(base, cand):
    shared = sorted(set(base) & set(cand))
    b = sum(1 for i in shared if base[i] == 1 and cand[i] == 0)
    c = sum(1 for i in shared if base[i] == 0 and cand[i] == 1)
    p = 1.0 if b == 0 else float(binom.sf(b - 1, b + c, 0.5))
    return {"pairs": len(shared), "b": b, "c": c, "p_one_sided": p,
            "unmatched_base": len(set(base) - set(cand)), "unmatched_cand": len(set(cand) - set(base)),
            "base_mean": sum(base.values()) / len(base), "cand_mean": sum(cand.values()) / len(cand)}


# --- a tiny zip writer, so that the broken variants are made byte by byte ----------------------

def zip_bytes(entries, method=8):
    """entries: [(name, bytes)]; method 0 stored, 8 deflate, 93 zstd. Returns (bytes, layout)."""
    body = b""
    central = b""
    layout = []
    for name, data in entries:
        if method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed = c.compress(data) + c.flush()
        elif method == 93:
            packed = subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout
        else:
            packed = data
        crc = zlib.crc32(data) & 0xFFFFFFFF
        nb = name.encode()
        version = 63 if method == 93 else 20
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, method, 0, 0x21, crc, len(packed), len(data),
                            len(nb), 0) + nb
        layout.append({"name": name, "local": len(body), "data": len(body) + len(local), "packed": len(packed)})
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, method, 0, 0x21, crc,
                               len(packed), len(data), len(nb), 0, 0, 0, 0, 0, len(body)) + nb
        body += local + packed
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    for e, off in zip(layout, range(len(layout))):
        e["index"] = off
    return body + central + eocd, layout, len(body)


def with_stated_size(archive, layout, name, size):
    """The archive with entry `name`'s uncompressed size stated as `size` in its local header and
    in the central directory."""
    out = bytearray(archive)
    entry = next(e for e in layout if e["name"] == name)
    struct.pack_into("<I", out, entry["local"] + 22, size)
    pos = struct.unpack("<I", archive[-6:-2])[0]
    for e in layout:
        name_len = struct.unpack("<H", out[pos + 28:pos + 30])[0]
        if e["name"] == name:
            struct.pack_into("<I", out, pos + 24, size)
        pos += 46 + name_len
    return bytes(out)


def sample(sid, epoch, scores, error=None, target="B"):
    s = {"id": sid, "epoch": epoch, "input": "Question %s?" % sid, "choices": ["A", "B"], "target": target,
         "messages": [], "output": {"model": "m", "choices": [], "completion": "answer %s" % sid},
         "scores": {k: {"value": v, "answer": "ans"} for k, v in scores.items()}, "metadata": {}}
    if error:
        s["error"] = {"message": error, "traceback": ""}
    return s


def header(status, sample_ids, epochs, completed, scorers):
    return {"version": 2, "status": status,
            "eval": {"task": "synthetic", "model": "test/model", "created": "2026-01-01T00:00:00+00:00",
                     "dataset": {"samples": len(sample_ids), "sample_ids": sample_ids},
                     "config": {"epochs": epochs}, "scorers": [{"name": n} for n in scorers]},
            "results": {"total_samples": len(sample_ids) * epochs, "completed_samples": completed}}


def js(o):
    return json.dumps(o).encode()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def synthetic():
    """Small logs: epochs, partial credit, dict scores, an error, a missing sample; then breakage."""
    samples = [
        sample(1, 1, {"grade": "C", "rubric": {"acc": 1, "f1": 0.75}}),
        sample(1, 2, {"grade": "C", "rubric": {"acc": 1, "f1": 0.25}}),
        sample(2, 1, {"grade": "P", "rubric": {"acc": 0, "f1": 0.5}}),
        sample(2, 2, {"grade": "I", "rubric": {"acc": 0, "f1": 0.5}}),
        sample("q3", 1, {"grade": "N", "rubric": {"acc": True, "f1": 1.0}}),
        sample("q3", 2, {}, error="RuntimeError: the model timed out"),
    ]
    # sample 4 never finished: the header lists it, the log holds none of its epochs
    hdr = header("cancelled", [1, 2, "q3", 4], 2, 5, ["grade", "rubric"])
    entries = [("_journal/start.json", js({"version": 2, "eval": hdr["eval"]}))]
    entries += [("samples/%s_epoch_%d.json" % (s["id"], s["epoch"]), js(s)) for s in samples]
    entries += [("summaries.json", b"[]"), ("header.json", js(hdr))]
    good, layout, _ = zip_bytes(entries, 8)
    write("epochs.eval", good)
    log = dict(hdr)
    log["samples"] = samples
    write("epochs.json", js(log))
    # the chunked per-sample layout: a shell entry per sample, its sequences in entries of their own
    chunked = [e for e in entries if not e[0].startswith("samples/")]
    for s in samples:
        prefix = "samples/%s_epoch_%d/" % (s["id"], s["epoch"])
        shell = {k: v for k, v in s.items() if k not in ("messages", "events", "attachments", "metadata")}
        # the input lives in the attachments sequence, referred to by its index
        shell["input"] = "attachment://1"
        shell["sequences"] = {"messages": [0], "events": [], "calls": [], "attachments": [2]}
        chunked += [(prefix + "sample.json", js(shell)), (prefix + "messages/0.json", b"[]"),
                    (prefix + "events/stats.json", b"{}"),
                    (prefix + "attachments/0.json", js(["unused", s["input"]]))]
    write("epochs_chunked.eval", zip_bytes(chunked, 8)[0])
    zstd_log, zlayout, _ = zip_bytes(entries, 93)
    write("epochs_zstd.eval", zstd_log)

    expected = {}
    per = {}
    for s in samples:
        per.setdefault(str(s["id"]), {})[s["epoch"]] = metrics_of(s)
    for metric in ("grade", "rubric.acc", "rubric.f1"):
        expected[metric] = mean_scores(per, metric)

    # truncated: the end of central directory is gone
    write("truncated.eval", good[: len(good) * 6 // 10])
    # bad central directory: the directory's first record loses its signature
    cd_at = struct.unpack("<I", good[-6:-2])[0]
    bad = bytearray(good)
    bad[cd_at:cd_at + 4] = b"XXXX"
    write("bad_directory.eval", bytes(bad))
    # an entry that claims 4 GB uncompressed (in its local header and the directory)
    target = next(e for e in layout if e["name"] == "samples/2_epoch_1.json")
    write("claims_4gb.eval", with_stated_size(good, layout, target["name"], 0xFFFFFFF0))
    # an entry that states 10 bytes uncompressed (local header and directory) and inflates to far
    # more (half a megabyte of padding): a zip bomb that lies about its size
    padded = [e if e[0] != target["name"] else (e[0], e[1] + b" " * (512 << 10)) for e in entries]
    lying, lying_layout, _ = zip_bytes(padded, 8)
    write("lies_about_size.eval", with_stated_size(lying, lying_layout, target["name"], 10))
    # an invalid zstd frame: the frame magic of one entry is broken
    z = bytearray(zstd_log)
    zt = next(e for e in zlayout if e["name"] == "samples/2_epoch_1.json")
    z[zt["data"]:zt["data"] + 4] = b"\x00\x01\x02\x03"
    write("bad_zstd.eval", bytes(z))
    # a sample without id
    no_id = [e if e[0] != "samples/2_epoch_1.json" else (e[0], js({k: v for k, v in samples[2].items() if k != "id"}))
             for e in entries]
    write("no_id.eval", zip_bytes(no_id, 8)[0])
    return {"metrics": ["grade", "rubric.acc", "rubric.f1"], "means": expected,
            "entries": {"bad_zstd": zt["name"], "claims_4gb": target["name"], "no_id": "samples/2_epoch_1.json"},
            "epoch_flips_grade": sum(1 for sid, e in per.items()
                                     if 1 in e and 2 in e and e[1].get("grade") is not None
                                     and e[2].get("grade") is not None and e[1]["grade"] != e[2]["grade"])}


def main():
    if shutil.which("zstd") is None:
        sys.exit("the zstd command-line tool is needed (apt-get install zstd)")
    out = {}
    base = mean_scores(eval_samples(os.path.join(REAL, GPT5)), "match")
    cand = mean_scores(eval_samples(os.path.join(REAL, SONNET)), "match")
    out["popularity_gpt5_vs_sonnet4"] = mcnemar(base, cand)
    out["popularity_sonnet4_vs_gpt5"] = mcnemar(cand, base)

    qwen = mean_scores(json_samples(os.path.join(REAL, "data_arc_qwen.json")), "choice")
    sonnet = mean_scores(json_samples(os.path.join(REAL, "data_arc_sonnet.json")), "choice")
    out["arc_qwen_vs_sonnet"] = mcnemar(qwen, sonnet)

    zs = eval_samples(os.path.join(REAL, "baseline.eval"))
    out["baseline_zstd"] = {"samples": len(zs), "ids": sorted(zs, key=int),
                            "metrics": list(next(iter(zs.values()))[1].keys()),
                            "means": {m: mean_scores(zs, m) for m in next(iter(zs.values()))[1]}}

    twin_eval = eval_samples(os.path.join(REAL, "log_formats.eval"))
    twin_json = json_samples(os.path.join(REAL, "log_formats.json"))
    assert twin_eval == twin_json, "the .eval and .json twins disagree"
    out["log_formats"] = {"scores": mean_scores(twin_json, "match")}

    out["synthetic"] = synthetic()
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(out["popularity_gpt5_vs_sonnet4"]))
    print(json.dumps(out["arc_qwen_vs_sonnet"]))


if __name__ == "__main__":
    main()
