// RUN: not tinyir-opt %s --split-input-file 2>&1 | filecheck %s

// Invalid !tiny.buffer types: reported where the type is written, one line
// per chunk, in order (after the first, each check is a NEXT check).

// A per-channel scale count that does not match the channels on the axis.
func.func @main(%w: !tiny.buffer<4x3x3x3xi8, axis 0: {0.01:0, 0.02:0, 0.03:0}>) {
  func.return
}
// CHECK: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:33: tiny.buffer: 3 scales for 4 channels on axis 0

// -----

// The same in the type of an op.
func.func @main() {
  %w = tiny.const dense<"0x0102"> : !tiny.buffer<1x2xi8, axis 1: {0.01:0}>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:49: tiny.buffer: 1 scales for 2 channels on axis 1

// -----

// A quantized axis the buffer does not have.
func.func @main(%w: !tiny.buffer<2x2xi8, axis 2: {0.01:0, 0.02:0}>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:33: tiny.buffer: quantized axis 2 out of range for rank 2

// -----

// A zero dimension.
func.func @main(%x: !tiny.buffer<1x0x3xi8, 0.1:0>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:33: tiny.buffer: dimensions must be static and positive, got 1x0x3

// -----

// A dynamic dimension: buffers have static shapes.
func.func @main(%x: !tiny.buffer<?x4xi8, 0.1:0>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:33: tiny.buffer: dimensions must be static and positive, got ?x4

// -----

// An element type buffers do not have.
func.func @main(%x: !tiny.buffer<1x4xf16>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:33: tiny.buffer: unsupported element type f16

// -----

// A scale without its zero point.
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:45: Expected ':'

// -----

// An exponent needs a '.' in the mantissa (MLIR float syntax); the printer
// never writes exponents.
func.func @main(%x: !tiny.buffer<1x4xi8, 1e-05:0>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:{{[0-9]+}}: Expected ':'

// -----

// An activation's scale must be positive (weights' need not be): scale 0
// was a ZeroDivisionError in the executor.
func.func @main(%x: !tiny.buffer<1x4xi8, 0.5:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.0:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir: tiny.alloc: tiny.buffer: an activation's scale must be positive, got 0.0 [operation #2 (%y)]

// -----

func.func @main(%x: !tiny.buffer<1x4xi8, -0.5:0>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir: func.func @main: argument #0: tiny.buffer: an activation's scale must be positive, got -0.5 [operation #1]

// -----

// A zero point outside its element type (an OverflowError in the executor before).
func.func @main(%x: !tiny.buffer<1x4xi8, 0.5:-256>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid-types.mlir:[[# @LINE - 3]]:{{[0-9]+}}: tiny.buffer: zero point [-256] out of range for i8
