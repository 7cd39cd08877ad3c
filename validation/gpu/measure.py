#!/usr/bin/env python3
"""Measure the peak GPU memory of real training steps, for memlens' training estimator.

Each grid point builds a model from a real config.json in packages/core/data/hf-configs (optionally
with fewer layers) with random weights -- nothing is downloaded -- and runs a few training steps
(forward with labels, backward, optimizer step, zero_grad(set_to_none=True)) the way the HF Trainer
does, then records torch.cuda.max_memory_allocated / max_memory_reserved of the steady-state steps.
Every point runs in its own subprocess so each starts from a clean CUDA context and an OOM is an
outcome, not a crash.

Usage (on a machine with a CUDA GPU, PyTorch, transformers and peft; bitsandbytes for QLoRA):
    python3 validation/gpu/measure.py                 # the default grid -> validation/gpu/measured.jsonl
    python3 validation/gpu/measure.py --grid full     # a larger grid
    python3 validation/gpu/measure.py --dry-run       # list the grid points only
    python3 validation/gpu/measure.py --limit 4       # the first points only

Each record carries the exact config used and the memlens scenario it corresponds to, so the main
test suite (validation/gpu/test/measured.test.ts) can compare core's estimate against it.
"""

from __future__ import annotations

import argparse
import copy
import gc
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CONFIGS = REPO / "packages" / "core" / "data" / "hf-configs"
OUT = HERE / "measured.jsonl"

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


def grid(kind: str) -> list[dict]:
    """Grid points: model x method x precision x micro-batch x sequence x checkpointing x attention."""
    points = []
    if kind == "default":
        variants = [
            ("full", "bf16", "adamw"),
            ("full", "bf16-mixed", "adamw"),
            ("lora", "bf16", "adamw"),
            ("qlora", "bf16-mixed", "adamw"),
        ]
        shapes = [(1, 1024), (4, 1024)]
        ckpts = ["none", "full"]
        attns = ["sdpa"]
    else:
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
        MODELS, variants, shapes, ckpts, attns
    ):
        if attn == "flash" and model["id"] == "openai-community/gpt2" and kind != "full":
            continue
        points.append(
            {
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


def run_one(point: dict) -> dict:
    """One grid point in this process (called in a fresh subprocess)."""
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
    del model, opt, params
    gc.collect()
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", choices=["default", "full"], default="default")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=int, default=300, help="seconds per grid point")
    args = ap.parse_args()

    if args.one:
        point = json.loads(args.one)
        try:
            result = run_one(point)
        except Exception as e:  # noqa: BLE001 - an OOM or an unsupported setting is an outcome
            oom = "out of memory" in str(e).lower()
            result = {"outcome": "oom" if oom else "error", "error": f"{type(e).__name__}: {str(e)[:500]}"}
        print("MEMLENS_RESULT " + json.dumps(result))
        return 0

    points = grid(args.grid)[: args.limit]
    if args.dry_run:
        for p in points:
            print(json.dumps(p))
        print(f"{len(points)} grid points", file=sys.stderr)
        return 0

    records = []
    for i, p in enumerate(points):
        t0 = time.time()
        proc = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(p)],
            capture_output=True,
            text=True,
            timeout=args.timeout,
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
        )
        line = next((x for x in proc.stdout.splitlines() if x.startswith("MEMLENS_RESULT ")), None)
        result = json.loads(line[len("MEMLENS_RESULT ") :]) if line else {"outcome": "error", "error": proc.stderr[-800:]}
        rec = {
            "id": "gpu-"
            + "-".join(
                str(x)
                for x in (
                    p["model"].split("/")[-1],
                    f"L{p['layers']}" if p["layers"] else "all",
                    p["method"],
                    p["precision"],
                    p["optimizer"],
                    f"b{p['micro_batch']}",
                    f"s{p['sequence_length']}",
                    f"ckpt-{p['checkpointing']}",
                    p["attention"],
                )
            ),
            "point": p,
            **result,
            "seconds": round(time.time() - t0, 1),
        }
        if result.get("outcome") == "ok":
            rec["scenario"] = scenario_of(p, result["config"], result["gpu_memory_bytes"])
        records.append(rec)
        status = result.get("outcome")
        peak = result.get("measured", {}).get("max_allocated_bytes")
        print(f"[{i + 1}/{len(points)}] {rec['id']}: {status} {peak if peak is not None else ''}", flush=True)

    with args.out.open("w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    print(f"wrote {len(records)} records to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
