// topk_forward: exact top-k by inner product, streamed over the corpus one block of columns at a time
// For each query q: the k largest s_qj = ⟨query_emb[q], corpus[j]⟩, sorted by score descending, equal
// scores by lower corpus index; slots past the number of corpus rows seen hold (LOWEST, 0xffffffff).
// reference: src/ref/topk.ts topkForward (brute force over all scores).
// Entry points, recorded in turn for each block of L corpus rows by src/ops/topk.ts:
//   topk_forward_scores_vec4 (D % 4 = 0) or topk_forward_scores (any D):
//                        query_emb (Q, D), corpus (rows, D) → block_scores (Q, L) for corpus rows
//                        corpus_row0 … corpus_row0 + L − 1 of the bound chunk. Register tiles: each
//                        invocation computes 4 queries × 4 corpus rows straight from memory (no workgroup
//                        memory: on lavapipe that was 5× faster than 64×64 shared tiles), summing
//                        d = 0 … D−1 in order, so both variants and any tiling give the same bits.
//                        dispatch (ceil(L/32), ceil(Q/32), 1) workgroups of 8×8.
//   topk_forward_select  merges the running list top_scores/top_indices (Q, k), whose first prev_count
//                        entries are valid, with the L new candidates (global indices first_index + j)
//                        into the new top min(k, prev_count + L), written back in place.
//                        dispatch: one workgroup of WG per query, folded to (x, y) past 65535.
// Selection (per query, no float atomics, independent of WG): scores map to order-preserving u32 keys;
//   1. radix select, 8 bits per pass from the top: a 256-bin histogram (integer atomics) of the keys that
//      match the prefix found so far gives the next byte of the take-th largest key T; it stops early
//      once every candidate left in the current bin belongs to the top list;
//   2. only if more candidates equal T than are needed: the same radix select on ~index among the keys
//      equal to T keeps the lowest indices;
//   3. the chosen candidates (exactly take of them) are appended in any order, then a bitonic sort in
//      workgroup memory on (key descending, index ascending), a total order, fixes the result.
//   Once the running list is full, a candidate below its last key cannot enter it (k entries are already
//   at least that large), so every step above skips such candidates: after the first blocks of a large
//   corpus almost all of them.
struct Params {
  queries: u32,
  dim: u32,
  cols: u32,
  corpus_row0: u32,
  k: u32,
  prev_count: u32,
  first_index: u32,
  sort_size: u32,
}

override WG: u32 = 256;
// Capacity of the sort in workgroup memory: a power of two ≥ k, at most 1024 (8 KiB for keys and
// indices). The launcher sizes it to k: WebGPU zero-fills workgroup memory for every workgroup.
override K_MAX: u32 = 1024;
const TILE_ROWS: u32 = 4u; // queries per invocation
const TILE_COLS: u32 = 4u; // corpus rows per invocation
const SENTINEL_INDEX: u32 = 0xffffffffu;
const LOWEST: f32 = -3.40282346e38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> top_scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> top_indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> block_scores: array<f32>;
@group(0) @binding(4) var<storage, read> query_emb: array<f32>;
@group(0) @binding(5) var<storage, read> corpus: array<f32>;
@group(0) @binding(6) var<storage, read> query_vec4: array<vec4f>;
@group(0) @binding(7) var<storage, read> corpus_vec4: array<vec4f>;

// Rows past the end are clamped to the last row: the loads stay in bounds without branches in the inner
// loop, and their results are never stored.
fn first_query(y: u32, i: u32) -> u32 {
  return min(y * TILE_ROWS + i, p.queries - 1u);
}

fn first_corpus_row(x: u32, j: u32) -> u32 {
  return p.corpus_row0 + min(x * TILE_COLS + j, p.cols - 1u);
}

fn store_tile(gid: vec3u, acc: array<f32, 16>) {
  for (var i = 0u; i < TILE_ROWS; i++) {
    let q = gid.y * TILE_ROWS + i;
    for (var j = 0u; j < TILE_COLS; j++) {
      let c = gid.x * TILE_COLS + j;
      if (q < p.queries && c < p.cols) { block_scores[q * p.cols + c] = acc[i * TILE_COLS + j]; }
    }
  }
}

@compute @workgroup_size(8, 8)
fn topk_forward_scores(@builtin(global_invocation_id) gid: vec3u) {
  var q_base: array<u32, 4>;
  var c_base: array<u32, 4>;
  for (var i = 0u; i < TILE_ROWS; i++) { q_base[i] = first_query(gid.y, i) * p.dim; }
  for (var j = 0u; j < TILE_COLS; j++) { c_base[j] = first_corpus_row(gid.x, j) * p.dim; }
  var acc: array<f32, 16>;
  for (var d = 0u; d < p.dim; d++) {
    var a: array<f32, 4>;
    var b: array<f32, 4>;
    for (var i = 0u; i < TILE_ROWS; i++) { a[i] = query_emb[q_base[i] + d]; }
    for (var j = 0u; j < TILE_COLS; j++) { b[j] = corpus[c_base[j] + d]; }
    for (var i = 0u; i < TILE_ROWS; i++) {
      for (var j = 0u; j < TILE_COLS; j++) { acc[i * TILE_COLS + j] = acc[i * TILE_COLS + j] + a[i] * b[j]; }
    }
  }
  store_tile(gid, acc);
}

@compute @workgroup_size(8, 8)
fn topk_forward_scores_vec4(@builtin(global_invocation_id) gid: vec3u) {
  let dim4 = p.dim / 4u;
  var q_base: array<u32, 4>;
  var c_base: array<u32, 4>;
  for (var i = 0u; i < TILE_ROWS; i++) { q_base[i] = first_query(gid.y, i) * dim4; }
  for (var j = 0u; j < TILE_COLS; j++) { c_base[j] = first_corpus_row(gid.x, j) * dim4; }
  var acc: array<f32, 16>;
  for (var d4 = 0u; d4 < dim4; d4++) {
    var a: array<vec4f, 4>;
    var b: array<vec4f, 4>;
    for (var i = 0u; i < TILE_ROWS; i++) { a[i] = query_vec4[q_base[i] + d4]; }
    for (var j = 0u; j < TILE_COLS; j++) { b[j] = corpus_vec4[c_base[j] + d4]; }
    for (var i = 0u; i < TILE_ROWS; i++) {
      for (var j = 0u; j < TILE_COLS; j++) {
        // Component by component, in d order: the same sums as the scalar entry point (no dot()).
        var s = acc[i * TILE_COLS + j];
        s = s + a[i].x * b[j].x;
        s = s + a[i].y * b[j].y;
        s = s + a[i].z * b[j].z;
        s = s + a[i].w * b[j].w;
        acc[i * TILE_COLS + j] = s;
      }
    }
  }
  store_tile(gid, acc);
}

var<workgroup> sort_key: array<u32, K_MAX>;
var<workgroup> sort_index: array<u32, K_MAX>;
var<workgroup> histogram: array<atomic<u32>, 256>;
var<workgroup> appended: atomic<u32>; // workgroup memory starts zeroed
// What lane 0 found in the last radix pass: (prefix, still needed inside its bin, size of its bin).
var<workgroup> found: vec3u;

// Order-preserving map f32 → u32: larger score, larger key. −0 maps like +0 so equal scores tie.
fn score_key(s: f32) -> u32 {
  var bits = bitcast<u32>(s);
  if (bits == 0x80000000u) { bits = 0u; }
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}

fn key_score(key: u32) -> f32 {
  if ((key & 0x80000000u) != 0u) { return bitcast<f32>(key & 0x7fffffffu); }
  return bitcast<f32>(~key);
}

fn candidate_key(row: u32, c: u32) -> u32 {
  if (c < p.prev_count) { return score_key(top_scores[row * p.k + c]); }
  return score_key(block_scores[row * p.cols + (c - p.prev_count)]);
}

fn candidate_index(row: u32, c: u32) -> u32 {
  if (c < p.prev_count) { return top_indices[row * p.k + c]; }
  return p.first_index + (c - p.prev_count);
}

// a comes before b in the output: higher key, or equal key and lower index.
fn before(key_a: u32, index_a: u32, key_b: u32, index_b: u32) -> bool {
  return key_a > key_b || (key_a == key_b && index_a < index_b);
}

// One radix pass (8 bits at `shift`) over the candidates whose value matches `prefix` under `mask`;
// value = key (by_index false) or ~index among keys equal to `tie_key` (by_index true); keys below
// floor_key are out of the running. Lane 0 finds the
// bin that holds the needed-th largest value and publishes it in `found`.
fn radix_pass(lane: u32, row: u32, total: u32, floor_key: u32, shift: u32, prefix: u32, mask: u32, needed: u32, by_index: bool, tie_key: u32) {
  for (var b = lane; b < 256u; b += WG) { atomicStore(&histogram[b], 0u); }
  workgroupBarrier();
  for (var c = lane; c < total; c += WG) {
    let key = candidate_key(row, c);
    var value = key;
    if (by_index) { value = ~candidate_index(row, c); }
    if (key >= floor_key && (!by_index || key == tie_key) && (value & mask) == prefix) {
      atomicAdd(&histogram[(value >> shift) & 0xffu], 1u);
    }
  }
  workgroupBarrier();
  if (lane == 0u) {
    var above = 0u;
    var bin = 255u;
    for (; bin > 0u; bin--) {
      let h = atomicLoad(&histogram[bin]);
      if (above + h >= needed) { break; }
      above += h;
    }
    found = vec3u(prefix | (bin << shift), needed - above, atomicLoad(&histogram[bin]));
  }
}

@compute @workgroup_size(WG)
fn topk_forward_select(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  // workgroup_id is uniform, so this early exit keeps the barriers below in uniform control flow.
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.queries) { return; }
  let total = p.prev_count + p.cols;
  let take = min(p.k, total);
  var floor_key = 0u;
  if (p.prev_count == p.k) { floor_key = score_key(top_scores[row * p.k + p.k - 1u]); }

  // 1. Radix select on keys. Invariant after each pass: every candidate above the bin [lower, upper] of
  //    keys that match the prefix is in the top list, and `needed` of the `equal` candidates inside the bin
  //    are. Once all of the bin is needed (or at the start, if every candidate is kept) the search stops.
  var prefix = 0u;
  var mask = 0u;
  var needed = take;
  var equal = total;
  for (var digit = 0u; digit < 4u && needed < equal; digit++) {
    let shift = 24u - 8u * digit;
    radix_pass(lane, row, total, floor_key, shift, prefix, mask, needed, false, 0u);
    let f = workgroupUniformLoad(&found);
    prefix = f.x;
    needed = f.y;
    equal = f.z;
    mask = mask | (0xffu << shift);
  }
  let lower = prefix;
  let upper = prefix | ~mask;

  // 2. Only when the whole key is fixed and more candidates share it than are needed: keep the `needed`
  //    lowest indices, i.e. the largest ~index, by the same search among keys equal to T = lower.
  var index_floor = 0u;
  if (needed < equal) {
    var iprefix = 0u;
    var imask = 0u;
    var ineeded = needed;
    var iequal = equal;
    for (var digit = 0u; digit < 4u && ineeded < iequal; digit++) {
      let shift = 24u - 8u * digit;
      radix_pass(lane, row, total, floor_key, shift, iprefix, imask, ineeded, true, lower);
      let f = workgroupUniformLoad(&found);
      iprefix = f.x;
      ineeded = f.y;
      iequal = f.z;
      imask = imask | (0xffu << shift);
    }
    index_floor = iprefix;
  }

  // 3. Append exactly `take` candidates (order of arrival varies), pad to a power of two, sort.
  for (var c = lane; c < total; c += WG) {
    let key = candidate_key(row, c);
    if (key >= floor_key && (key > upper || (key >= lower && ~candidate_index(row, c) >= index_floor))) {
      let slot = atomicAdd(&appended, 1u);
      sort_key[slot] = key;
      sort_index[slot] = candidate_index(row, c);
    }
  }
  for (var i = take + lane; i < p.sort_size; i += WG) {
    sort_key[i] = 0u;
    sort_index[i] = SENTINEL_INDEX;
  }
  workgroupBarrier();
  for (var size = 2u; size <= p.sort_size; size <<= 1u) {
    for (var stride = size >> 1u; stride > 0u; stride >>= 1u) {
      for (var t = lane; t < p.sort_size / 2u; t += WG) {
        let lo = 2u * stride * (t / stride) + (t % stride);
        let hi = lo + stride;
        let first_before = (lo & size) == 0u; // this half of the bitonic sequence sorts ascending in "before"
        let hi_first = before(sort_key[hi], sort_index[hi], sort_key[lo], sort_index[lo]);
        if (hi_first == first_before) {
          let k = sort_key[lo];
          let ix = sort_index[lo];
          sort_key[lo] = sort_key[hi];
          sort_index[lo] = sort_index[hi];
          sort_key[hi] = k;
          sort_index[hi] = ix;
        }
      }
      workgroupBarrier();
    }
  }
  // Every lane has finished reading the previous list (step 3 is behind the barriers above); make that
  // explicit for storage before overwriting it in place.
  storageBarrier();
  for (var i = lane; i < p.k; i += WG) {
    if (i < take) {
      top_scores[row * p.k + i] = key_score(sort_key[i]);
      top_indices[row * p.k + i] = sort_index[i];
    } else {
      top_scores[row * p.k + i] = LOWEST;
      top_indices[row * p.k + i] = SENTINEL_INDEX;
    }
  }
}
