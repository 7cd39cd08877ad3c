/** The model and GPU pickers every article and the planner share, and the byte-unit switch. */
import { GPU_LIST, isInputError, MemlensError, parseConfigJson } from "@memlens/core";
import { useState } from "preact/hooks";
import { BYTE_UNITS, type ByteUnit, fmtBandwidth, fmtBytes, fmtInt } from "../lib/format.js";
import { addGgufUpload, addUpload, catalogGroups, uploadedChoices } from "../lib/models.js";
import { setGpu, setModel, useGpu, useModel, useUnit } from "../state/selection.js";
import { Problem, Segmented } from "./controls.js";

const VENDOR_LABEL = {
  nvidia: "NVIDIA",
  amd: "AMD",
  intel: "Intel",
  apple: "Apple (unified memory)",
  cpu: "CPU only (system RAM)",
} as const;
/** Picker group of a catalog entry: CPU-only machines get their own group, GPUs group by vendor. */
const groupOf = (g: (typeof GPU_LIST)[number]): keyof typeof VENDOR_LABEL =>
  g.kind === "cpu" ? "cpu" : g.vendor;

export function ModelPicker({ id = "model-picker" }: { id?: string }) {
  const { choice, problem } = useModel();
  const [uploadProblem, setUploadProblem] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const uploads = uploadedChoices();
  const loadTyped = () => {
    const k = typed.trim();
    if (k) setModel(k);
  };
  const groups = catalogGroups();

  async function onConfig(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    try {
      if (file.size > 16 * 1024 * 1024) throw new Error("a config.json over 16 MiB is not a config");
      const config = parseConfigJson(await file.text());
      if (typeof config !== "object" || config === null || Array.isArray(config))
        throw new Error("the file is not a JSON object");
      const key = addUpload({
        name: file.name.replace(/\.json$/i, ""),
        config: config as Record<string, unknown>,
      });
      setUploadProblem(null);
      setModel(key);
    } catch (err) {
      setUploadProblem(`Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function onGguf(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    try {
      const { readGgufUpload } = await import("../lib/gguf-upload.js");
      const { spec, summary } = await readGgufUpload(file);
      const key = addGgufUpload(spec.id, spec, summary);
      setUploadProblem(null);
      setModel(key);
    } catch (err) {
      const msg =
        err instanceof MemlensError || (err instanceof Error && isInputError(err))
          ? err.message
          : String(err instanceof Error ? err.message : err);
      setUploadProblem(`Could not read ${file.name}: ${msg}`);
    }
  }

  return (
    <div class="picker">
      <div class="field">
        <label for={id}>Model</label>
        <select
          id={id}
          value={choice.key}
          onChange={(e) => setModel((e.currentTarget as HTMLSelectElement).value)}
        >
          {choice.origin === "hub" || !groups.some((g) => g.ids.includes(choice.key)) ? (
            <option value={choice.key}>{choice.label}</option>
          ) : null}
          {uploads.length > 0 ? (
            <optgroup label="Uploaded in this tab">
              {uploads.map((u) => (
                <option key={u.key} value={u.key}>
                  {u.label}
                </option>
              ))}
            </optgroup>
          ) : null}
          {groups.map((g) => (
            <optgroup key={g.org} label={g.org}>
              {g.ids.map((mid) => (
                <option key={mid} value={mid}>
                  {mid.slice(g.org.length + 1)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div class="field hub-field">
        <label for={`${id}-hub`}>Any Hub id or ollama tag</label>
        <input
          id={`${id}-hub`}
          type="text"
          data-testid="hub-model"
          placeholder="org/name, org/name-GGUF:Q4_K_M, llama3.1:8b"
          value={typed}
          spellcheck={false}
          autoComplete="off"
          onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              loadTyped();
            }
          }}
        />
        <button type="button" data-testid="hub-load" onClick={loadTyped}>
          Load
        </button>
      </div>
      <div class="uploads">
        <label class="upload">
          <input
            type="file"
            accept=".json,application/json"
            onChange={onConfig}
            data-testid="upload-config"
          />
          <span>Upload config.json</span>
        </label>
        <label class="upload">
          <input type="file" accept=".gguf" onChange={onGguf} data-testid="upload-gguf" />
          <span>Upload GGUF</span>
        </label>
      </div>
      <p class="picker-facts" data-testid="model-facts">
        {choice.spec.architecture} · {fmtInt(choice.spec.parameters)} parameters · {choice.spec.numLayers}{" "}
        layers
        {choice.gguf ? ` · GGUF ${choice.gguf.fileType ?? ""}: ${choice.gguf.tensorCount} tensors` : ""}
      </p>
      {problem ? <Problem>{problem}</Problem> : null}
      {uploadProblem ? <Problem>{uploadProblem}</Problem> : null}
    </div>
  );
}

export function GpuPicker({ id = "gpu-picker" }: { id?: string }) {
  const { gpu, problem } = useGpu();
  const [unit] = useUnit();
  const vendors = ["nvidia", "amd", "intel", "apple", "cpu"] as const;
  return (
    <div class="picker">
      <div class="field">
        <label for={id}>GPU</label>
        <select id={id} value={gpu.id} onChange={(e) => setGpu((e.currentTarget as HTMLSelectElement).value)}>
          {vendors.map((v) => (
            <optgroup key={v} label={VENDOR_LABEL[v]}>
              {GPU_LIST.filter((g) => groupOf(g) === v).map((g) => (
                <option key={g.id} value={g.id}>
                  {g.id} · {fmtBytes(g.memoryBytes, unit, 0)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <p class="picker-facts" data-testid="gpu-facts">
        {gpu.name} · {fmtBytes(gpu.memoryBytes, unit)} {gpu.memoryType} ·{" "}
        {fmtBandwidth(gpu.bandwidthBytesPerSecond)}
      </p>
      {problem ? <Problem>{problem}</Problem> : null}
    </div>
  );
}

export function UnitSwitch() {
  const [unit, setUnit] = useUnit();
  return (
    <Segmented<ByteUnit>
      name="unit"
      legend="Bytes in"
      value={unit}
      options={BYTE_UNITS.map((u) => ({ value: u, label: u === "gib" ? "GiB (2³⁰)" : "GB (10⁹)" }))}
      onChange={setUnit}
    />
  );
}

/** The sticky bar at the top of an article: model, GPU, unit. */
export function SelectionBar() {
  return (
    <fieldset class="selection-bar">
      <legend class="visually-hidden">Model and GPU for every widget on this page</legend>
      <ModelPicker />
      <GpuPicker />
      <UnitSwitch />
    </fieldset>
  );
}
