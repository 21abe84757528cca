/**
 * The fused TS2Vec step's program sequence: the fixed list of dispatches on
 * the buffers of ts2vec_buffers.ts, built once per run; a step replays it in
 * one compute pass.
 *
 * ```
 * input_fc + mask                                      1
 * 11 × (conv1 + GELU; conv2 + residual (+ dropout))   22
 * crop; (K − 1) × max-pool                             K
 * per level, deepest first: logits; rows (softmax,
 *   loss); ∂Z                                          3K
 * loss total; ∂ at the encoder output (crop, dropout)  2
 * 11 × (∂ conv2 input; ∂W₂ (+ projector); ∂ block input; ∂W₁)   44
 * ∂ input_fc; finiteness guard; AdamW                  3
 * ```
 * `K` = the number of levels of a length-`T` overlap (8 for T = 200):
 * 104 dispatches for the SleepEEG shape. Levels a shorter crop does not
 * reach are dispatched and do nothing. The logits are their own program
 * (one thread per entry): computed inside the row program, a temporal row's
 * `2T_l·C` products per thread gave wrong softmax rows on llvmpipe beyond
 * about 2·10⁴ of them.
 *
 * @module
 */
import { OptionError } from "../errors.ts";
import {
  MAX_LEVELS,
  TS_CONV,
  TS_CONV_BACK,
  TS_INPUT,
  TS_INPUT_GRAD,
  TS_WEIGHT_GRAD,
} from "./shaders_ts2vec.ts";
import {
  TS_CROP,
  TS_LEVEL_GRAD,
  TS_LOGITS,
  TS_POOL,
  TS_ROWS,
  TS_TOTAL,
  TS_UNCROP,
} from "./shaders_ts2vec_loss.ts";
import { lossSlots } from "./ts2vec_buffers.ts";
import type { Ts2vecBuffers, Ts2vecLayout } from "./ts2vec_buffers.ts";
import { addUpdate, flatGroups, sequenceBuilder } from "./step_sequence.ts";
import type { Add, Dispatch, Field } from "./step_sequence.ts";

/** ENC_UNIFORM's fields. */
function enc(
  layout: Ts2vecLayout,
  o: {
    cin: number;
    cout: number;
    dil?: number;
    w: [number, number];
    p?: [number, number] | null;
    flags: number;
    pin?: number;
    scale?: number;
  },
): Field[] {
  const p = o.p ?? [0, 0];
  return [
    { u: layout.B },
    { u: layout.T },
    { u: o.cin },
    { u: o.cout },
    { u: o.dil ?? 1 },
    { u: o.w[0] },
    { u: o.w[1] },
    { u: p[0] },
    { u: p[1] },
    { u: o.flags },
    { u: o.pin ?? 0 },
    { f: o.scale ?? 0 },
  ];
}

function addEncoder(add: Add, layout: Ts2vecLayout, b: Ts2vecBuffers, dropout: number): void {
  const { T, B, F, H, offsets, blocks } = layout;
  const frames = 2 * B * T;
  const inputW: [number, number] = [offsets["input_fc.weight"], offsets["input_fc.bias"]];
  add(TS_INPUT, enc(layout, { cin: F, cout: H, w: inputW, flags: 0 }), [
    b.dims,
    b.x,
    b.params,
    b.keep,
    b.h[0],
    b.gh[0],
    b.mask,
  ], flatGroups(frames * H));
  for (const [i, block] of blocks.entries()) {
    const { cin, cout, dilation: dil } = block;
    const last = i === blocks.length - 1;
    add(TS_CONV, enc(layout, { cin, cout, dil, w: block.conv1, flags: 2 }), [
      b.dims,
      b.gh[i],
      b.params,
      b.gh[i],
      b.drop,
      b.y1[i],
      b.gy1[i],
    ], flatGroups(frames * cout));
    // residual: projector (1) or identity (8); then dropout (4, last block) or GELU (2)
    const flags = (block.projector ? 1 : 8) | (last ? (dropout > 0 ? 4 : 0) : 2);
    const scale = dropout > 0 ? 1 / (1 - dropout) : 0;
    // the last block writes no GELU (flag 2 unset): dY1, idle until the backward pass, is bound
    const [target, gelu] = last ? [b.out, b.dY1] : [b.h[i + 1], b.gh[i + 1]];
    const w = block.conv2;
    add(
      TS_CONV,
      enc(layout, { cin: cout, cout, dil, w, p: block.projector, flags, pin: cin, scale }),
      [
        b.dims,
        b.gy1[i],
        b.params,
        b.h[i],
        b.drop,
        target,
        gelu,
      ],
      flatGroups(frames * cout),
    );
  }
}

/** LEVEL_UNIFORM's fields for level `l`. */
function levelFields(layout: Ts2vecLayout, l: number, alpha: number): Field[] {
  const { B, D, T, levelCaps } = layout;
  return [
    { u: B },
    { u: D },
    { u: l },
    { u: T },
    { f: alpha },
    { u: 4 * B * B * T },
    { u: lossSlots(layout).offsets[l] },
    { u: 4 * B * levelCaps[l] },
  ];
}

function addLoss(add: Add, layout: Ts2vecLayout, b: Ts2vecBuffers, c: Ts2vecSequenceConfig): void {
  const { B, D, T, levelCaps } = layout;
  const levels = levelCaps.length;
  const fields = (l: number) => levelFields(layout, l, c.alpha);
  add(TS_CROP, fields(0), [b.dims, b.out, b.z[0]], flatGroups(2 * B * T * D));
  for (let l = 1; l < levels; l++) {
    add(
      TS_POOL,
      fields(l),
      [b.dims, b.z[l - 1], b.z[l], b.arg[l]],
      flatGroups(2 * B * levelCaps[l] * D),
    );
  }
  for (let l = levels - 1; l >= 0; l--) {
    const cap = levelCaps[l];
    add(
      TS_LOGITS,
      fields(l),
      [b.dims, b.z[l], b.p],
      flatGroups(4 * B * B * cap + 4 * B * cap * cap),
    );
    add(TS_ROWS, fields(l), [b.dims, b.p, b.rowLoss], flatGroups(4 * B * cap));
    const next = Math.min(l + 1, levels - 1);
    add(TS_LEVEL_GRAD, fields(l), [
      b.dims,
      b.z[l],
      b.p,
      b.arg[next],
      b.dZ[(l + 1) % 2],
      b.dZ[l % 2],
    ], flatGroups(2 * B * levelCaps[l] * D));
  }
  add(TS_TOTAL, [{ u: lossSlots(layout).total }], [b.rowLoss, b.losses], [1, 1], true);
  const scale = c.dropout > 0 ? 1 / (1 - c.dropout) : 0;
  add(TS_UNCROP, [{ u: B }, { u: D }, { u: T }, { f: scale }], [
    b.dims,
    b.dZ[0],
    b.drop,
    b.dOut[0],
  ], flatGroups(2 * B * T * D));
}

function addBackward(add: Add, layout: Ts2vecLayout, b: Ts2vecBuffers): void {
  const { B, T, F, H, offsets, blocks } = layout;
  const frames = 2 * B * T;
  let at = 0; // dOut[at] holds the gradient at the current block's output
  for (let i = blocks.length - 1; i >= 0; i--) {
    const { cin, cout, dilation: dil, projector } = blocks[i];
    const dOut = b.dOut[at], dIn = b.dOut[1 - at];
    // ∂Y₁ = gelu'(Y₁)·conv2ᵀ(∂out)
    add(TS_CONV_BACK, enc(layout, { cin: cout, cout, dil, w: blocks[i].conv2, flags: 0 }), [
      b.dims,
      dOut,
      b.y1[i],
      dOut,
      b.params,
      b.dY1,
    ], flatGroups(frames * cout));
    const flags2 = projector ? 1 : 0;
    const w2 = enc(layout, {
      cin: cout,
      cout,
      dil,
      w: blocks[i].conv2,
      p: projector,
      flags: flags2,
      pin: cin,
    });
    const weights2 = cout * (3 * cout + 1) + (projector ? cout * (cin + 1) : 0);
    add(TS_WEIGHT_GRAD, w2, [b.dims, dOut, b.gy1[i], b.h[i], b.grads], flatGroups(weights2));
    const residual = projector ? 1 : 8;
    add(
      TS_CONV_BACK,
      enc(layout, { cin, cout, dil, w: blocks[i].conv1, p: projector, flags: residual }),
      [
        b.dims,
        b.dY1,
        b.h[i],
        dOut,
        b.params,
        dIn,
      ],
      flatGroups(frames * cin),
    );
    const w1 = enc(layout, { cin, cout, dil, w: blocks[i].conv1, flags: 0 });
    add(
      TS_WEIGHT_GRAD,
      w1,
      [b.dims, b.dY1, b.gh[i], b.h[i], b.grads],
      flatGroups(cout * (3 * cin + 1)),
    );
    at = 1 - at;
  }
  const inputW: [number, number] = [offsets["input_fc.weight"], offsets["input_fc.bias"]];
  add(TS_INPUT_GRAD, enc(layout, { cin: F, cout: H, w: inputW, flags: 0 }), [
    b.dims,
    b.x,
    b.mask,
    b.dOut[at],
    b.grads,
  ], flatGroups(H * (F + 1)));
}

/** What the sequence computes besides the shapes. */
export interface Ts2vecSequenceConfig {
  /** Weight of the instance term. */
  alpha: number;
  /** Output dropout rate (0: none). */
  dropout: number;
  lr: number;
  weightDecay: number;
  guarded: boolean;
}

/** The whole step's dispatches (see the module doc). */
export function buildTs2vecSequence(
  device: GPUDevice,
  layout: Ts2vecLayout,
  buffers: Ts2vecBuffers,
  config: Ts2vecSequenceConfig,
): Dispatch[] {
  if (layout.levelCaps.length > MAX_LEVELS) {
    throw new OptionError(
      `buildTs2vecSequence: T = ${layout.T} needs ${layout.levelCaps.length} loss levels, at most ${MAX_LEVELS}`,
    );
  }
  const { add, sequence } = sequenceBuilder(device, buffers);
  addEncoder(add, layout, buffers, config.dropout);
  addLoss(add, layout, buffers, config);
  addBackward(add, layout, buffers);
  addUpdate(add, layout.count, buffers, config);
  return sequence;
}
