// RUN: not tinyir-opt %s --split-input-file 2>&1 | filecheck %s

// What the verifiers of dialects/tiny/arith.py refuse, one mistake a chunk,
// each reported on one line (as in tiny-invalid.mlir: after the first check
// every check is a NEXT check, so a chunk that verified would break the chain).

// tiny.minimum compares raw values: inputs and output share one quantization
func.func @main(%a: !tiny.buffer<1x4xi8, 0.1:0>, %b: !tiny.buffer<1x4xi8, 0.2:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  tiny.minimum %a, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK: error: {{.*}}.mlir: tiny.minimum: input and output element type and quantization must be equal [operation #3 (%y)]

// -----

// tiny.sub: int8 only (no float SUB)
func.func @main(%a: !tiny.buffer<1x4xf32>, %b: !tiny.buffer<1x4xf32>) {
  %y = tiny.alloc : !tiny.buffer<1x4xf32>
  tiny.sub %a, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.sub: buffer [1, 4] must be per-tensor quantized i8, got unquantized f32 [operation #3 (%y)]

// -----

// tiny.prelu: shapes that do not broadcast
func.func @main(%x: !tiny.buffer<1x4x3xi8, 0.1:0>, %alpha: !tiny.buffer<2xi8, 0.01:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4x3xi8, 0.1:0>
  tiny.prelu %x, %alpha -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.prelu: shapes [1, 4, 3] and [2] do not broadcast [operation #3 (%y)]

// -----

// tiny.tanh: TFLite's int8 kernel writes scale 1/128, zero point 0
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.0078125:-128>
  tiny.tanh %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.tanh: int8 TANH output must have scale 1/128 and zero point 0 [operation #3 (%y)]

// -----

// tiny.log_softmax: TFLite's int8 kernel needs scale 16/256, zero point 127
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.0625:0>
  tiny.log_softmax %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.log_softmax: int8 LOG_SOFTMAX output must have scale 16/256 and zero point 127 [operation #3 (%y)]

// -----

// tiny.leaky_relu: a negative alpha
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  tiny.leaky_relu %x -> %y {alpha = -0.5 : f32}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.leaky_relu: LEAKY_RELU alpha -0.5 is negative (only alpha >= 0 is supported) [operation #3 (%y)]

// -----

// tiny.arg_max: the output keeps the reduced dimension
func.func @main(%x: !tiny.buffer<1x4x3xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x1x3xi32>
  tiny.arg_max %x -> %y {axis = 1 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.arg_max: output [1, 1, 3] is not [1, 4, 3] without dimension 1 [operation #3 (%y)]

// -----

// tiny.arg_max: the output is i32
func.func @main(%x: !tiny.buffer<1x4x3xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x3xi8, 0.1:0>
  tiny.arg_max %x -> %y {axis = 1 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.arg_max: output must be i32 without quantization, got i8 [operation #3 (%y)]
