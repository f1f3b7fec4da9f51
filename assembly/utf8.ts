// UTF-8 validation, exactly the WHATWG/TextDecoder({fatal:true}) rules: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.

/** Returns -1 if bytes [ptr, ptr+len) are valid UTF-8, else the byte offset of the first bad sequence. */
export function utf8Validate(ptr: usize, len: i32): i32 {
  let i: i32 = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + <usize>i);
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: i32;
    let lo: u32 = 0x80;
    let hi: u32 = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 == 0xe0) lo = 0xa0;
      else if (b0 == 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 == 0xf0) lo = 0x90;
      else if (b0 == 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= len) return i;
    const b1 = <u32>load<u8>(ptr + <usize>(i + 1));
    if (b1 < lo || b1 > hi) return i;
    for (let k: i32 = 2; k <= need; k++) {
      const b = <u32>load<u8>(ptr + <usize>(i + k));
      if (b < 0x80 || b > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
