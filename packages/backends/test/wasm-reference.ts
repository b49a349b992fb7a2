/**
 * Float64 definitions of the kernels flatfit adds to wasm, written as plain loops independent of
 * the kernels and of tfjs (their own output geometry, their own loop order): what the tests check
 * the kernels against.
 */
export type Shape4 = [number, number, number, number];
export type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];

/** A depthwise convolution: x NHWC, filter [FH, FW, CI, M]. */
export interface DepthwiseCase {
  x: Shape4;
  f: Shape4;
  strides: [number, number];
  pad: Pad;
  dilations?: [number, number];
}

/** Output size and the padding before the first row/column (TF's conventions), with dilation. */
export function geometry(inSize: number, f: number, s: number, d: number, pad: Pad, axis: 1 | 2): { out: number; before: number } {
  const span = (f - 1) * d + 1;
  if (Array.isArray(pad)) {
    const [a, b] = pad[axis];
    return { out: Math.floor((inSize + a + b - span) / s) + 1, before: a };
  }
  if (typeof pad === "number") return { out: Math.trunc((inSize - span + 2 * pad) / s + 1), before: pad };
  if (pad === "valid") return { out: Math.ceil((inSize - span + 1) / s), before: 0 };
  const out = Math.ceil(inSize / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + span - inSize, 0) / 2) };
}

function dims(c: DepthwiseCase) {
  const [B, H, W, CI] = c.x;
  const [FH, FW, , M] = c.f;
  const [DH, DW] = c.dilations ?? [1, 1];
  const gh = geometry(H, FH, c.strides[0], DH, c.pad, 1);
  const gw = geometry(W, FW, c.strides[1], DW, c.pad, 2);
  return { B, H, W, CI, FH, FW, M, DH, DW, SH: c.strides[0], SW: c.strides[1], OH: gh.out, OW: gw.out, top: gh.before, left: gw.before };
}

/** The shape of dy for a case: [B, OH, OW, CI·M]. */
export function dyShape(c: DepthwiseCase): Shape4 {
  const d = dims(c);
  return [d.B, d.OH, d.OW, d.CI * d.M];
}

/** dW[i, j, ci, m] = Σ_b,r,q x[b, r·sh + i·dh − top, q·sw + j·dw − left, ci] · dy[b, r, q, ci·M + m]. */
export function refDepthwiseFilterGrad(x: ArrayLike<number>, dy: ArrayLike<number>, c: DepthwiseCase): Float64Array {
  const d = dims(c);
  const CO = d.CI * d.M;
  const out = new Float64Array(d.FH * d.FW * CO);
  for (let i = 0; i < d.FH; i++)
    for (let j = 0; j < d.FW; j++)
      for (let ci = 0; ci < d.CI; ci++)
        for (let m = 0; m < d.M; m++) {
          let s = 0;
          for (let b = 0; b < d.B; b++)
            for (let r = 0; r < d.OH; r++)
              for (let q = 0; q < d.OW; q++) {
                const u = r * d.SH + i * d.DH - d.top;
                const v = q * d.SW + j * d.DW - d.left;
                if (u < 0 || u >= d.H || v < 0 || v >= d.W) continue;
                s += x[((b * d.H + u) * d.W + v) * d.CI + ci] * dy[((b * d.OH + r) * d.OW + q) * CO + ci * d.M + m];
              }
          out[((i * d.FW + j) * d.CI + ci) * d.M + m] = s;
        }
  return out;
}

/** dx: every product dy[b, r, q, ci·M + m] · W[i, j, ci, m] added at the input pixel the tap reads. */
export function refDepthwiseInputGrad(dy: ArrayLike<number>, w: ArrayLike<number>, c: DepthwiseCase): Float64Array {
  const d = dims(c);
  const CO = d.CI * d.M;
  const out = new Float64Array(d.B * d.H * d.W * d.CI);
  for (let b = 0; b < d.B; b++)
    for (let r = 0; r < d.OH; r++)
      for (let q = 0; q < d.OW; q++)
        for (let i = 0; i < d.FH; i++)
          for (let j = 0; j < d.FW; j++) {
            const u = r * d.SH + i * d.DH - d.top;
            const v = q * d.SW + j * d.DW - d.left;
            if (u < 0 || u >= d.H || v < 0 || v >= d.W) continue;
            for (let ci = 0; ci < d.CI; ci++)
              for (let m = 0; m < d.M; m++) {
                out[((b * d.H + u) * d.W + v) * d.CI + ci] += dy[((b * d.OH + r) * d.OW + q) * CO + ci * d.M + m] * w[((i * d.FW + j) * d.CI + ci) * d.M + m];
              }
          }
  return out;
}

/** out[s, k] = Σ_{n: ids[n] = s} x[n, k]; ids outside [0, numSegments) are dropped. */
export function refSegmentSum(x: ArrayLike<number>, ids: ArrayLike<number>, numSegments: number): Float64Array {
  const K = ids.length === 0 ? 0 : x.length / ids.length;
  const out = new Float64Array(numSegments * K);
  for (let s = 0; s < numSegments; s++)
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let n = 0; n < ids.length; n++) if (ids[n] === s) sum += x[n * K + k];
      out[s * K + k] = sum;
    }
  return out;
}

/** Largest absolute error against a float64 reference, and the reference's largest magnitude. */
export function maxErr(got: ArrayLike<number>, want: ArrayLike<number>): { err: number; scale: number } {
  if (got.length !== want.length) throw new Error(`maxErr: ${got.length} values against ${want.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { err, scale };
}

/** Float32 rounding of a float64 result: half a unit in the last place of its largest value. */
export const HALF_ULP = 2 ** -24;
/** Two float32 roundings of sums taken in different orders: one unit in the last place. */
export const ONE_ULP = 2 ** -23;

/** A max pooling, NHWC (x has 4 axes) or NDHWC (5 axes); no dilation. */
export interface PoolCase {
  x: number[];
  filter: number[];
  strides: number[];
  pad: "same" | "valid" | number;
}

/** Pooling output shape for a case, from `geometry`. */
export function poolOutShape(c: PoolCase): number[] {
  const spatial = c.x.slice(1, -1);
  return [c.x[0], ...spatial.map((n, i) => geometry(n, c.filter[i], c.strides[i], 1, c.pad, 1).out), c.x[c.x.length - 1]];
}

/**
 * dx of max pooling: each output's dy goes to the first input pixel (row-major over the window:
 * depth, then rows, then columns) holding the window's largest value; padding is not a candidate.
 */
export function refMaxPoolGrad(x: ArrayLike<number>, dy: ArrayLike<number>, c: PoolCase): Float64Array {
  const spatial = c.x.slice(1, -1);
  const three = spatial.length === 3;
  const [D, H, W] = three ? spatial : [1, ...spatial];
  const [FD, FH, FW] = three ? c.filter : [1, ...c.filter];
  const [SD, SH, SW] = three ? c.strides : [1, ...c.strides];
  const geo = (n: number, f: number, s: number) => geometry(n, f, s, 1, c.pad, 1);
  const [gd, gh, gw] = [three ? geo(D, FD, SD) : { out: 1, before: 0 }, geo(H, FH, SH), geo(W, FW, SW)];
  const [B, C] = [c.x[0], c.x[c.x.length - 1]];
  const at = (b: number, s: number, u: number, v: number, ch: number) => (((b * D + s) * H + u) * W + v) * C + ch;
  const dx = new Float64Array(x.length);
  let k = 0;
  for (let b = 0; b < B; b++)
    for (let p = 0; p < gd.out; p++)
      for (let r = 0; r < gh.out; r++)
        for (let q = 0; q < gw.out; q++)
          for (let ch = 0; ch < C; ch++, k++) {
            const cells: number[] = [];
            for (let i = 0; i < FD; i++)
              for (let j = 0; j < FH; j++)
                for (let l = 0; l < FW; l++) {
                  const [s, u, v] = [p * SD + i - gd.before, r * SH + j - gh.before, q * SW + l - gw.before];
                  if (s >= 0 && s < D && u >= 0 && u < H && v >= 0 && v < W) cells.push(at(b, s, u, v, ch));
                }
            const top = Math.max(...cells.map((i) => x[i]));
            const first = cells.find((i) => x[i] === top);
            if (first !== undefined) dx[first] += dy[k];
          }
  return dx;
}

/** Max pooling's forward pass: each window's largest value over the input pixels it covers. */
export function refMaxPool(x: ArrayLike<number>, c: PoolCase): Float64Array {
  // the forward value is the value at the pixel the gradient goes to: read it off a one-hot dy
  const shape = poolOutShape(c);
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    dy.fill(0);
    dy[k] = 1;
    const dx = refMaxPoolGrad(x, dy, c);
    const at = dx.findIndex((v) => v === 1);
    out[k] = at >= 0 ? x[at] : -Infinity;
  }
  return out;
}

/** A 3-D convolution: x NDHWC, filter [FD, FH, FW, CI, CO]. */
export interface Conv3DCase {
  x: [number, number, number, number, number];
  f: [number, number, number, number, number];
  strides: [number, number, number];
  pad: "same" | "valid";
}

function dims3(c: Conv3DCase) {
  const [B, D, H, W, CI] = c.x;
  const [FD, FH, FW, , CO] = c.f;
  const [gd, gh, gw] = [geometry(D, FD, c.strides[0], 1, c.pad, 1), geometry(H, FH, c.strides[1], 1, c.pad, 1), geometry(W, FW, c.strides[2], 1, c.pad, 1)];
  return { B, D, H, W, CI, FD, FH, FW, CO, gd, gh, gw };
}

/** dy's shape for a 3-D case. */
export function dyShape3(c: Conv3DCase): number[] {
  const d = dims3(c);
  return [d.B, d.gd.out, d.gh.out, d.gw.out, d.CO];
}

/**
 * Both gradients of a 3-D convolution by one walk over (b, output pixel, tap, ci, co), every product
 * added where it belongs: dW[tap, ci, co] += x·dy and dx[input pixel, ci] += dy·W.
 */
export function refConv3dGrads(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, c: Conv3DCase): { dW: Float64Array; dx: Float64Array } {
  const { B, D, H, W, CI, FD, FH, FW, CO, gd, gh, gw } = dims3(c);
  const [SD, SH, SW] = c.strides;
  const dW = new Float64Array(FD * FH * FW * CI * CO);
  const dx = new Float64Array(B * D * H * W * CI);
  for (let b = 0; b < B; b++)
    for (let p = 0; p < gd.out; p++)
      for (let r = 0; r < gh.out; r++)
        for (let q = 0; q < gw.out; q++)
          for (let i = 0; i < FD; i++)
            for (let j = 0; j < FH; j++)
              for (let l = 0; l < FW; l++) {
                const [s, u, v] = [p * SD + i - gd.before, r * SH + j - gh.before, q * SW + l - gw.before];
                if (s < 0 || s >= D || u < 0 || u >= H || v < 0 || v >= W) continue;
                for (let ci = 0; ci < CI; ci++)
                  for (let co = 0; co < CO; co++) {
                    const xi = (((b * D + s) * H + u) * W + v) * CI + ci;
                    const wi = (((i * FH + j) * FW + l) * CI + ci) * CO + co;
                    const yi = (((b * gd.out + p) * gh.out + r) * gw.out + q) * CO + co;
                    dW[wi] += x[xi] * dy[yi];
                    dx[xi] += dy[yi] * w[wi];
                  }
              }
  return { dW, dx };
}
