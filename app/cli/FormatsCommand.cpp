// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"
#include "Commands.h"
#include "TraceArgs.h"

#include <cstdio>

namespace deltascope::cli {

namespace {

// Every input format deltascope-cli reads, with the options that apply to it. Kept beside the
// readers' own help texts: a new reader adds its line here.
constexpr const char* kFormats
    = R"(Evaluation runs (compare, shrink; --input-format picks one when detection would not):

  lm-eval 0.4.3 and later    a folder or file written by lm_eval --output_path X --log_samples:
                             results_<timestamp>.json and samples_<task>_<timestamp>.jsonl (one
                             JSON line per document and filter; "filter" and "metrics" keys since
                             0.4.7). A folder may hold several runs: --base-run/--cand-run/--run
      options: --task --metric --filter --cluster --skip-bad-lines --input-format lm-eval
      example: deltascope-cli compare out/fp16 out/int4 --task gsm8k --filter strict-match
  lm-eval 0.4.0 to 0.4.2     results.json with <model_args>_<task>.jsonl, one indented JSON array each
      options: as above
  score tables               CSV, TSV or JSONL, one row per sample with an id and a score (the task
                             from a column or the file name; nested JSONL keys dotted)
      options: --id-column --score-column --task-column --filter-column --weight-column
               --prompt-column --response-column --target-column --cluster --skip-bad-lines
               --input-format table
      example: deltascope-cli compare mmlu_fp16.jsonl mmlu_q4.jsonl --id-column example_id \
                   --task-column metadata.subject --response-column output --target-column gold
  HELM runs                  a run folder of helm-run (run_spec.json, per_instance_stats.json,
                             scenario_state.json, display_predictions.json), paired on
                             (instance_id, train_trial_index); a perturbation is a filter. A folder
                             of run folders of one model is a suite (one task per run); of several
                             models, name one run folder
      options: --metric (default exact_match; f1_score, rouge_l, ... are continuous) --task
               --filter --skip-bad-lines --input-format helm
      example: deltascope-cli compare runs/v1/bbq:...,model=meta_llama-3-8b \
                   runs/v1/bbq:...,model=meta_llama-3-8b-chat --metric quasi_exact_match
  simple-evals               openai/simple-evals *_allresults.json: per-example scores from
                             metadata.example_level_metadata, paired on prompt_id; the eval and
                             model from the file name
      options: --metric (default score) --skip-bad-lines --input-format simple-evals
      example: deltascope-cli compare healthbench_gpt-4o_allresults.json \
                   healthbench_gpt-4o-tta_allresults.json
  Inspect logs               inspect_ai .eval logs (zip; deflate or zstd entries) and .json logs
                             (EvalLog with samples), paired on (task, sample id); epochs are
                             reruns, averaged (the first two give the noise floor); each scorer is a
                             metric (C = 1, I = 0, P = 0.5, N = 0, booleans 1/0, numbers as they
                             are; a dict score offers scorer.key); unfinished samples are named. A
                             folder of logs of several models: name one log with --base-run FILE
      options: --metric (default the first scorer) --task --skip-bad-lines --input-format inspect
      example: deltascope-cli compare logs/gpt-5.eval logs/claude-sonnet-4.eval

Router traces (trace-info, convert, xshare):

  safetensors (native)       dense scores [tokens, layers, experts] or top-k ids and scores,
                             request_id, optional step_id; metadata model, num_experts, top_k,
                             score_kind, norm_topk_prob, layers
      options: none needed
  .npy                       a dense float32/float16 array [tokens, layers, experts]
      options: --top-k (required) --experts --score-kind --no-norm-topk --model --tokens-per-request
  JSONL router records       one record per (request, layer, token) with top-k experts and scores,
                             e.g. a profiler capture; runs appended to one file are refused at the
                             first repeated record unless --split-runs
      options: --request-key --layer-key --token-key --experts-key --scores-key --step-key
               --experts --score-kind --no-norm-topk --model --skip-bad-lines --split-runs
  vLLM route logs            JSONL written from inside vLLM: a "type": "meta" record (model, top-k,
                             experts), then "type": "route" records with topk_ids/topk_weights;
                             each restart of token_idx is a forward pass, kept as a recorded batch;
                             passes that route every token alike (warm-up) are left out
      options: --experts (when the meta record lacks it) --split-runs --skip-bad-lines
               --keep-warmup-passes
      example: deltascope-cli xshare moe_layer0.jsonl --batching recorded --budget 8
  Megatron-Core              router_trace_rank<N>.jsonl (a file or a folder of ranks), with an
                             optional bf16 logits sidecar
      options: --experts --score-kind --no-norm-topk --model

Expert load counts (xshare --placement balanced --placement-counts FILE):

  SGLang CSV                 layer_id,expert_id,count
  JSON                       logical_count as [layers][experts] or [steps][layers][experts]

Expert placements (xshare --placement FILE; in the window, Placement: from a placement file):

  JSON                       {"placement": [...]} or a bare array, entry e the device of expert e,
                             or a list of devices (the first holds the expert, the others copies)
      example: {"placement": [0, [1, 0], 1, 0]}   (expert 1 on device 1, with a copy on device 0)
  CSV                        expert_id,device (header optional); an expert named again gets a copy
                             on that device. Every expert must be placed, each copy on another device
)";

} // namespace

int runFormats(const std::vector<std::string>& argv)
{
    const Args args(argv, { "help" }, {});
    if (args.has("help")) {
        std::fputs(
            "usage: deltascope-cli formats\n\nLists every input format read, with the options each takes.\n", stdout);
        return 0;
    }
    if (!args.error().empty())
        return fail(args.error() + " (see deltascope-cli formats --help)");
    if (!args.positionals().empty())
        return fail("formats takes no arguments");
    std::fputs(kFormats, stdout);
    return 0;
}

} // namespace deltascope::cli
