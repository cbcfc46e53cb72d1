// Invalid tile loops for ../tile-loop.mlir: each chunk fails with its own line.

func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) {
  %w = tiny.const dense<"0x0102030405060708010203040506070801020304050607080102030405060708"> : !tiny.buffer<8x1x1x4xi8, 0.1:0>
  %e = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
  tiny.conv_2d %x, %w -> %e tile %x {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK: error: {{.*}}.mlir: tiny.conv_2d: operand 'tile' at position 3 does not verify: !tiny.buffer<1x2x2x4xi8, 0.5:-1> should be of base attribute index [operation #4 (%x)]

// -----

func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) {
  %w = tiny.const dense<"0x0102030405060708010203040506070801020304050607080102030405060708"> : !tiny.buffer<8x1x1x4xi8, 0.1:0>
  tiny.tile_loop %t < 3 {
    %e = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
    tiny.conv_2d %x, %w -> %e tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop: tiny.conv_2d makes 2 tiles, the loop 3

// -----

func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) {
  %a = tiny.alloc : !tiny.buffer<1x2x2x2xi32>
  tiny.tile_loop %t < 2 {
    %e = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:-1>
    tiny.clamp %x -> %e acc %a tile %t {clamp = array<i64: -128, 127>}
  }
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: takes no 'tile' or 'acc' operand

// -----

func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) {
  %w = tiny.const dense<"0x01020304050607080102030405060708"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
  tiny.tile_loop %t < 2 {
    %acc = tiny.alloc : !tiny.buffer<1x2x2x4xi32>
    %xt = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:-1>
    tiny.extract_tile %x -> %xt tile %t {axis = 3 : i64}
    tiny.conv_2d %xt, %w -> %y acc %acc tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tile_loop: tiny.conv_2d reads a tile buffer no op of the body wrote before

// -----

func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) {
  %w = tiny.const dense<"0x01020304050607080102030405060708"> : !tiny.buffer<4x1x1x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
  %acc = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
  tiny.tile_loop %t < 2 {
    %xt = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:-1>
    tiny.extract_tile %x -> %xt tile %t {axis = 3 : i64}
    tiny.conv_2d %xt, %w -> %y acc %acc tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'acc' must be i32 of the output's shape [1, 2, 2, 4]

// -----

// An axis out of range (an IndexError reached the user before the loop
// verified its body's ops first).
func.func @main(%x: !tiny.buffer<1x4x4x8xi8, 0.5:0>) -> !tiny.buffer<1x4x4x8xi8, 0.5:0> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.5:0>
  tiny.tile_loop %t < 2 {
    %a = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.5:0>
    tiny.extract_tile %x -> %a tile %t {axis = 7 : i64}
    tiny.insert_tile %a -> %y tile %t {axis = 3 : i64}
  }
  func.return %y : !tiny.buffer<1x4x4x8xi8, 0.5:0>
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.extract_tile: axis 7 does not fit [1, 4, 4, 8] and [1, 4, 4, 4] [operation #5 (%t)]
