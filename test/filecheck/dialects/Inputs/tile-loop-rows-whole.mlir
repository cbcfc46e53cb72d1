// The chain of ../tile-loop-rows.mlir without the row loop.

func.func @main(%x: !tiny.buffer<1x8x4x4xi8, 0.05:-3>) -> !tiny.buffer<1x8x4x4xi8, 0.08:2> {
  %w1 = tiny.const dense<"0x1105070F030B0DF5EEF8F70E10ECFF0CF10BF0FE0CF8F9F708F613FDFF00030200130C0B0804F913FEF40DF20E04F0EDFDEDF10012FE0C100C05FD00F6FFFBF5"> : !tiny.buffer<16x1x1x4xi8, 0.02:0>
  %b1 = tiny.const dense<"0x13000000ECFFFFFFEFFFFFFFF3FFFFFF12000000070000000F000000F4FFFFFF08000000FAFFFFFFFFFFFFFFECFFFFFF040000000D00000006000000F2FFFFFF"> : !tiny.buffer<16xi32>
  %w2 = tiny.const dense<"0x01F6120FF300110D0805ED09FEEFF5010900040E07FA0503F0EE06FB03F8F5F2FB0CFCFB0313FB03FD04FD05010712F202FDFAF5EEFC0DEFFC1212F4EC06ECF8FF0EEF0601F10D0DFF1104101202F7F102F30A11F502EDF3FB0F12050302EEFB13FCF4F508ED120F02FE0A01FFF8FD0AEEED08FA0CED10F0FC12F00609FDEF00FD0E07F9EE03F7070EFA1000010A0B10"> : !tiny.buffer<1x3x3x16xi8, 0.03:0>
  %b2 = tiny.const dense<"0x13000000F2FFFFFFFCFFFFFF11000000F8FFFFFFECFFFFFF030000000A000000090000000C00000005000000F1FFFFFF0D000000FCFFFFFF0D0000000C000000"> : !tiny.buffer<16xi32>
  %w3 = tiny.const dense<"0x12EC0E05FF0B1200EF09F5F5F3F310FAF0F3FBF9F8110E0213F9F1F6EF12F4FDF413F20012000F0F0A0903030DFD110FFAFC0810EFEEF5FDF200011209F60B0C"> : !tiny.buffer<4x1x1x16xi8, 0.02:0>
  %b3 = tiny.const dense<"0x0700000007000000F8FFFFFF08000000"> : !tiny.buffer<4xi32>
  %e = tiny.alloc : !tiny.buffer<1x8x4x16xi8, 0.04:-10>
  tiny.conv_2d %x, %w1, %b1 -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %d = tiny.alloc : !tiny.buffer<1x8x4x16xi8, 0.03:5>
  tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  %p = tiny.alloc : !tiny.buffer<1x8x4x4xi8, 0.07:4>
  tiny.conv_2d %d, %w3, %b3 -> %p {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %y = tiny.alloc : !tiny.buffer<1x8x4x4xi8, 0.08:2>
  tiny.add %x, %p -> %y {clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x8x4x4xi8, 0.08:2>
}
