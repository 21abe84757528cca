/**
 * The fused step's program sequence: each WGSL program of shaders.ts with
 * its uniform block (written once), its bind group and its workgroup count,
 * built once per run. A step replays the list in one compute pass.
 *
 * @module
 */
import * as shaders from "./shaders.ts";
import { LAYERS, USAGE_UNIFORM } from "./step_buffers.ts";
import type { StepBuffers, StepLayout } from "./step_buffers.ts";

/** One dispatch of the sequence. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number];
}

/** Records `sequence` in one compute pass of `commands` (one dispatch each, in order). */
export function encodeSequence(commands: GPUCommandEncoder, sequence: Dispatch[]): void {
  const pass = commands.beginComputePass();
  for (const { pipeline, bindGroup, groups } of sequence) {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1]);
  }
  pass.end();
}

/** What the sequence computes besides the shapes. */
export interface SequenceConfig {
  /**
   * The loss: LS_MARGIN (reference sim vector), emargin-stable (intended sim
   * vector) or decoupled InfoNCE, the last two in the "ls" form.
   */
  kind: "ls-margin" | "stable" | "infonce";
  /** Anchors of stable and InfoNCE: two neighbours per centre ("ls") or one positive ("single"). */
  form: "ls" | "single";
  temperature: number;
  margin: number;
  gamma: number;
  threshold: number;
  simVariant: "reference" | "intended";
  lr: number;
  weightDecay: number;
  guarded: boolean;
}

/** One field of a uniform block: an integer (u32) or a float (f32). */
export type Field = { u: number } | { f: number };

function uniformBytes(fields: Field[]): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.ceil((fields.length * 4) / 16) * 16);
  const view = new DataView(bytes);
  fields.forEach((field, i) => {
    if ("u" in field) view.setUint32(i * 4, field.u, true);
    else view.setFloat32(i * 4, field.f, true);
  });
  return bytes;
}

/** Workgroup counts covering `threads` one-per-index, folded into 2-D past the 65 535 limit. */
export function flatGroups(threads: number): [number, number] {
  const groups = Math.ceil(threads / shaders.WG);
  if (groups <= 32768) return [Math.max(groups, 1), 1];
  return [32768, Math.ceil(groups / 32768)];
}

/** Appends programs to a sequence; bindings: uniform block, [step uniform], storage buffers. */
export type Add = (
  code: string,
  fields: Field[],
  buffers: GPUBuffer[],
  groups: [number, number],
  withStep?: boolean,
) => void;

/** Builds a sequence program by program (see {@linkcode Add}); uniforms join `buffers.all`. */
export function sequenceBuilder(
  device: GPUDevice,
  buffers: Pick<StepBuffers, "all" | "step">,
): { add: Add; sequence: Dispatch[] } {
  const sequence: Dispatch[] = [];
  const pipelines = new Map<string, GPUComputePipeline>();
  const add: Add = (code, fields, bound, groups, withStep = false) => {
    let pipeline = pipelines.get(code);
    if (!pipeline) {
      pipeline = device.createComputePipeline({
        layout: "auto",
        compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
      });
      pipelines.set(code, pipeline);
    }
    const bytes = uniformBytes(fields);
    const uniform = device.createBuffer({ size: bytes.byteLength, usage: USAGE_UNIFORM });
    buffers.all.push(uniform);
    device.queue.writeBuffer(uniform, 0, bytes);
    const entries = [uniform, ...(withStep ? [buffers.step] : []), ...bound];
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    sequence.push({ pipeline, bindGroup, groups });
  };
  return { add, sequence };
}

/** LINEAR_UNIFORM of layer `l`: `[N, inDim, outDim, weight offset, bias offset]`. */
function convFields(layout: StepLayout, l: number): Field[] {
  const { N, widths, offsets } = layout;
  return [
    { u: N },
    { u: widths[l - 1] },
    { u: widths[l] },
    { u: offsets[`conv${l}.weight`] },
    { u: offsets[`conv${l}.bias`] },
  ];
}

function addForward(add: Add, layout: StepLayout, b: StepBuffers, c: SequenceConfig): void {
  const { N, F, widths, offsets } = layout;
  if (c.kind !== "infonce") {
    const variant = c.simVariant === "reference" ? 0 : 1;
    add(shaders.SIM_VECTOR, [{ u: N }, { u: F }, { f: c.threshold }, { u: variant }], [
      b.x,
      b.sim,
    ], flatGroups(N));
  }
  for (const [i, l] of LAYERS.entries()) {
    const outDim = widths[l];
    const input = i === 0 ? b.x : b.a[i - 1];
    const conv = convFields(layout, l);
    add(shaders.LINEAR, conv, [input, b.params, b.h[i]], flatGroups(N * outDim));
    const momentum = 0.1;
    const stats: Field[] = [
      { u: N },
      { u: outDim },
      { u: layout.runOffsets[i] },
      { f: 1e-5 },
      { f: momentum },
      { f: 1 - momentum },
      { f: N / Math.max(N - 1, 1) },
    ];
    add(shaders.BN_STATS, stats, [b.h[i], b.stats[i], b.running, b.state], [outDim, 1]);
    const bn: Field[] = [
      { u: N },
      { u: outDim },
      { u: offsets[`bn${l}.weight`] },
      { u: offsets[`bn${l}.bias`] },
    ];
    add(shaders.BN_RELU, bn, [b.h[i], b.stats[i], b.params, b.a[i]], flatGroups(N * outDim));
  }
}

/** The buffers LS_MARGIN's programs use. */
export type LossBuffers = Pick<
  StepBuffers,
  "sim" | "u" | "norms" | "s" | "coefficients" | "cs" | "wg" | "dU" | "gradA" | "losses"
>;

/**
 * Appends the loss's 7 programs: from the embeddings `z [N, D]` (and, for
 * LS_MARGIN, the sim vector) to the loss (in the step's loss slot) and
 * `∂L/∂z` (in `gradA`).
 */
export function addLoss(
  add: Add,
  layout: Pick<StepLayout, "N" | "D">,
  b: LossBuffers,
  c: Pick<SequenceConfig, "kind" | "form" | "temperature" | "margin" | "gamma">,
  z: GPUBuffer,
): void {
  const { N, D } = layout;
  const fields: Field[] = [
    { u: N },
    { f: c.margin },
    { f: c.kind === "stable" ? c.gamma / (2 * c.temperature) : c.gamma / c.temperature },
    { f: 1 / c.temperature },
  ];
  add(shaders.NORMALIZE, [{ u: N }, { u: D }], [z, b.u, b.norms], flatGroups(N));
  // one thread per 4 × 4 output block
  const tiles = (cols: number, rows: number): [number, number] => {
    const blocks = Math.ceil(cols / shaders.BLOCK) * Math.ceil(rows / shaders.BLOCK);
    const groups = Math.ceil(blocks / shaders.PRODUCT_WG);
    return groups <= 32768 ? [groups, 1] : [32768, Math.ceil(groups / 32768)];
  };
  // S = U·Uᵀ
  const gram: Field[] = [{ u: N }, { u: N }, { u: D }, { u: D }, { u: D }, { u: 1 }];
  add(shaders.BLOCKED_PRODUCT, gram, [b.u, b.u, b.s], tiles(N, N));
  if (c.kind === "ls-margin") {
    add(shaders.COLUMN_SUMS, fields, [b.s, b.sim, b.cs], [N, 1]);
    add(shaders.LOSS_TAIL, fields, [b.cs, b.wg, b.losses], [1, 1], true);
    add(shaders.COEFFICIENTS, fields, [b.s, b.sim, b.wg, b.coefficients], flatGroups(N * N));
  } else if (c.kind === "stable") {
    add(shaders.STABLE_COLUMN_SUMS, fields, [b.s, b.sim, b.cs], [N, 1]);
    const tail = c.form === "ls" ? shaders.STABLE_TAIL : shaders.STABLE_SINGLE_TAIL;
    add(tail, fields, [b.cs, b.sim, b.wg, b.losses], [1, 1], true);
    add(shaders.STABLE_COEFFICIENTS, fields, [b.s, b.sim, b.wg, b.coefficients], flatGroups(N * N));
  } else {
    add(shaders.INFONCE_COLUMN_SUMS, fields, [b.s, b.cs], [N, 1]);
    const tail = c.form === "ls" ? shaders.INFONCE_TAIL : shaders.INFONCE_SINGLE_TAIL;
    add(tail, fields, [b.cs, b.wg, b.losses], [1, 1], true);
    add(shaders.INFONCE_COEFFICIENTS, fields, [b.s, b.wg, b.coefficients], flatGroups(N * N));
  }
  // ∂U = A·U
  const product: Field[] = [{ u: N }, { u: D }, { u: N }, { u: N }, { u: D }, { u: 0 }];
  add(shaders.BLOCKED_PRODUCT, product, [b.coefficients, b.u, b.dU], tiles(D, N));
  add(shaders.NORMALIZE_BACK, [{ u: N }, { u: D }], [b.u, b.norms, b.dU, b.gradA], flatGroups(N));
}

function addBackward(add: Add, layout: StepLayout, b: StepBuffers): void {
  const { N, widths, offsets } = layout;
  // ∂A of layer i is in gradA, ∂H in gradH.
  for (let i = 2; i >= 0; i--) {
    const l = LAYERS[i];
    const [inDim, outDim] = [widths[l - 1], widths[l]];
    const bn: Field[] = [
      { u: N },
      { u: outDim },
      { u: offsets[`bn${l}.weight`] },
      { u: offsets[`bn${l}.bias`] },
    ];
    add(shaders.BN_BACK_SUMS, bn, [b.gradA, b.a[i], b.h[i], b.stats[i], b.grads], [outDim, 1]);
    add(
      shaders.BN_BACK_INPUT,
      bn,
      [b.gradA, b.a[i], b.h[i], b.stats[i], b.params, b.grads, b.gradH],
      flatGroups(N * outDim),
    );
    const conv = convFields(layout, l);
    const input = i === 0 ? b.x : b.a[i - 1];
    add(shaders.WEIGHT_GRAD, conv, [b.gradH, input, b.grads], flatGroups(outDim * (inDim + 1)));
    if (i > 0) {
      add(shaders.INPUT_GRAD, conv, [b.gradH, b.params, b.gradA], flatGroups(N * inDim));
    }
  }
}

/** The buffers the finiteness guard and AdamW bind. */
export type UpdateBuffers = Pick<
  StepBuffers,
  "grads" | "params" | "m" | "v" | "losses" | "state" | "flags"
>;

/**
 * Appends the step's last two programs over the `count` flat parameters: the
 * finiteness guard (flags the step's loss and gradients; in guarded mode the
 * first non-finite step stops every later update) and AdamW in torch's order
 * (`β = (0.9, 0.999)`, `ε = 1e−8`, decay `1 − lr·λ`; the bias corrections
 * come from the step uniform).
 */
export function addUpdate(
  add: Add,
  count: number,
  b: UpdateBuffers,
  c: Pick<SequenceConfig, "lr" | "weightDecay" | "guarded">,
): void {
  const [beta1, beta2] = [0.9, 0.999];
  add(
    shaders.GUARD,
    [{ u: count }, { u: c.guarded ? 1 : 0 }],
    [b.grads, b.losses, b.state, b.flags],
    [1, 1],
    true,
  );
  add(
    shaders.ADAMW,
    [
      { u: count },
      { f: 1 - c.lr * c.weightDecay },
      { f: beta1 },
      { f: beta2 },
      { f: 1 - beta1 },
      { f: 1 - beta2 },
      { f: 1e-8 },
    ],
    [b.grads, b.params, b.m, b.v, b.state],
    flatGroups(count),
    true,
  );
}

/**
 * Builds the whole step (30 dispatches, 29 without the sim vector): forward (sim vector, 3 × conv, BN
 * statistics, BN + ReLU), LS_MARGIN and its gradient, backward through the
 * layers, the finiteness guard and AdamW.
 */
export function buildSequence(
  device: GPUDevice,
  layout: StepLayout,
  buffers: StepBuffers,
  config: SequenceConfig,
): Dispatch[] {
  const { add, sequence } = sequenceBuilder(device, buffers);
  addForward(add, layout, buffers, config);
  addLoss(add, layout, buffers, config, buffers.a[2]);
  addBackward(add, layout, buffers);
  addUpdate(add, layout.count, buffers, config);
  return sequence;
}
