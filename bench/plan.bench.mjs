// Planner throughput: candidate scenarios evaluated per second, against a baseline measured in the
// same run (one full estimate() call per candidate, the naive way to search).
import { estimate, planDeployment } from "../packages/core/dist/index.js";

const req = {
  model: "meta-llama/Llama-3.1-70B",
  gpu: "H100-SXM-80GB",
  gpuCount: 4,
  goal: { kind: "longest-context", concurrency: 1 },
};
planDeployment(req); // warm up
const t0 = performance.now();
const r = planDeployment(req);
const seconds = (performance.now() - t0) / 1000;
const perSecond = r.candidatesEvaluated / seconds;

// Baseline: full estimates, one per candidate, for 0.5 s.
let n = 0;
const b0 = performance.now();
while (performance.now() - b0 < 500) {
  estimate({
    model: { id: req.model },
    hardware: { gpu: req.gpu, count: 4 },
    parallel: { tensor: 4 },
    contextLength: 1024 + 256 * (n % 100),
  });
  n++;
}
const basePerSecond = n / ((performance.now() - b0) / 1000);
console.log(
  `\nPlanner: ${r.candidatesEvaluated.toLocaleString("en-US")} candidates in ${seconds.toFixed(3)} s = ${Math.round(perSecond).toLocaleString("en-US")} candidates/s`,
);
console.log(
  `Baseline (one full estimate() per candidate): ${Math.round(basePerSecond).toLocaleString("en-US")} candidates/s`,
);
console.log(
  `Ratio: ${(perSecond / basePerSecond).toFixed(0)}× the baseline; ${r.pareto.length} on the Pareto front`,
);
