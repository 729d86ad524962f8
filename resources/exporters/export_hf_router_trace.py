#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Records the router scores of a Hugging Face MoE model into a Deltascope trace (safetensors).

For every prompt (one per line of the prompt file) the model decodes greedily, and at every
generated token the router logits of every MoE layer are recorded (transformers'
output_router_logits). The trace holds them dense, as logits with the model's scoring named in the
metadata, so Deltascope applies softmax (or sigmoid) exactly as the model does.

  export_hf_router_trace.py --model mistralai/Mixtral-8x7B-Instruct-v0.1 --prompts prompts.txt \\
      --max-new-tokens 128 --output mixtral.safetensors
  export_hf_router_trace.py --random-config mixtral --prompts prompts.txt --output tiny.safetensors

--random-config builds a small randomly initialised model (mixtral, qwen2_moe or olmoe) and needs
no download: it checks the whole path on any machine with torch and transformers.
"""

import argparse
import json
import struct
import sys

import numpy as np


def tiny_model(kind, seed):
    import torch
    import transformers

    torch.manual_seed(seed)
    common = dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    if kind == "mixtral":
        cfg = transformers.MixtralConfig(num_local_experts=8, num_experts_per_tok=2, **common)
        model = transformers.MixtralForCausalLM(cfg)
    elif kind == "qwen2_moe":
        cfg = transformers.Qwen2MoeConfig(num_experts=16, num_experts_per_tok=4, moe_intermediate_size=64,
                                          shared_expert_intermediate_size=64, norm_topk_prob=False, **common)
        model = transformers.Qwen2MoeForCausalLM(cfg)
    elif kind == "olmoe":
        cfg = transformers.OlmoeConfig(num_experts=16, num_experts_per_tok=4, norm_topk_prob=False, **common)
        model = transformers.OlmoeForCausalLM(cfg)
    else:
        sys.exit(f"unknown --random-config {kind}: use mixtral, qwen2_moe or olmoe")
    return model.eval(), None, f"random-{kind}"


def model_facts(config):
    """(num_experts, top_k, norm_topk_prob, score_kind) from a transformers config."""
    n = getattr(config, "num_local_experts", None) or getattr(config, "num_experts", None) \
        or getattr(config, "n_routed_experts", None)
    k = getattr(config, "num_experts_per_tok", None) or getattr(config, "moe_top_k", None)
    if n is None or k is None:
        sys.exit("the model config names no experts (num_local_experts / num_experts) or top-k")
    norm = getattr(config, "norm_topk_prob", None)
    if norm is None:
        norm = config.model_type == "mixtral"  # Mixtral always renormalises its top-2
    kind = "sigmoid" if getattr(config, "scoring_func", "softmax") == "sigmoid" else "logits"
    return int(n), int(k), bool(norm), kind


def encode(tokenizer, text, vocab):
    if tokenizer is not None:
        return tokenizer(text, return_tensors="pt").input_ids
    import torch
    ids = [b % vocab for b in text.encode("utf-8")] or [0]
    return torch.tensor([ids])


def record(model, tokenizer, prompts, max_new_tokens, include_prompt, device):
    import torch

    rows, requests = [], []
    moe_layers = None
    vocab = model.config.vocab_size
    for r, prompt in enumerate(prompts):
        ids = encode(tokenizer, prompt, vocab).to(device)
        past = None
        step_input = ids
        for step in range(max_new_tokens):
            with torch.no_grad():
                out = model(input_ids=step_input, past_key_values=past, use_cache=True, output_router_logits=True)
            past = out.past_key_values
            logits = [x for x in out.router_logits if x is not None]
            if moe_layers is None:
                moe_layers = [i for i, x in enumerate(out.router_logits) if x is not None]
            positions = step_input.shape[1]
            # router logits are [batch * positions, experts]; keep the positions of interest
            per_layer = torch.stack([x.reshape(positions, -1) for x in logits], dim=1).float().cpu().numpy()
            take = per_layer if (include_prompt and step == 0) else per_layer[-1:]
            rows.append(take)
            requests.extend([r] * take.shape[0])
            step_input = out.logits[:, -1:].argmax(dim=-1)
            if tokenizer is not None and tokenizer.eos_token_id is not None and int(step_input) == tokenizer.eos_token_id:
                break
    return np.concatenate(rows, axis=0), np.asarray(requests, dtype=np.int32), moe_layers


def write_trace(path, scores, requests, metadata):
    """Writes the native format: scores F32 [tokens, layers, experts], request_id I32 [tokens]."""
    scores = np.ascontiguousarray(scores, dtype="<f4")
    requests = np.ascontiguousarray(requests, dtype="<i4")
    header = {
        "scores": {"dtype": "F32", "shape": list(scores.shape), "data_offsets": [0, scores.nbytes]},
        "request_id": {"dtype": "I32", "shape": [len(requests)],
                       "data_offsets": [scores.nbytes, scores.nbytes + requests.nbytes]},
        "__metadata__": {k: str(v) for k, v in metadata.items()},
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(scores.tobytes())
        f.write(requests.tobytes())
    import os
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="a Hugging Face model id or local folder")
    src.add_argument("--random-config", choices=["mixtral", "qwen2_moe", "olmoe"],
                     help="a small randomly initialised model (no download)")
    ap.add_argument("--prompts", required=True, help="text file, one prompt per line")
    ap.add_argument("--output", required=True)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--include-prompt", action="store_true", help="also record the prompt (prefill) tokens")
    ap.add_argument("--device", default=None, help="cuda, cpu, ... (default: cuda when available)")
    ap.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.random_config:
        model, tokenizer, name = tiny_model(args.random_config, args.seed)
    else:
        import transformers
        dtype = None if args.dtype == "auto" else getattr(torch, args.dtype)
        tokenizer = transformers.AutoTokenizer.from_pretrained(args.model)
        model = transformers.AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=dtype).eval()
        name = args.model
    model.to(device)
    with open(args.prompts, encoding="utf-8") as f:
        prompts = [line.rstrip("\n") for line in f if line.strip()]
    if not prompts:
        sys.exit(f"{args.prompts}: no prompts")
    n, k, norm, kind = model_facts(model.config)
    scores, requests, layers = record(model, tokenizer, prompts, args.max_new_tokens, args.include_prompt, device)
    if scores.shape[2] != n:
        sys.exit(f"router logits have {scores.shape[2]} experts, the config says {n}")
    write_trace(args.output, scores, requests, {
        "format": "deltascope-trace", "model": name, "num_experts": n, "top_k": k, "score_kind": kind,
        "norm_topk_prob": "true" if norm else "false", "layers": ",".join(str(i) for i in layers),
    })
    print(f"wrote {args.output}: {scores.shape[0]} tokens x {scores.shape[1]} MoE layers x {n} experts "
          f"(top-{k}, {kind}) from {len(prompts)} prompts")


if __name__ == "__main__":
    main()
