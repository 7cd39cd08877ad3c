import type { TrainingOptions } from "../scenario/scenario.js";
import type { TrainableTensor } from "./lora.js";

export type OptimizerKind = TrainingOptions["optimizer"];

/** bitsandbytes 8-bit optimizers keep 32-bit state for tensors under `min_8bit_size` elements. */
export const BNB_MIN_8BIT_SIZE = 4096;
/** Elements per FP32 absmax of bitsandbytes' block-wise 8-bit optimizer state. */
export const BNB_OPTIMIZER_BLOCK = 2048;

export interface OptimizerStateBytes {
  /** Persistent state (moments) for all the tensors, on whichever device holds it. */
  readonly stateBytes: number;
  /** Extra memory the step allocates on top of the state (foreach temporaries, fp32 upcasts). */
  readonly stepTransientBytes: number;
  /** What the state holds, one phrase. */
  readonly description: string;
}

/**
 * Optimizer state of `tensors`, with moments stored at `momentBytes` per element (the parameter's
 * dtype for torch optimizers, FP32 under DeepSpeed / FSDP master weights).
 *
 * - adamw: exp_avg + exp_avg_sq per element (torch.optim.AdamW `_init_group`: zeros_like(p)). The
 *   default foreach step allocates one temporary the size of exp_avg_sq (`_multi_tensor_adamw`:
 *   `exp_avg_sq_sqrt = torch._foreach_sqrt(device_exp_avg_sqs)`); `fusedStep` (DeepSpeed FusedAdam,
 *   fused=True) updates in place.
 * - adamw-8bit: bitsandbytes AdamW8bit: state1/state2 uint8 + one FP32 absmax per 2048 elements each
 *   (Optimizer2State.init_state, block_wise=True); tensors under 4096 elements keep FP32 state.
 * - adafactor: transformers Adafactor with beta1=None (its default): factored second moment for ≥2-D
 *   tensors (exp_avg_sq_row shape[:-1] + exp_avg_sq_col shape[:-2]+shape[-1:]), full exp_avg_sq for
 *   1-D, all FP32 (Shazeer & Stern 2018, alg. 4); the step upcasts one tensor at a time.
 * - sgd: one momentum buffer per element (torch.optim.SGD with momentum > 0).
 */
export function optimizerStateBytes(
  kind: OptimizerKind,
  tensors: readonly TrainableTensor[],
  momentBytes: number,
  fusedStep: boolean,
): OptimizerStateBytes {
  const total = tensors.reduce((s, t) => s + t.elements, 0);
  const largest = tensors.reduce((m, t) => Math.max(m, t.elements), 0);
  switch (kind) {
    case "adamw":
      return {
        stateBytes: 2 * total * momentBytes,
        stepTransientBytes: fusedStep ? 0 : total * momentBytes,
        description: `AdamW exp_avg + exp_avg_sq at ${momentBytes} bytes each`,
      };
    case "adamw-8bit": {
      let bytes = 0;
      for (const t of tensors) {
        if (t.elements < BNB_MIN_8BIT_SIZE) bytes += 2 * 4 * t.elements;
        else bytes += 2 * (t.elements + 4 * Math.ceil(t.elements / BNB_OPTIMIZER_BLOCK));
      }
      return {
        stateBytes: bytes,
        stepTransientBytes: 0,
        description: "bitsandbytes AdamW8bit: two uint8 states + FP32 absmax per 2048 elements",
      };
    }
    case "adafactor": {
      let bytes = 0;
      for (const t of tensors) {
        const s = t.shape;
        if (s.length >= 2) {
          const lead = s.slice(0, -2).reduce((a, b) => a * b, 1);
          const rows = s[s.length - 2] ?? 1;
          const cols = s[s.length - 1] ?? 1;
          bytes += 4 * lead * (rows + cols);
        } else bytes += 4 * t.elements;
      }
      // Step: grad and param upcast to FP32 plus the update, one tensor at a time.
      return {
        stateBytes: bytes,
        stepTransientBytes: 3 * 4 * largest,
        description: "Adafactor factored second moments (row + column), FP32, no first moment",
      };
    }
    case "sgd":
      return {
        stateBytes: total * momentBytes,
        stepTransientBytes: 0,
        description: `SGD momentum buffer at ${momentBytes} bytes`,
      };
  }
}
