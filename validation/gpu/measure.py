#!/usr/bin/env python3
"""Measure the peak GPU memory of real training steps and generate() calls, for memlens.

Each case builds a model from a real config.json in packages/core/data/hf-configs (optionally with
fewer layers) with random weights -- nothing is downloaded. Training cases run a few steps the way the
HF Trainer does (forward with labels, logits dropped, backward, clip-grad, optimizer step,
zero_grad(set_to_none=True)) and record torch.cuda.max_memory_allocated / max_memory_reserved of the
steady-state steps; inference cases record the peak of one model.generate() call. An OOM is an
outcome, not a crash.

Cases run in one worker process (one CUDA context, memory freed between cases) so the default grid
finishes in one call of at most 10 minutes on one H100: a total budget (--budget-s) stops starting
new cases in time to write the results, and a per-case guard (--case-timeout) kills a case that
hangs and restarts the worker on the next case. Results are appended case by case, so a run cut
short keeps what it measured.

Usage (a CUDA GPU, PyTorch, transformers and peft; QLoRA cases only if bitsandbytes imports):
    python3 validation/gpu/measure.py OUT_DIR              # default grid -> OUT_DIR/measured.jsonl,
                                                           #   OUT_DIR/inference.jsonl, OUT_DIR/summary.txt
    python3 validation/gpu/measure.py OUT_DIR --grid full  # a larger grid (needs a longer budget)
    python3 validation/gpu/measure.py --dry-run            # list the cases only

Each record carries the exact config used and the memlens scenario it corresponds to, so the test
suite (validation/gpu/test/measured.test.ts) can compare core's estimate against it once the files
are copied to validation/gpu/.
"""

from __future__ import annotations

import argparse
import copy
import gc
import itertools
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CONFIGS = REPO / "packages" / "core" / "data" / "hf-configs"
OUT_DIR = HERE

# Small real configs (layers cut where noted) covering GQA + RMSNorm (Qwen3, Llama 3.2), LayerNorm +
# MHA + dropout (GPT-2) and MoE routing (Qwen1.5-MoE).
MODELS = [
    {"id": "Qwen/Qwen3-0.6B", "layers": 8},
    {"id": "meta-llama/Llama-3.2-1B-Instruct", "layers": 4},
    {"id": "openai-community/gpt2", "layers": None},
    {"id": "Qwen/Qwen1.5-MoE-A2.7B", "layers": 2},
]

LORA_TARGETS = {
    "openai-community/gpt2": ["c_attn", "c_proj", "c_fc"],
}
DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]
STEPS = 3

# generate() cases: prompt tokens, new tokens, batch (greedy, DynamicCache, bf16 weights).
INFERENCE = [(512, 128, 1), (512, 128, 4), (2048, 64, 2)]


def bnb_available() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means no QLoRA cases
        return False
    return True


def grid(kind: str, qlora: bool) -> list[dict]:
    """Training cases: model x method x precision x micro-batch x sequence x checkpointing x attention."""
    points = []
    if kind == "default":
        # Sized for one call of at most 10 minutes on one H100 (a few seconds per case).
        models = MODELS[:3]
        variants = [
            ("full", "bf16", "adamw"),
            ("full", "bf16-mixed", "adamw"),
            ("lora", "bf16", "adamw"),
            ("qlora", "bf16-mixed", "adamw"),
        ]
        shapes = [(1, 512), (4, 512), (1, 2048), (2, 2048)]
        ckpts = ["none", "full"]
        attns = ["sdpa"]
    else:
        models = MODELS
        variants = [
            (m, p, o)
            for m in ("full", "lora", "qlora")
            for p in ("bf16", "bf16-mixed")
            for o in ("adamw", "adamw-8bit")
            if not (m == "qlora" and p == "bf16")
        ]
        shapes = [(1, 512), (1, 2048), (4, 512), (2, 2048)]
        ckpts = ["none", "full"]
        attns = ["sdpa", "eager", "flash"]
    for model, (method, precision, optimizer), (micro, seq), ckpt, attn in itertools.product(
        models, variants, shapes, ckpts, attns
    ):
        if method == "qlora" and not qlora:
            continue
        if optimizer == "adamw-8bit" and not qlora:
            continue
        if attn == "flash" and model["id"] == "openai-community/gpt2":
            continue
        points.append(
            {
                "kind": "training",
                "model": model["id"],
                "layers": model["layers"],
                "method": method,
                "precision": precision,
                "optimizer": optimizer,
                "micro_batch": micro,
                "sequence_length": seq,
                "checkpointing": ckpt,
                "attention": attn,
                "lora_rank": 16,
                "lora_targets": LORA_TARGETS.get(model["id"], DEFAULT_TARGETS),
            }
        )
    return points


def inference_grid(kind: str) -> list[dict]:
    """generate() cases: model x (prompt, new tokens, batch)."""
    models = MODELS[:3] if kind == "default" else MODELS
    return [
        {
            "kind": "inference",
            "model": m["id"],
            "layers": m["layers"],
            "prompt_tokens": prompt,
            "new_tokens": new,
            "batch": batch,
            "sequence_length": prompt + new,
            "attention": "sdpa",
        }
        for m in models
        for prompt, new, batch in INFERENCE
    ]


def case_id(p: dict) -> str:
    common = [p["model"].split("/")[-1], f"L{p['layers']}" if p["layers"] else "all"]
    if p["kind"] == "inference":
        rest = ["generate", f"b{p['batch']}", f"p{p['prompt_tokens']}", f"n{p['new_tokens']}"]
    else:
        rest = [
            p["method"],
            p["precision"],
            p["optimizer"],
            f"b{p['micro_batch']}",
            f"s{p['sequence_length']}",
            f"ckpt-{p['checkpointing']}",
            p["attention"],
        ]
    return "gpu-" + "-".join(str(x) for x in common + rest)


def load_config(point: dict) -> dict:
    cfg = json.loads((CONFIGS / point["model"] / "config.json").read_text())
    if point["layers"] is not None:
        for key in ("num_hidden_layers", "n_layer", "num_layers"):
            if key in cfg:
                cfg[key] = point["layers"]
    cfg.pop("quantization_config", None)
    # Longer sequences than the config's positions would fail; GPT-2 has 1024 learned positions.
    for key in ("max_position_embeddings", "n_positions"):
        if key in cfg and cfg[key] < point["sequence_length"]:
            point["skip"] = f"{key} {cfg[key]} < sequence length"
    return cfg


def scenario_of(point: dict, cfg: dict, gpu_bytes: int) -> dict:
    """The memlens scenario this run corresponds to (SCENARIO.md)."""
    if point["kind"] == "inference":
        return {
            "model": {"hfConfig": cfg},
            "task": "inference",
            "engine": "transformers",
            "weights": "bf16",
            "contextLength": point["sequence_length"],
            "batch": point["batch"],
            "hardware": {"memoryBytes": gpu_bytes, "count": 1},
            "engineOptions": {"attention": point["attention"]},
        }
    training = {
        "method": point["method"],
        "optimizer": point["optimizer"],
        "precision": point["precision"],
        "microBatch": point["micro_batch"],
        "sequenceLength": point["sequence_length"],
        "activationCheckpointing": point["checkpointing"],
    }
    if point["method"] != "full":
        training["lora"] = {"rank": point["lora_rank"], "alpha": 2 * point["lora_rank"], "targets": point["lora_targets"]}
    return {
        "model": {"hfConfig": cfg},
        "task": "training",
        "engine": "transformers",
        "hardware": {"memoryBytes": gpu_bytes, "count": 1},
        "engineOptions": {"attention": point["attention"]},
        "training": training,
    }


def run_generate(point: dict) -> dict:
    """One generate() case: greedy decoding of new_tokens after a prompt, DynamicCache, bf16."""
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    cfg = load_config(point)
    if "skip" in point:
        return {"outcome": "skipped", "reason": point["skip"]}
    config = AutoConfig.for_model(**copy.deepcopy(cfg))
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16, attn_implementation="sdpa").cuda()
    model.eval()
    vocab = cfg.get("vocab_size") or cfg.get("text_config", {}).get("vocab_size")
    ids = torch.randint(0, vocab, (point["batch"], point["prompt_tokens"]), device="cuda")
    weights_bytes = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        out = model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=point["new_tokens"],
            min_new_tokens=point["new_tokens"],
            do_sample=False,
            pad_token_id=0,
        )
    torch.cuda.synchronize()
    props = torch.cuda.get_device_properties(0)
    result = {
        "outcome": "ok",
        "measured": {
            "max_allocated_bytes": torch.cuda.max_memory_allocated(),
            "max_reserved_bytes": torch.cuda.max_memory_reserved(),
            "weights_allocated_bytes": weights_bytes,
            "generated_tokens": int(out.shape[1] - ids.shape[1]),
        },
        "gpu": props.name,
        "gpu_memory_bytes": props.total_memory,
        "versions": {"torch": torch.__version__, "cuda": torch.version.cuda, "transformers": transformers.__version__},
        "config": cfg,
    }
    del model, ids, out
    gc.collect()
    torch.cuda.empty_cache()
    return result


def run_case(point: dict) -> dict:
    """One case in this process; an OOM or an unsupported setting is an outcome."""
    try:
        return run_generate(point) if point["kind"] == "inference" else run_one(point)
    except Exception as e:  # noqa: BLE001
        oom = "out of memory" in str(e).lower()
        try:
            import torch

            gc.collect()
            torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass
        return {"outcome": "oom" if oom else "error", "error": f"{type(e).__name__}: {str(e)[:500]}"}


def run_one(point: dict) -> dict:
    """One training case in this process."""
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    cfg = load_config(point)
    if "skip" in point:
        return {"outcome": "skipped", "reason": point["skip"]}
    attn = {"sdpa": "sdpa", "eager": "eager", "flash": "flash_attention_2"}[point["attention"]]
    mixed = point["precision"].endswith("mixed")
    half = torch.bfloat16 if point["precision"].startswith("bf16") else torch.float16
    load_dtype = torch.float32 if (mixed and point["method"] == "full") or point["precision"] == "fp32" else half
    config = AutoConfig.for_model(**copy.deepcopy(cfg))
    config.use_cache = False

    peft_version = None
    bnb_version = None
    tmp = None
    if point["method"] == "qlora":
        import bitsandbytes
        from transformers import BitsAndBytesConfig

        bnb_version = bitsandbytes.__version__
        # Quantization happens in from_pretrained: save random bf16 weights locally first.
        tmp = tempfile.mkdtemp(prefix="memlens-gpu-")
        AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16).save_pretrained(tmp)
        bnb = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        model = AutoModelForCausalLM.from_pretrained(
            tmp, quantization_config=bnb, attn_implementation=attn, device_map={"": 0}, torch_dtype=torch.bfloat16
        )
    else:
        model = AutoModelForCausalLM.from_config(config, torch_dtype=load_dtype, attn_implementation=attn).cuda()

    if point["method"] in ("lora", "qlora"):
        import peft
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        peft_version = peft.__version__
        if point["method"] == "qlora":
            model = prepare_model_for_kbit_training(
                model,
                use_gradient_checkpointing=point["checkpointing"] == "full",
                gradient_checkpointing_kwargs={"use_reentrant": True},
            )
        lora = LoraConfig(
            r=point["lora_rank"],
            lora_alpha=2 * point["lora_rank"],
            target_modules=point["lora_targets"],
            lora_dropout=0.0,
            bias="none",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    if point["checkpointing"] == "full":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
        if hasattr(model, "enable_input_require_grads"):
            model.enable_input_require_grads()
    model.train()

    params = [p for p in model.parameters() if p.requires_grad]
    if point["optimizer"] == "adamw-8bit":
        import bitsandbytes

        opt = bitsandbytes.optim.AdamW8bit(params, lr=1e-5)
    else:
        opt = torch.optim.AdamW(params, lr=1e-5)

    b, s = point["micro_batch"], point["sequence_length"]
    vocab = cfg.get("vocab_size") or cfg.get("text_config", {}).get("vocab_size")
    ids = torch.randint(0, vocab, (b, s), device="cuda")
    mask = torch.ones_like(ids)
    labels = ids.clone()
    if b > 1:
        # One padded position, so the batch carries a padding mask like real padded batches.
        mask[0, -1] = 0
        labels[0, -1] = -100

    weights_bytes = torch.cuda.memory_allocated()
    peaks = []
    for step in range(STEPS):
        torch.cuda.reset_peak_memory_stats()
        with torch.autocast("cuda", dtype=half, enabled=mixed):
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
        loss = out.loss
        del out  # the HF Trainer returns the loss only: logits are freed before backward
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        peaks.append(
            {
                "max_allocated_bytes": torch.cuda.max_memory_allocated(),
                "max_reserved_bytes": torch.cuda.max_memory_reserved(),
            }
        )
    steady = peaks[1:] or peaks
    props = torch.cuda.get_device_properties(0)
    result = {
        "outcome": "ok",
        "measured": {
            "max_allocated_bytes": max(p["max_allocated_bytes"] for p in steady),
            "max_reserved_bytes": max(p["max_reserved_bytes"] for p in steady),
            "weights_allocated_bytes": weights_bytes,
            "per_step": peaks,
        },
        "trainable_parameters": sum(p.numel() for p in params),
        "gpu": props.name,
        "gpu_memory_bytes": props.total_memory,
        "versions": {
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "transformers": transformers.__version__,
            "peft": peft_version,
            "bitsandbytes": bnb_version,
        },
        "config": cfg,
    }
    del model, opt, params, ids, mask, labels, loss
    gc.collect()
    torch.cuda.empty_cache()
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return result


def worker(cases_file: str) -> int:
    """Runs the cases of a file one after another, printing one result line per case."""
    cases = json.loads(Path(cases_file).read_text())
    for p in cases:
        print("MEMLENS_START " + case_id(p), flush=True)
        t0 = time.time()
        result = run_case(p)
        result["seconds"] = round(time.time() - t0, 1)
        print("MEMLENS_RESULT " + json.dumps(result), flush=True)
    return 0


def record_of(p: dict, result: dict) -> dict:
    rec = {"id": case_id(p), "point": p, **result}
    if result.get("outcome") == "ok":
        rec["scenario"] = scenario_of(p, result["config"], result["gpu_memory_bytes"])
    return rec


def run_all(cases: list[dict], out_dir: Path, budget_s: float, case_timeout_s: float) -> list[dict]:
    """Runs every case in a worker process under a total budget and a per-case guard; appends each
    record to OUT_DIR/measured.jsonl (training) or OUT_DIR/inference.jsonl as soon as it exists."""
    files = {"training": out_dir / "measured.jsonl", "inference": out_dir / "inference.jsonl"}
    for f in files.values():
        f.write_text("")
    deadline = time.time() + budget_s
    records: list[dict] = []
    todo = list(cases)

    def emit(p: dict, result: dict) -> None:
        rec = record_of(p, result)
        records.append(rec)
        with files[p["kind"]].open("a") as f:
            f.write(json.dumps(rec) + "\n")
        peak = result.get("measured", {}).get("max_allocated_bytes")
        print(f"[{len(records)}/{len(cases)}] {rec['id']}: {result.get('outcome')} {peak if peak is not None else ''}", flush=True)

    while todo:
        if time.time() + 5 > deadline:
            for p in todo:
                emit(p, {"outcome": "skipped", "reason": "total time budget spent"})
            break
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tf:
            json.dump(todo, tf)
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", tf.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
        )
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        started = time.time()
        killed = None
        while todo:
            limit = min(started + case_timeout_s, deadline)
            events = sel.select(timeout=max(0.0, limit - time.time()))
            if not events:
                killed = "case timeout" if time.time() < deadline else "total time budget spent"
                break
            line = proc.stdout.readline()
            if line == "":
                killed = "worker exited"
                break
            if line.startswith("MEMLENS_START "):
                started = time.time()
            elif line.startswith("MEMLENS_RESULT "):
                emit(todo.pop(0), json.loads(line[len("MEMLENS_RESULT ") :]))
                started = time.time()
        if killed:
            proc.kill()
            proc.wait()
            if todo:
                # The case in flight hung, crashed the worker or ran past the budget: record it, go on.
                emit(todo.pop(0), {"outcome": "timeout" if "timeout" in killed else "error", "error": killed})
        else:
            proc.wait()
        os.unlink(tf.name)
    return records


def summary(records: list[dict]) -> str:
    lines = []
    for r in records:
        m = r.get("measured", {})
        peak = m.get("max_allocated_bytes")
        gib = f"{peak / 2**30:8.3f} GiB" if peak is not None else "           -"
        lines.append(f"{r['outcome']:8} {gib}  {r['id']}")
    counts = {}
    for r in records:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    lines.append(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", nargs="?", type=Path, default=OUT_DIR, help="folder for measured.jsonl, inference.jsonl, summary.txt")
    ap.add_argument("--grid", choices=["default", "full"], default="default")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--budget-s", type=float, default=540, help="total seconds for all cases (default 540)")
    ap.add_argument("--case-timeout", type=float, default=60, help="seconds one case may take (default 60)")
    ap.add_argument("--no-inference", action="store_true", help="skip the generate() cases")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        return worker(args.worker)

    qlora = bnb_available()
    cases = ([] if args.no_inference else inference_grid(args.grid)) + grid(args.grid, qlora)
    cases = cases[: args.limit]
    if args.dry_run:
        for p in cases:
            print(json.dumps(p))
        print(f"{len(cases)} cases (QLoRA {'on' if qlora else 'off: bitsandbytes does not import'})", file=sys.stderr)
        return 0

    args.out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    records = run_all(cases, args.out_dir, args.budget_s, args.case_timeout)
    text = summary(records) + f"{time.time() - t0:.0f} s, QLoRA {'on' if qlora else 'off'}\n"
    (args.out_dir / "summary.txt").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
