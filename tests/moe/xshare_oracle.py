#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent numpy oracle for Deltascope's expert selection (DESIGN 4.2-4.4).

Written from the design text alone, the plain way: it builds seeded traces (dense and sparse, with
missing (token, layer) records, ties, logits), writes them as native safetensors traces and
placement files, runs `xshare_dump` (the CPU backend, or the device slice code emulated on the
host) and compares every per-budget metric, every per-layer mean and every per-slice record with
its own computation.

    xshare_oracle.py XSHARE_DUMP [--engine cpu|emulated] [--quick]

Exit 0 when everything agrees, 1 on the first disagreement (printed).
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

UNKNOWN = -np.inf


# ---------------------------------------------------------------------------------------------
# Traces


def write_trace(path, scores, ids, request, step, top_k, experts, kind="probs"):
    """Native safetensors trace: dense `scores` [T, L, N] or sparse `topk_ids`/`topk_scores`."""
    tensors = []
    if ids is None:
        tensors.append(("scores", "F32", scores.astype("<f4")))
    else:
        tensors.append(("topk_ids", "I32", ids.astype("<i4")))
        tensors.append(("topk_scores", "F32", scores.astype("<f4")))
    tensors.append(("request_id", "I32", request.astype("<i4")))
    if step is not None:
        tensors.append(("step_id", "I32", step.astype("<i4")))
    header = {"__metadata__": {"num_experts": str(experts), "top_k": str(top_k), "score_kind": kind,
                               "norm_topk_prob": "true"}}
    offset = 0
    blobs = []
    for name, dtype, array in tensors:
        data = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def gating(raw, kind):
    """Row scoring: probabilities as recorded, softmax of logits over the known experts, sigmoid.
    Computed in double, kept as float32 like the recorded scores."""
    g = raw.astype(np.float64)
    known = np.isfinite(g)
    if kind == "logits":
        out = np.full(g.shape, UNKNOWN)
        for idx in np.ndindex(g.shape[:-1]):
            row = g[idx]
            k = known[idx]
            if not k.any():
                continue
            mx = np.float32(row[k].max())
            e = np.exp((row[k].astype(np.float32) - mx).astype(np.float64))
            out[idx][k] = e / e.sum()
        g = out
    elif kind == "sigmoid":
        g = np.where(known, 1.0 / (1.0 + np.exp(-g)), UNKNOWN)
    return g.astype(np.float32)


def dense_rows(spec):
    """Gating scores [T, L, N] (float32, -inf for unknown experts) of a trace spec."""
    if spec["ids"] is None:
        return gating(spec["scores"], spec["kind"])
    T, L, K = spec["ids"].shape
    out = np.full((T, L, spec["experts"]), UNKNOWN, dtype=np.float32)
    for t in range(T):
        for l in range(L):
            for q in range(K):  # a repeated id: the later record wins
                e = spec["ids"][t, l, q]
                if 0 <= e < spec["experts"]:
                    out[t, l, e] = spec["scores"][t, l, q]
    return gating(out, spec["kind"])


# ---------------------------------------------------------------------------------------------
# Batches (DESIGN 4.2)


def replay(request, batch_size, gamma):
    tokens_of = {}
    for t, r in enumerate(request):
        tokens_of.setdefault(int(r), []).append(t)
    waiting = [tokens_of[r] for r in sorted(tokens_of)]
    slots = [[rows, 0] for rows in waiting[:batch_size]]
    started = len(slots)
    batches = []
    while any(s is not None for s in slots):
        batch = []
        for i, s in enumerate(slots):
            if s is None:
                continue
            rows, at = s
            take = rows[at:at + 1 + gamma]
            batch.extend(take)
            s[1] = at + len(take)
        batches.append(batch)
        for i, s in enumerate(slots):  # finished requests leave; the next one takes the slot
            if s is not None and s[1] >= len(s[0]):
                if started < len(waiting):
                    slots[i] = [waiting[started], 0]
                    started += 1
                else:
                    slots[i] = None
    return batches


def recorded(step):
    return [list(np.nonzero(step == s)[0]) for s in sorted(set(step.tolist()))]


# ---------------------------------------------------------------------------------------------
# One slice (DESIGN 4.3)


def best(row, allowed, k):
    """The k best known experts of a row within `allowed`: higher score first, ties to the lower id."""
    cand = [e for e in range(len(row)) if allowed[e] and row[e] != UNKNOWN]
    cand.sort(key=lambda e: (-float(row[e]), e))
    return cand[:k]


def by_value(experts, value):
    return sorted(experts, key=lambda e: (-value[e], e))


def device_loads(counts, device, replicas, G):
    """Activated experts and token-expert assignments per device; a replicated expert's tokens are
    dealt round-robin over its copies (placed device first), a copy with a token is active."""
    active = np.zeros(G, dtype=np.int64)
    load = np.zeros(G, dtype=np.int64)
    for e, c in enumerate(counts):
        if c <= 0:
            continue
        copies = [device[e]] + (replicas[e] if replicas else [])
        n = len(copies)
        for j, d in enumerate(copies):
            share = c // n + (1 if j < c % n else 0)
            if share > 0:
                active[d] += 1
                load[d] += share
    return int(active.max()), int(load.max())


def slice_metrics(g, request, cfg, budgets, k):
    """g: [T, N] gating scores of the slice. Returns None for a slice with no routed token."""
    T, N = g.shape
    everyone = np.ones(N, dtype=bool)
    R = [best(g[t], everyone, k) for t in range(T)]
    routed = [t for t in range(T) if R[t]]
    if not routed:
        return None
    base_count = np.zeros(N, dtype=np.int64)
    for t in routed:
        for e in R[t]:
            base_count[e] += 1
    u = np.where(g == UNKNOWN, 0.0, g.astype(np.float64)).sum(axis=0)
    G = cfg["G"]
    device, replicas = cfg["device"], cfg["replicas"]
    out = {"activatedBase": int((base_count > 0).sum()),
           "massBase": sum(float(g[t][e]) for t in routed for e in R[t]),
           "routed": len(routed), "budgets": {}}
    out["peakBase"], out["peakTokensBase"] = device_loads(base_count, device, replicas, G)

    policy = cfg["policy"]
    order = None
    if policy in ("batch", "ep"):
        w = cfg["warmup"]
        warm = set()
        if w > 0:
            for t in range(T):
                warm.update(best(g[t], everyone, w))
        order = by_value(sorted(warm), u) + by_value([e for e in range(N) if e not in warm], u)
    elif policy == "spec":
        m = cfg["request_experts"] or k
        batch_u = np.zeros(N)
        members = set()
        for r in sorted(set(request)):
            rows = g[[t for t in range(T) if request[t] == r]]
            seen = (rows != UNKNOWN).any(axis=0)
            ur = np.where(rows == UNKNOWN, 0.0, rows.astype(np.float64)).sum(axis=0)
            kept = by_value([e for e in range(N) if seen[e]], ur)[:m]
            for e in kept:
                batch_u[e] += ur[e]
                members.add(e)
        # The union by batch utility, then the rest of the experts by plain utility.
        order = by_value(sorted(members), batch_u) + by_value([e for e in range(N) if e not in members], u)

    for M in budgets:
        if policy == "topk":
            S = set(range(N))
        elif policy == "ep":
            cap = -(-M // cfg["devices"])
            per = np.zeros(G, dtype=np.int64)
            S = set()
            for e in order:
                if len(S) >= M:
                    break
                if per[device[e]] < cap:
                    per[device[e]] += 1
                    S.add(e)
        else:
            S = set(order[:M])
        allowed = np.array([e in S for e in range(N)])
        used = np.zeros(N, dtype=np.int64)
        mass = 0.0
        overlap = 0
        unchanged = 0
        for t in routed:
            Rp = best(g[t], allowed, k)
            for e in Rp:
                used[e] += 1
                mass += float(g[t][e])
            ov = len(set(Rp) & set(R[t]))
            overlap += ov
            unchanged += 1 if ov == len(R[t]) else 0
        peak, peak_tokens = device_loads(used, device, replicas, G)
        selected = sorted(np.nonzero(base_count > 0)[0].tolist()) if policy == "topk" else sorted(S)
        out["budgets"][M] = {"activated": int((used > 0).sum()), "mass": mass, "overlap": overlap,
                             "unchanged": unchanged, "peak": peak, "peakTokens": peak_tokens, "selected": selected,
                             "used": used}
    out["baseCount"] = base_count
    return out


# ---------------------------------------------------------------------------------------------
# A run (DESIGN 4.4)


def oracle(spec, cfg, budgets):
    rows = dense_rows(spec)
    T, L, N = rows.shape
    k = spec["top_k"]
    batches = recorded(spec["step"]) if cfg["recorded"] else replay(spec["request"], cfg["batch"], cfg["gamma"])
    per_slice = {}
    for l in range(L):
        for b, tokens in enumerate(batches):
            m = slice_metrics(rows[tokens, l, :], [int(spec["request"][t]) for t in tokens], cfg, budgets, k)
            if m is not None:
                per_slice[(l, b)] = (m, len(tokens))
    counted = len(per_slice)
    results = []
    for M in budgets:
        tot = {x: 0.0 for x in ("ab", "a", "mb", "m", "ov", "un", "ro", "pb", "p", "ptb", "pt")}
        layer = {l: [0, 0.0, 0.0, 0.0, 0.0] for l in range(L)}
        for (l, b), (m, _) in per_slice.items():
            x = m["budgets"][M]
            tot["ab"] += m["activatedBase"]
            tot["a"] += x["activated"]
            tot["mb"] += m["massBase"]
            tot["m"] += x["mass"]
            tot["ov"] += x["overlap"]
            tot["un"] += x["unchanged"]
            tot["ro"] += m["routed"]
            tot["pb"] += m["peakBase"]
            tot["p"] += x["peak"]
            tot["ptb"] += m["peakTokensBase"]
            tot["pt"] += x["peakTokens"]
            ly = layer[l]
            ly[0] += 1
            ly[1] += m["activatedBase"]
            ly[2] += x["activated"]
            ly[3] += m["massBase"]
            ly[4] += x["mass"]
        n = counted or 1
        results.append({
            "budget": M, "activatedBase": int(tot["ab"]), "activated": int(tot["a"]),
            "massRetained": tot["m"] / tot["mb"] if tot["mb"] > 0 else 1.0,
            "topkOverlap": tot["ov"] / (tot["ro"] * k) if tot["ro"] else 1.0,
            "unchangedTokens": tot["un"] / tot["ro"] if tot["ro"] else 1.0,
            "peakDeviceLoadBase": tot["pb"] / n, "peakDeviceLoad": tot["p"] / n,
            "peakDeviceTokensBase": tot["ptb"] / n, "peakDeviceTokens": tot["pt"] / n,
            "perLayer": [{"layer": l, "activatedBaseMean": layer[l][1] / max(1, layer[l][0]),
                          "activatedMean": layer[l][2] / max(1, layer[l][0]),
                          "massRetained": layer[l][4] / layer[l][3] if layer[l][3] > 0 else 1.0}
                         for l in range(L)]})
    first = budgets[0]
    slices = []
    for (l, b) in sorted(per_slice):
        m, tokens = per_slice[(l, b)]
        x = m["budgets"][first]
        slices.append({"layer": l, "batch": b, "tokens": tokens, "activatedBase": m["activatedBase"],
                       "activated": x["activated"],
                       "massRetained": x["mass"] / m["massBase"] if m["massBase"] > 0 else 1.0,
                       "selected": x["selected"]})
    # Activation maps of the first budget: per layer, the fraction of its counted slices where each
    # expert is active; per placed device, active experts and token assignments per counted slice.
    G = cfg["G"]
    maps = {"base": [0.0] * (L * N), "policy": [0.0] * (L * N), "deviceBase": [0.0] * G, "device": [0.0] * G,
            "deviceTokensBase": [0.0] * G, "deviceTokens": [0.0] * G}
    layer_slices = [0] * L
    for (l, b), (m, _) in per_slice.items():
        layer_slices[l] += 1
        used = m["budgets"][first]["used"]
        for e in range(N):
            d = cfg["device"][e]
            if m["baseCount"][e] > 0:
                maps["base"][l * N + e] += 1
                maps["deviceBase"][d] += 1
                maps["deviceTokensBase"][d] += int(m["baseCount"][e])
            if used[e] > 0:
                maps["policy"][l * N + e] += 1
                maps["device"][d] += 1
                maps["deviceTokens"][d] += int(used[e])
    for l in range(L):
        for e in range(N):
            maps["base"][l * N + e] /= max(1, layer_slices[l])
            maps["policy"][l * N + e] /= max(1, layer_slices[l])
    for key in ("deviceBase", "device", "deviceTokensBase", "deviceTokens"):
        maps[key] = [x / max(1, counted) for x in maps[key]]
    return {"sliceCount": counted, "results": results, "slices": slices, "maps": maps}


# ---------------------------------------------------------------------------------------------
# Comparison


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def compare(ours, theirs, where):
    def fail(what):
        print(f"FAIL {where}: {what}")
        return False

    if ours["sliceCount"] != theirs["sliceCount"]:
        return fail(f"slices counted: deltascope {theirs['sliceCount']}, numpy {ours['sliceCount']}")
    for x, y in zip(ours["results"], theirs["results"]):
        for key in x:
            if key == "perLayer":
                for lx, ly in zip(x[key], y[key]):
                    for lk in lx:
                        if not close(lx[lk], ly[lk]):
                            return fail(f"budget {x['budget']} layer {lx['layer']} {lk}: deltascope {ly[lk]}, "
                                        f"numpy {lx[lk]}")
            elif not close(x[key], y[key]):
                return fail(f"budget {x['budget']} {key}: deltascope {y[key]}, numpy {x[key]}")
    if "maps" in theirs:
        for key, values in ours["maps"].items():
            for i, (x, y) in enumerate(zip(values, theirs["maps"][key])):
                if not close(x, y):
                    return fail(f"maps {key}[{i}]: deltascope {y}, numpy {x}")
    if len(ours["slices"]) != len(theirs["slices"]):
        return fail(f"slice records: deltascope {len(theirs['slices'])}, numpy {len(ours['slices'])}")
    for x, y in zip(ours["slices"], theirs["slices"]):
        for key in x:
            ok = x[key] == y[key] if key == "selected" else close(x[key], y[key])
            if not ok:
                return fail(f"slice (layer {x['layer']}, batch {x['batch']}) {key}: deltascope {y[key]}, "
                            f"numpy {x[key]}")
    return True


def make_specs(rng):
    specs = []

    def requests(T, n):
        return (np.arange(T) * n // T).astype(np.int32)

    # Dense probabilities, 16 experts, top-2, recorded steps.
    T, L, N = 90, 2, 16
    s = rng.dirichlet(np.full(N, 0.3), size=(T, L)).astype(np.float32)
    req = requests(T, 12)
    step = np.zeros(T, dtype=np.int32)
    seen = {}
    for t, r in enumerate(req):
        step[t] = r % 3 * 100 + seen.get(r, 0)
        seen[r] = seen.get(r, 0) + 1
    specs.append({"name": "dense N=16 k=2", "scores": s, "ids": None, "request": req, "step": step, "top_k": 2,
                  "experts": N, "kind": "probs"})
    # Dense, 32 experts, top-4, quantised scores (many ties).
    T, L, N = 80, 2, 32
    s = (rng.integers(0, 5, size=(T, L, N)) / 8.0).astype(np.float32)
    specs.append({"name": "dense N=32 k=4 ties", "scores": s, "ids": None, "request": requests(T, 10), "step": None,
                  "top_k": 4, "experts": N, "kind": "probs"})
    # Dense logits, 24 experts, top-3.
    T, L, N = 60, 2, 24
    s = rng.normal(0.0, 2.0, size=(T, L, N)).astype(np.float32)
    specs.append({"name": "dense logits N=24 k=3", "scores": s, "ids": None, "request": requests(T, 8), "step": None,
                  "top_k": 3, "experts": N, "kind": "logits"})
    # Sparse, 32 experts, top-4: whole (token, layer) records missing, short rows. A router picks an
    # expert once per token, and a trace that repeats one is refused, so each row's ids differ.
    T, L, N, K = 100, 3, 32, 4
    ids = np.argsort(rng.random((T, L, N)), axis=2)[:, :, :K].astype(np.int32)
    ids[rng.random((T, L, K)) < 0.05] = -1
    req = requests(T, 14)
    ids[req < 10, 1, :] = -1  # requests 0-9 miss layer 1: whole slices without a routed token
    ids[rng.random((T, L)) < 0.08] = -1
    sc = rng.random((T, L, K)).astype(np.float32)
    specs.append({"name": "sparse N=32 k=4 missing records", "scores": sc, "ids": ids, "request": req,
                  "step": None, "top_k": 4, "experts": N, "kind": "probs"})
    return specs


def write_placements(folder, N):
    """A placement on 3 devices as JSON with copies, and as CSV with a repeated expert."""
    placement = [[e % 3] for e in range(N)]
    placement[0].append(1)
    placement[5].extend([(placement[5][0] + 1) % 3, (placement[5][0] + 2) % 3])
    placement[N - 1].append((placement[N - 1][0] + 1) % 3)
    path_json = os.path.join(folder, f"placement{N}.json")
    with open(path_json, "w") as f:
        json.dump({"placement": [p if len(p) > 1 else p[0] for p in placement]}, f)
    path_csv = os.path.join(folder, f"placement{N}.csv")
    with open(path_csv, "w") as f:
        f.write("expert_id,device\n")
        for e in range(N):
            f.write(f"{e},{(N - 1 - e) % 3}\n")
        f.write("2,0\n" if (N - 1 - 2) % 3 != 0 else "2,1\n")
    return [(path_json, placement), (path_csv, None)]


def placement_of(path, N):
    """Device map and copies from a CSV placement, read the plain way."""
    device = [None] * N
    replicas = [[] for _ in range(N)]
    with open(path) as f:
        next(f)
        for line in f:
            e, d = (int(x) for x in line.split(","))
            if device[e] is None:
                device[e] = d
            else:
                replicas[e].append(d)
    return device, replicas


def configs(spec, folder, quick):
    N = spec["experts"]
    k = spec["top_k"]
    out = []
    batchings = [{"recorded": False, "batch": 8, "gamma": 0}, {"recorded": False, "batch": 5, "gamma": 2}]
    if spec["step"] is not None:
        batchings.append({"recorded": True, "batch": 0, "gamma": 0})
    if quick:
        batchings = batchings[:1]
    for bt in batchings:
        for warmup in (0, 1, k + 1):
            out.append(dict(bt, policy="batch", warmup=warmup, devices=1, placement=None, request_experts=0))
        out.append(dict(bt, policy="topk", warmup=1, devices=4, placement=None, request_experts=0))
        for m in (0, 1):
            out.append(dict(bt, policy="spec", warmup=1, devices=2, placement=None, request_experts=m))
        out.append(dict(bt, policy="ep", warmup=1, devices=4, placement=None, request_experts=0))
        out.append(dict(bt, policy="ep", warmup=0, devices=3, placement=None, request_experts=0))
        for path, _ in write_placements(folder, N):
            for policy in ("ep", "batch"):
                out.append(dict(bt, policy=policy, warmup=1, devices=3, placement=path, request_experts=0))
    return out


def expand(cfg, N):
    """Device map and copies the oracle uses for a configuration."""
    G = cfg["devices"]
    if cfg["placement"] is None:
        cfg["device"] = [e * G // N for e in range(N)]
        cfg["replicas"] = None
    elif cfg["placement"].endswith(".csv"):
        cfg["device"], cfg["replicas"] = placement_of(cfg["placement"], N)
    else:
        with open(cfg["placement"]) as f:
            entries = json.load(f)["placement"]
        lists = [x if isinstance(x, list) else [x] for x in entries]
        cfg["device"] = [x[0] for x in lists]
        cfg["replicas"] = [x[1:] for x in lists]
    cfg["G"] = G
    return cfg


def run_dump(dump, engine, path, cfg, budgets, maps):
    cmd = [dump, path, "--policy", cfg["policy"], "--budgets", ",".join(str(b) for b in budgets),
           "--warmup", str(cfg["warmup"]), "--devices", str(cfg["devices"]),
           "--request-experts", str(cfg["request_experts"]), "--engine", engine]
    if cfg["recorded"]:
        cmd.append("--recorded")
    else:
        cmd += ["--batch-size", str(cfg["batch"]), "--gamma", str(cfg["gamma"])]
    if cfg["placement"]:
        cmd += ["--placement", cfg["placement"]]
    if maps:
        cmd.append("--maps")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    dump = sys.argv[1]
    engine = "emulated" if "--engine" in sys.argv and sys.argv[sys.argv.index("--engine") + 1] == "emulated" else "cpu"
    quick = "--quick" in sys.argv
    rng = np.random.default_rng(2026)
    cases = 0
    with tempfile.TemporaryDirectory() as folder:
        for spec in make_specs(rng):
            path = os.path.join(folder, "trace.safetensors")
            write_trace(path, spec["scores"], spec["ids"], spec["request"], spec["step"], spec["top_k"],
                        spec["experts"], spec["kind"])
            N, k = spec["experts"], spec["top_k"]
            for cfg in configs(spec, folder, quick):
                expand(cfg, N)
                every = list(range(k, N + 1))
                picks = [k + 1, N // 2, k] if quick else [k, k + 1, N // 2, N]
                # Every budget in one run (the nested policies sweep), then single budgets (each from
                # its selected set, once with the activation maps on).
                runs = [(every, False)] + [([m], i % 2 == 1) for i, m in enumerate(picks)]
                for budgets, maps in runs:
                    where = (f"{spec['name']} {engine} policy={cfg['policy']} warmup={cfg['warmup']} "
                             f"devices={cfg['devices']} m={cfg['request_experts']} "
                             f"{'recorded' if cfg['recorded'] else 'B=%d gamma=%d' % (cfg['batch'], cfg['gamma'])} "
                             f"placement={os.path.basename(cfg['placement'] or 'blocks')} "
                             f"budgets={budgets[0]}..{budgets[-1]}{' maps' if maps else ''}")
                    theirs = run_dump(dump, engine, path, cfg, budgets, maps)
                    ours = oracle(spec, cfg, budgets)
                    cases += 1
                    if not compare(ours, theirs, where):
                        return 1
            print(f"{spec['name']}: agrees ({engine})")
    print(f"{cases} runs agree with numpy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
