// Input of arena-alloc.mlir (inplace-rows): a row loop of 3 tiles (1x1
// conv into line buffer %e, 3x3 depthwise into %y) reading the model input %x,
// which dies in the loop, and an average pool of %y after it. Each tile writes
// its two rows of %y below the rows of %x later tiles read, so %y can live in
// %x's buffer. Not a test of its own (lit skips Inputs/).
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x1x1x4xi8, 0.25:3> {
  %w = tiny.const dense<"0x052A4F7499BEE3082D52779CC1E60B30"> : !tiny.buffer<4x1x1x4xi8, 0.01:0>
  %d = tiny.const dense<"0x0B4075AADF14497EB3E81D5287BCF1265B90C5FA2F6499CE03386DA2D70C4176ABE0154A"> : !tiny.buffer<1x3x3x4xi8, 0.02:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.25:3>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    tiny.depthwise_conv_2d %e, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  }
  %p = tiny.alloc : !tiny.buffer<1x1x1x4xi8, 0.25:3>
  tiny.avg_pool_2d %y -> %p {kernel = array<i64: 6, 4>, stride = array<i64: 6, 4>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %p : !tiny.buffer<1x1x1x4xi8, 0.25:3>
}
