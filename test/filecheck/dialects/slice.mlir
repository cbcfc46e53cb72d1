// tiny.slice copies a strided window of its input (TFLite's SLICE,
// STRIDED_SLICE, SPLIT, SPLIT_V): it prints as it parses, in the custom and
// the generic form.
// RUN: tinyir-opt %s | filecheck %s
// RUN: tinyir-opt %s | tinyir-opt | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | tinyir-opt | filecheck %s

// CHECK:      func.func @main(%x: !tiny.buffer<1x9x9x4xi8, 0.05:-7>) -> (!tiny.buffer<1x4x4x2xi8, 0.05:-7>, !tiny.buffer<1x9x4xi8, 0.05:-7>, !tiny.buffer<4xi32>) {
// CHECK-NEXT:   %y = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-7>
// CHECK-NEXT:   tiny.slice %x -> %y {begin = array<i64: 0, 1, 8, 1>, stride = array<i64: 1, 2, -2, 1>}
// CHECK-NEXT:   %row = tiny.alloc : !tiny.buffer<1x1x9x4xi8, 0.05:-7>
// CHECK-NEXT:   tiny.slice %x -> %row {begin = array<i64: 0, 3, 0, 0>, stride = array<i64: 1, 1, 1, 1>}
// CHECK-NEXT:   %row.squeezed = tiny.reshape %row : !tiny.buffer<1x9x4xi8, 0.05:-7>
// CHECK-NEXT:   %v = tiny.const dense<"0x01000000020000000300000004000000050000000600000007000000"> : !tiny.buffer<7xi32>
// CHECK-NEXT:   %w = tiny.alloc : !tiny.buffer<4xi32>
// CHECK-NEXT:   tiny.slice %v -> %w {begin = array<i64: 6>, stride = array<i64: -2>}
func.func @main(%x: !tiny.buffer<1x9x9x4xi8, 0.05:-7>) -> (!tiny.buffer<1x4x4x2xi8, 0.05:-7>, !tiny.buffer<1x9x4xi8, 0.05:-7>, !tiny.buffer<4xi32>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 1, 8, 1>, stride = array<i64: 1, 2, -2, 1>}
  %row = tiny.alloc : !tiny.buffer<1x1x9x4xi8, 0.05:-7>
  tiny.slice %x -> %row {begin = array<i64: 0, 3, 0, 0>, stride = array<i64: 1, 1, 1, 1>}
  %row.squeezed = tiny.reshape %row : !tiny.buffer<1x9x4xi8, 0.05:-7>
  %v = tiny.const dense<"0x01000000020000000300000004000000050000000600000007000000"> : !tiny.buffer<7xi32>
  %w = tiny.alloc : !tiny.buffer<4xi32>
  tiny.slice %v -> %w {begin = array<i64: 6>, stride = array<i64: -2>}
  func.return %y, %row.squeezed, %w : !tiny.buffer<1x4x4x2xi8, 0.05:-7>, !tiny.buffer<1x9x4xi8, 0.05:-7>, !tiny.buffer<4xi32>
}
