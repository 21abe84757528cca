import assert from "node:assert/strict";
import { makeRng } from "../lib/random.ts";

/** Per seed: six `next()` as u32, a fork's first, then `int(1000)` and `normal()` (sfc32, pinned). */
const PINNED: [number, number[]][] = [
  [0, [
    3486969457,
    3502119294,
    923060288,
    4069955400,
    298665243,
    2205145329,
    1135099354,
    590,
    1.1539862283975637,
  ]],
  [1, [
    1753264598,
    324922147,
    1273049380,
    2543911379,
    2731931735,
    1395290270,
    3891528187,
    776,
    -0.20177144931538507,
  ]],
  [42, [
    791157738,
    628987704,
    227625475,
    3101027142,
    4038417672,
    2421937405,
    3382061220,
    742,
    -0.7186158634678912,
  ]],
  [2147483653, [
    2934883941,
    2334452669,
    1156229517,
    3322281805,
    729987099,
    2832438892,
    363098704,
    137,
    1.5014524023127083,
  ]],
  [-7, [
    477033188,
    462140232,
    4255302582,
    951788429,
    2752683342,
    1501000033,
    3463881105,
    226,
    -0.6513839685923456,
  ]],
];

Deno.test("makeRng: each seed's stream is the pinned sfc32 sequence (study records depend on it)", () => {
  for (const [seed, want] of PINNED) {
    const rng = makeRng(seed);
    const got = Array.from({ length: 6 }, () => rng.next() * 4294967296);
    const fork = rng.fork();
    got.push(fork.next() * 4294967296, rng.int(1000), rng.normal());
    assert.deepEqual(got, want, `seed ${seed}`);
  }
});

Deno.test("makeRng: a million draws keep the stream (the state wraps as 32-bit words)", () => {
  const rng = makeRng(3);
  let sum = 0;
  for (let i = 0; i < 1_000_000; i++) sum += rng.next();
  assert.equal(sum, 499937.1824846298);
});
