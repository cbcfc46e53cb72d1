// RUN: not tinyir-opt %s --split-input-file 2>&1 | filecheck %s
// Each chunk holds one mistake in a tiny.slice, reported on one line.

// the window leaves the input
func.func @main(%x: !tiny.buffer<1x9x4xi8, 0.05:-7>) -> !tiny.buffer<1x5x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x5x4xi8, 0.05:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 1, 0>, stride = array<i64: 1, 2, 1>}
  func.return %y : !tiny.buffer<1x5x4xi8, 0.05:-7>
}
// CHECK: error: {{.*}}: tiny.slice: dimension 1: 5 indices from 1 by 2 leave the input's 0..8 [operation #{{[0-9]+}}{{.*}}]

// -----

// a reversed window runs below 0
func.func @main(%x: !tiny.buffer<1x9x4xi8, 0.05:-7>) -> !tiny.buffer<1x3x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x3x4xi8, 0.05:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 1, 0>, stride = array<i64: 1, -1, 1>}
  func.return %y : !tiny.buffer<1x3x4xi8, 0.05:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.slice: dimension 1: 3 indices from 1 by -1 leave the input's 0..8 [operation #{{[0-9]+}}{{.*}}]

// -----

// a zero stride
func.func @main(%x: !tiny.buffer<1x9x4xi8, 0.05:-7>) -> !tiny.buffer<1x3x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x3x4xi8, 0.05:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 1, 0>, stride = array<i64: 1, 0, 1>}
  func.return %y : !tiny.buffer<1x3x4xi8, 0.05:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.slice: stride of dimension 1 is 0 [operation #{{[0-9]+}}{{.*}}]

// -----

// begin and stride give every dimension
func.func @main(%x: !tiny.buffer<1x9x4xi8, 0.05:-7>) -> !tiny.buffer<1x3x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x3x4xi8, 0.05:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 1>, stride = array<i64: 1, 1, 1>}
  func.return %y : !tiny.buffer<1x3x4xi8, 0.05:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.slice: 'begin' needs 3 values, got 2 [operation #{{[0-9]+}}{{.*}}]

// -----

// no change of rank: a tiny.reshape after it drops dimensions
func.func @main(%x: !tiny.buffer<1x9x4xi8, 0.05:-7>) -> !tiny.buffer<9x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<9x4xi8, 0.05:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 0, 0>, stride = array<i64: 1, 1, 1>}
  func.return %y : !tiny.buffer<9x4xi8, 0.05:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.slice: input [1, 9, 4] and output [9, 4] differ in rank [operation #{{[0-9]+}}{{.*}}]

// -----

// bytes are copied unchanged: the same quantization
func.func @main(%x: !tiny.buffer<1x9x4xi8, 0.05:-7>) -> !tiny.buffer<1x3x4xi8, 0.1:-7> {
  %y = tiny.alloc : !tiny.buffer<1x3x4xi8, 0.1:-7>
  tiny.slice %x -> %y {begin = array<i64: 0, 1, 0>, stride = array<i64: 1, 1, 1>}
  func.return %y : !tiny.buffer<1x3x4xi8, 0.1:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.slice: input and output element type and quantization must be equal [operation #{{[0-9]+}}{{.*}}]
