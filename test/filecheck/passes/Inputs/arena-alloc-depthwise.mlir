// Input of arena-alloc.mlir (the inplace-depthwise cases): a 1x1 conv to 8
// channels, a stride-2 3x3 depthwise conv and an average pool. Not a test of
// its own (lit skips Inputs/).
func.func @main(%x: !tiny.buffer<1x8x8x1xi8, 0.5:-1>) -> !tiny.buffer<1x1x1x8xi8, 0.25:2> {
  %w0 = tiny.const dense<"0x052A4F7499BEE308"> : !tiny.buffer<8x1x1x1xi8, 0.01:0>
  %a = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.5:-1>
  tiny.conv_2d %x, %w0 -> %a {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %dw = tiny.const dense<"0x052A4F7499BEE3082D52779CC1E60B30557A9FC4E90E33587DA2C7EC11365B80A5CAEF14395E83A8CDF2173C6186ABD0F51A3F6489AED3F81D42678CB1D6FB20456A8FB4D9FE2348"> : !tiny.buffer<1x3x3x8xi8, 0.02:0>
  %d = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.25:2>
  tiny.depthwise_conv_2d %a, %dw -> %d {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -128, 127>}
  %p = tiny.alloc : !tiny.buffer<1x1x1x8xi8, 0.25:2>
  tiny.avg_pool_2d %d -> %p {kernel = array<i64: 4, 4>, stride = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %p : !tiny.buffer<1x1x1x8xi8, 0.25:2>
}

