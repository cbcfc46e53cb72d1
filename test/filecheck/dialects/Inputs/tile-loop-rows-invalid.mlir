// Invalid row loops for ../tile-loop-rows.mlir: each chunk fails with its own line.
// %x is 1x6x4x4, %w a 1x1 conv (4 -> 4), %d a 3x3 depthwise conv, %y the
// loop's output; the loops have 3 tiles (bands of 2 rows).

// an op that cannot run by rows
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.00390625:-128>
    tiny.softmax %x -> %e {beta = 1.0 : f32}
    tiny.conv_2d %e, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK: error: {{.*}}.mlir: tiny.tile_loop (rows): tiny.softmax cannot run by rows

// -----

// an op taking `tile %t`
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    tiny.depthwise_conv_2d %e, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop: tiny.conv_2d takes no 'tile' or 'acc' in a row loop

// -----

// a line buffer too small: the depthwise conv reads rows 1..4 of %e at tile 1
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x3x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    tiny.depthwise_conv_2d %e, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): line buffer %e holds 3 rows, the loop needs 4

// -----

// a line buffer read before it is written
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %e, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
    tiny.conv_2d %x, %w -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): tiny.depthwise_conv_2d reads line buffer %e before any op wrote it

// -----

// a loop that writes nothing outside it
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    %f = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %e, %d -> %f {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): writes no buffer outside the loop

// -----

// an op reading a whole buffer the loop writes
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  %z = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %y, %d -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
    tiny.conv_2d %e, %w -> %z {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): tiny.depthwise_conv_2d reads %y, which the loop writes whole: use a line buffer

// -----

// a view in the loop
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    %v = tiny.reshape %e : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.depthwise_conv_2d %v, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): tiny.reshape in a row loop: take views outside it

// -----

// an output of the wrong height: 3x3 without padding makes 4 rows of 6
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    %e = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:-1>
    tiny.conv_2d %x, %w -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    tiny.depthwise_conv_2d %e, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): tiny.depthwise_conv_2d makes 4 rows, its output %y has 6

// -----

// a constant that varies along rows
func.func @main(%x: !tiny.buffer<1x6x4x4xi8, 0.5:-1>) -> !tiny.buffer<1x6x4x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x01010101010101010101010101010101"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %d = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  %g = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
  tiny.tile_loop %t < 3 rows {
    tiny.add %x, %g -> %y {clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x6x4x4xi8, 0.5:-1>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop (rows): tiny.add reads %g whole, but it varies along rows
// CHECK-NOT: Traceback
