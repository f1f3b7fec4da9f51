// residual_forward: out = a + b, elementwise
// a (N), b (N) → out (N); dispatch grid1d(N, WG): ceil(N/WG) workgroups, folded to (x, y) past 65535
// reference: src/ref/residual.ts residualForward. Backward is the identity for both inputs, so there is
// no residual_backward: the launcher passes the output gradient on as both input gradients.
struct Params { n: u32, }

override WG: u32 = 256;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

@compute @workgroup_size(WG)
fn residual_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = a[i] + b[i];
}
