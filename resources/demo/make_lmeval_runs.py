#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes a baseline and a candidate lm-eval run (the --log_samples layout) with known flips.

The runs are synthetic but follow lm-eval's files exactly: a results_<timestamp>.json with
results, configs (filter_list), higher_is_better, n-samples and config.model_args, and one
samples_<task>_<timestamp>.jsonl per task with doc, arguments, resps, filtered_resps, filter,
metrics and the doc/prompt/target hashes. Which documents flip between the runs is drawn with a
fixed seed, and the numbers of regressions (b) and improvements (c) per task are set exactly, so
the expected test results are known in advance.

Layouts:
  current   0.4.7 and later: one line per (doc, filter), with "filter" and "metrics"
  0.4.3     0.4.3-0.4.6: no "filter" key; a multi-filter task repeats each doc once per filter
  0.4.0     0.4.0-0.4.2: results.json and <model_args>_<task>.jsonl as one indented JSON array

Usage:
  make_lmeval_runs.py OUT_DIR [--seed 7] [--scale 1.0] [--prompt-bytes 160] [--layout current]
  make_lmeval_runs.py OUT_DIR --benchmark-mb 500     # one large run pair for the loader benchmark
"""

import argparse
import hashlib
import json
import os
import random
import zlib

WORDS = ("the of and to in is was for on that with as by at from his her an which were are this be "
         "model quantized weight expert token layer energy river city number answer question total "
         "apples train hours speed price market seven twelve fifty percent circle triangle history "
         "science planet ocean music theory language garden window mountain kitchen letter engine").split()

# task -> (n docs, baseline accuracy, {filter: (b, c)}, metrics, output_type)
DEMO_TASKS = {
    "arc_easy": (2376, 0.80, {"none": (16, 9)}, ["acc", "acc_norm"], "multiple_choice"),
    "hellaswag": (3000, 0.60, {"none": (25, 15)}, ["acc", "acc_norm"], "multiple_choice"),
    "mmlu": (6000, 0.66, {"none": (90, 60)}, ["acc"], "multiple_choice"),
    "gsm8k": (1319, 0.55, {"strict-match": (12, 7), "flexible-extract": (11, 7)}, ["exact_match"], "generate_until"),
}

# Small runs for the loader's test fixtures.
FIXTURE_TASKS = {
    "arc_easy": (40, 0.7, {"none": (3, 1)}, ["acc", "acc_norm"], "multiple_choice"),
    "gsm8k": (30, 0.5, {"strict-match": (4, 1), "flexible-extract": (2, 2)}, ["exact_match"], "generate_until"),
}

TIMESTAMPS = {"baseline": "2026-03-02T10-15-42.118204", "candidate": "2026-03-03T09-02-11.530977"}
MODELS = {"baseline": "acme/Llama-3.1-8B-Instruct", "candidate": "acme/Llama-3.1-8B-Instruct-W4A16"}


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# What real prompts and answers hold besides plain words: typographic quotes and other non-ASCII
# letters (written unescaped, as lm-eval does), LaTeX with backslashes, quotes, numbers and
# worked arithmetic, all of which the JSON parser must validate or unescape.
RICH = ("Janet’s", "naïve", "café", "—", "°C", "×", "π", "€12", "Zürich", "“quoted”", '"said"',
        "$\\frac{3}{4}$", "$x^2+1$", "\\boxed{7}", "<<16-3-4=9>>9", "$2", "18.5%", "(a)", "x_i", "#### 42")


class TextPool:
    def __init__(self, rng, size=1 << 20, rich=False):
        if rich:
            # Sentences of about twelve words, a few non-word tokens in each, a line break after
            # every third sentence and a blank line now and then (few-shot examples).
            parts = []
            total = 0
            while total < size:
                words = [rng.choice(RICH) if rng.random() < 0.12 else rng.choice(WORDS) for _ in range(12)]
                sentence = " ".join(words).capitalize() + rng.choice((". ", "? ", ".\n", ".\n\n", ". "))
                parts.append(sentence)
                total += len(sentence)
            self.text = "".join(parts)
        else:
            self.text = " ".join(rng.choice(WORDS) for _ in range(size // 5))
        self.rng = rng

    def take(self, n):
        start = self.rng.randrange(0, len(self.text) - n - 1)
        return self.text[start:start + n].strip().capitalize()


def correctness(rng, n, acc, flips):
    """Baseline and candidate correctness with exactly b regressions and c improvements."""
    base = [rng.random() < acc for _ in range(n)]
    right = [i for i in range(n) if base[i]]
    wrong = [i for i in range(n) if not base[i]]
    b, c = flips
    regress = set(rng.sample(right, b))
    improve = set(rng.sample(wrong, c))
    cand = [(not base[i]) if (i in regress or i in improve) else base[i] for i in range(n)]
    return base, cand


def make_docs(rng, pool, task, n, prompt_bytes, output_type):
    docs = []
    for i in range(n):
        question = pool.take(prompt_bytes) + "?"
        if output_type == "multiple_choice":
            choices = [pool.take(24) for _ in range(4)]
            gold = rng.randrange(4)
            doc = {"question": question, "choices": choices, "answer": gold}
            target = str(gold)
        else:
            answer = str(rng.randrange(1, 500))
            doc = {"question": question, "answer": pool.take(60) + " #### " + answer}
            target = doc["answer"]
        prompt = "Question: " + question + "\nAnswer:"
        docs.append((doc, target, prompt))
    return docs


def record(task, doc_id, doc, target, prompt, output_type, flt, metrics, correct, rng, pool, layout):
    if output_type == "multiple_choice":
        gold = doc["answer"]
        lls = [round(-rng.uniform(2.0, 9.0), 6) for _ in doc["choices"]]
        best = max(range(len(lls)), key=lambda k: lls[k])
        if correct and best != gold:
            lls[gold], lls[best] = lls[best], lls[gold]
        elif not correct and best == gold:
            other = (gold + 1) % len(lls)
            lls[gold], lls[other] = min(lls) - 0.5, max(lls) + 0.1
        arguments = {f"gen_args_{k}": {"arg_0": prompt, "arg_1": " " + ch} for k, ch in enumerate(doc["choices"])}
        resps = [[[str(ll), "False"]] for ll in lls]
        filtered = [[str(ll), "False"] for ll in lls]
    else:
        answer = doc["answer"].split("#### ")[-1]
        text = pool.take(80) + (" The answer is " + (answer if correct else str(int(answer) + 1)) + ".")
        arguments = {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["Question:"], "do_sample": False}}}
        resps = [[text]]
        filtered = [answer if correct else str(int(answer) + 1)]
    rec = {"doc_id": doc_id, "doc": doc, "target": target, "arguments": arguments, "resps": resps,
           "filtered_resps": filtered}
    if layout == "current":
        rec["filter"] = flt
        rec["metrics"] = metrics
    if layout != "0.4.0":
        rec["doc_hash"] = sha(json.dumps(doc, sort_keys=True))
        rec["prompt_hash"] = sha(prompt)
        rec["target_hash"] = sha(target)
    for m in metrics:
        rec[m] = 1.0 if correct else 0.0
    return rec


def results_file(side, tasks, accs, layout):
    res, configs, hib, nsamples = {}, {}, {}, {}
    for task, (n, _, flips, metrics, output_type) in tasks.items():
        entry = {"alias": task}
        for flt in flips:
            for m in metrics:
                entry[f"{m},{flt}"] = accs[(task, flt, m)]
                entry[f"{m}_stderr,{flt}"] = "N/A" if n < 2 else 0.01
        res[task] = entry
        cfg = {"task": task, "output_type": output_type,
               "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in metrics]}
        if len(flips) > 1 or "none" not in flips:
            cfg["filter_list"] = [{"name": f, "filter": [{"function": "regex"}, {"function": "take_first"}]}
                                  for f in flips]
        configs[task] = cfg
        hib[task] = {m: True for m in metrics}
        nsamples[task] = {"original": n, "effective": n}
    out = {"results": res, "configs": configs, "higher_is_better": hib, "n-samples": nsamples,
           "config": {"model": "hf", "model_args": "pretrained=" + MODELS[side] + ",dtype=bfloat16",
                      "batch_size": "auto", "limit": None},
           "date": 1772446542.0}
    if layout != "0.4.0":
        out.update({"model_name": MODELS[side], "model_name_sanitized": MODELS[side].replace("/", "__"),
                    "lm_eval_version": "0.4.8" if layout == "current" else "0.4.5",
                    "task_hashes": {t: sha(t + side) for t in tasks}})
    return out


def write_run(out_dir, side, tasks, data, layout):
    ts = TIMESTAMPS[side]
    model_dir = os.path.join(out_dir, side, MODELS[side].replace("/", "__"))
    os.makedirs(model_dir, exist_ok=True)
    accs = {}
    for task, (n, _, flips, metrics, _) in tasks.items():
        for flt in flips:
            corr = data[(task, flt)][side]
            for m in metrics:
                accs[(task, flt, m)] = sum(corr) / n
    results = results_file(side, tasks, accs, layout)
    if layout == "0.4.0":
        with open(os.path.join(model_dir, "results.json"), "w") as f:
            json.dump(results, f, indent=2)
    else:
        with open(os.path.join(model_dir, f"results_{ts}.json"), "w") as f:
            json.dump(results, f, indent=2)
    for task, (n, _, flips, metrics, output_type) in tasks.items():
        rng = random.Random(zlib.crc32((task + "/" + side).encode()))
        pool = data["pool"]
        records = []
        for flt in flips:  # lm-eval writes all docs of one filter, then the next
            corr = data[(task, flt)][side]
            for i, (doc, target, prompt) in enumerate(data[task]):
                records.append(record(task, i, doc, target, prompt, output_type, flt, metrics, corr[i], rng, pool,
                                      layout))
        if layout == "0.4.0":
            args = ("pretrained=" + MODELS[side] + ",dtype=bfloat16").replace("/", "__").replace("=", "__")
            with open(os.path.join(model_dir, f"{args}_{task}.jsonl"), "w") as f:
                f.write(json.dumps(records, indent=2, ensure_ascii=False))
        else:
            with open(os.path.join(model_dir, f"samples_{task}_{ts}.jsonl"), "w") as f:
                for r in records:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")


def generate(out_dir, tasks, seed, prompt_bytes, layout, rich=False):
    rng = random.Random(seed)
    data = {"pool": TextPool(rng, rich=rich)}
    for task, (n, acc, flips, metrics, output_type) in tasks.items():
        data[task] = make_docs(rng, data["pool"], task, n, prompt_bytes, output_type)
        for flt, bc in flips.items():
            base, cand = correctness(rng, n, acc, bc)
            data[(task, flt)] = {"baseline": base, "candidate": cand}
    for side in ("baseline", "candidate"):
        write_run(out_dir, side, tasks, data, layout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every task's size and flip counts")
    ap.add_argument("--prompt-bytes", type=int, default=160)
    ap.add_argument("--layout", choices=["current", "0.4.3", "0.4.0"], default="current")
    ap.add_argument("--tasks", choices=["demo", "fixture"], default="demo")
    ap.add_argument("--benchmark-mb", type=float, default=0.0,
                    help="instead of the demo, write runs of about this many MB each with long prompts")
    args = ap.parse_args()
    tasks = FIXTURE_TASKS if args.tasks == "fixture" else DEMO_TASKS
    prompt_bytes = args.prompt_bytes
    scale = args.scale
    if args.benchmark_mb > 0:
        prompt_bytes = 2400
        # Measured: about 12.3 kB per document of the demo mix at this prompt length (multiple-choice
        # records repeat the prompt once per choice, as lm-eval does).
        docs = sum(n for n, *_ in DEMO_TASKS.values())
        scale = args.benchmark_mb * 1e6 / (docs * 12300)
    if scale != 1.0:
        tasks = {t: (max(4, int(n * scale)), acc, {f: (max(0, int(b * scale)), max(0, int(c * scale)))
                                                    for f, (b, c) in fl.items()}, m, o)
                 for t, (n, acc, fl, m, o) in tasks.items()}
    generate(args.out_dir, tasks, args.seed, prompt_bytes, args.layout, rich=args.benchmark_mb > 0)


if __name__ == "__main__":
    main()
