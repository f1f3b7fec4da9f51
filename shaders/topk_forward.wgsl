// topk_forward: exact top-k by inner product, streamed over the corpus one block of columns at a time
// For each query q: the k largest s_qj = ⟨query_emb[q], corpus[j]⟩, sorted by score descending, equal
// scores by lower corpus index; slots past the number of corpus rows seen hold (LOWEST, 0xffffffff).
// reference: src/ref/topk.ts topkForward (brute force over all scores).
// Two entry points, recorded in turn for each block of L corpus rows by src/ops/topk.ts:
//   topk_forward_scores  query_emb (Q, D), corpus (rows, D) → block_scores (Q, L) for corpus rows
//                        corpus_row0 … corpus_row0 + L − 1 of the bound chunk. Tiles of 64 queries × 64
//                        rows × 16 dims in workgroup memory, 16×16 invocations with 4×4 outputs each;
//                        every output sums d = 0 … D−1 in order, so the bits do not depend on the tiling.
//                        dispatch (ceil(L/64), ceil(Q/64), 1).
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
const TILE: u32 = 64u;
const TILE_D: u32 = 16u;
const K_MAX: u32 = 1024u;
const SENTINEL_INDEX: u32 = 0xffffffffu;
const LOWEST: f32 = -3.40282346e38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> top_scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> top_indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> block_scores: array<f32>;
@group(0) @binding(4) var<storage, read> query_emb: array<f32>;
@group(0) @binding(5) var<storage, read> corpus: array<f32>;

var<workgroup> query_tile: array<f32, 1024>; // TILE_D × TILE, [d][query]
var<workgroup> corpus_tile: array<f32, 1024>; // TILE_D × TILE, [d][corpus row]

@compute @workgroup_size(16, 16)
fn topk_forward_scores(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let col0 = wid.x * TILE;
  let row0 = wid.y * TILE;
  let t = lid.y * 16u + lid.x;
  var acc: array<f32, 16>; // acc[4i + j]: query row0 + lid.y + 16i, corpus column col0 + lid.x + 16j
  for (var d0 = 0u; d0 < p.dim; d0 += TILE_D) {
    // 256 invocations load 4 × 256 = 1024 values of each tile; 16 consecutive invocations read one
    // row's 16 consecutive dims. Out-of-range entries load 0, which adds exactly nothing.
    for (var r = 0u; r < 4u; r++) {
      let e = t + 256u * r;
      let tile_row = e / TILE_D;
      let dd = e % TILE_D;
      let d = d0 + dd;
      var qv = 0.0;
      if (row0 + tile_row < p.queries && d < p.dim) { qv = query_emb[(row0 + tile_row) * p.dim + d]; }
      query_tile[dd * TILE + tile_row] = qv;
      var cv = 0.0;
      if (col0 + tile_row < p.cols && d < p.dim) { cv = corpus[(p.corpus_row0 + col0 + tile_row) * p.dim + d]; }
      corpus_tile[dd * TILE + tile_row] = cv;
    }
    workgroupBarrier();
    for (var dd = 0u; dd < TILE_D; dd++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = query_tile[dd * TILE + lid.y + 16u * i];
        b[i] = corpus_tile[dd * TILE + lid.x + 16u * i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[4u * i + j] = acc[4u * i + j] + a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let q = row0 + lid.y + 16u * i;
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 16u * j;
      if (q < p.queries && c < p.cols) { block_scores[q * p.cols + c] = acc[4u * i + j]; }
    }
  }
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
// value = key (by_index false) or ~index among keys equal to `tie_key` (by_index true). Lane 0 finds the
// bin that holds the needed-th largest value and publishes it in `found`.
fn radix_pass(lane: u32, row: u32, total: u32, shift: u32, prefix: u32, mask: u32, needed: u32, by_index: bool, tie_key: u32) {
  for (var b = lane; b < 256u; b += WG) { atomicStore(&histogram[b], 0u); }
  workgroupBarrier();
  for (var c = lane; c < total; c += WG) {
    let key = candidate_key(row, c);
    var value = key;
    if (by_index) { value = ~candidate_index(row, c); }
    if ((!by_index || key == tie_key) && (value & mask) == prefix) {
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

  // 1. Radix select on keys. Invariant after each pass: every candidate above the bin [lower, upper] of
  //    keys that match the prefix is in the top list, and `needed` of the `equal` candidates inside the bin
  //    are. Once all of the bin is needed (or at the start, if every candidate is kept) the search stops.
  var prefix = 0u;
  var mask = 0u;
  var needed = take;
  var equal = total;
  for (var digit = 0u; digit < 4u && needed < equal; digit++) {
    let shift = 24u - 8u * digit;
    radix_pass(lane, row, total, shift, prefix, mask, needed, false, 0u);
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
      radix_pass(lane, row, total, shift, iprefix, imask, ineeded, true, lower);
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
    if (key > upper || (key >= lower && ~candidate_index(row, c) >= index_floor)) {
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
