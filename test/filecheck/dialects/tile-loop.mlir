// tiny.tile_loop runs its body once per tile; ops taking `tile %t` compute
// that window of their channels (see tiny.TiledOp). Round trip, then the
// verifier's refusals, one line each.
//
// RUN: tinyir-opt %s --split-input-file | filecheck %s
// RUN: tinyir-opt %s --split-input-file | tinyir-opt --split-input-file | filecheck %s
// RUN: not tinyir-opt %S/Inputs/tile-loop-invalid.mlir --split-input-file 2>&1 | filecheck %S/Inputs/tile-loop-invalid.mlir

func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) -> !tiny.buffer<1x2x2x4xi8, 0.5:-1> {
  %w = tiny.const dense<"0x0102030405060708010203040506070801020304050607080102030405060708"> : !tiny.buffer<8x1x1x4xi8, axis 0: {0.1:0, 0.2:0, 0.1:0, 0.2:0, 0.1:0, 0.2:0, 0.1:0, 0.2:0}>
  %v = tiny.const dense<"0x0102030405060708010203040506070801020304050607080102030405060708"> : !tiny.buffer<4x1x1x8xi8, 0.1:0>
  %acc = tiny.alloc : !tiny.buffer<1x2x2x4xi32>
  %y = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.5:-1>
  %c = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.5:-1>
  tiny.tile_loop %t < 2 {
    %xt = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:-1>
    tiny.extract_tile %x -> %xt tile %t {axis = 3 : i64}
    tiny.insert_tile %xt -> %c tile %t {axis = 3 : i64}
    %e = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
    tiny.conv_2d %x, %w -> %e tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    tiny.conv_2d %e, %v -> %y acc %acc tile %t {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  }
  func.return %y : !tiny.buffer<1x2x2x4xi8, 0.5:-1>
}
// CHECK:      tiny.tile_loop %t < 2 {
// CHECK-NEXT:   %xt = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:-1>
// CHECK-NEXT:   tiny.extract_tile %x -> %xt tile %t {axis = 3 : i64}
// CHECK-NEXT:   tiny.insert_tile %xt -> %c tile %t {axis = 3 : i64}
// CHECK-NEXT:   %e = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.3:0>
// CHECK-NEXT:   tiny.conv_2d %x, %w -> %e tile %t {stride
// CHECK-NEXT:   tiny.conv_2d %e, %v -> %y acc %acc tile %t {stride
// CHECK-NEXT: }
