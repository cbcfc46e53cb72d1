// RUN: tinyir-opt %s | tinyir-opt | filecheck %s
// RUN: tinyir-opt %s | tinyir-opt > %t.1.mlir && tinyir-opt %t.1.mlir > %t.2.mlir && diff %t.1.mlir %t.2.mlir
// RUN: xdsl-opt %s --print-op-generic | tinyir-opt | filecheck %s

// The ops of dialects/tiny/arith.py (SUB, MINIMUM, MAXIMUM, SQUARED_DIFFERENCE,
// PRELU, LEAKY_RELU, TANH, LOG_SOFTMAX, ARG_MAX), printed, parsed back and
// printed again; the generic form (xdsl-opt) reads back the same. What their
// verifiers refuse is in tiny-arith-invalid.mlir.

// CHECK: builtin.module {

// --- elementwise binary ops: equal shapes and broadcasts ----------------------------

func.func @binary(%a: !tiny.buffer<1x4x4x3xi8, 0.05:-2>, %b: !tiny.buffer<1x1x1x3xi8, 0.1:7>,
                  %c: !tiny.buffer<1x4x4x3xi8, 0.05:-2>) {
  %s = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.08:0>
  tiny.sub %a, %b -> %s {clamp = array<i64: 0, 127>}
  %lo = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:-2>
  tiny.minimum %a, %c -> %lo {clamp = array<i64: -128, 127>}
  %hi = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:-2>
  tiny.maximum %c, %a -> %hi {clamp = array<i64: -2, 127>}
  %d = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.01:-128>
  tiny.squared_difference %a, %b -> %d {clamp = array<i64: -128, 127>}
  %alpha = tiny.const dense<"0x0AF105"> : !tiny.buffer<1x1x3xi8, 0.02:0>
  %p = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.04:-20>
  tiny.prelu %a, %alpha -> %p {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-LABEL: func.func @binary(
// CHECK-NEXT:    %s = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.08:0>
// CHECK-NEXT:    tiny.sub %a, %b -> %s {clamp = array<i64: 0, 127>}
// CHECK-NEXT:    %lo = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:-2>
// CHECK-NEXT:    tiny.minimum %a, %c -> %lo {clamp = array<i64: -128, 127>}
// CHECK-NEXT:    %hi = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:-2>
// CHECK-NEXT:    tiny.maximum %c, %a -> %hi {clamp = array<i64: -2, 127>}
// CHECK-NEXT:    %d = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.01:-128>
// CHECK-NEXT:    tiny.squared_difference %a, %b -> %d {clamp = array<i64: -128, 127>}
// CHECK-NEXT:    %alpha = tiny.const dense<"0x0AF105"> : !tiny.buffer<1x1x3xi8, 0.02:0>
// CHECK-NEXT:    %p = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.04:-20>
// CHECK-NEXT:    tiny.prelu %a, %alpha -> %p {clamp = array<i64: -128, 127>}
// CHECK-NEXT:    func.return

// --- activations, log_softmax, arg_max ----------------------------------------------

func.func @unary(%x: !tiny.buffer<1x2x10xi8, 0.1:3>) -> !tiny.buffer<1x10xi32> {
  %l = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.07:-30>
  tiny.leaky_relu %x -> %l {alpha = 0.2 : f32}
  %z = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.1:3>
  tiny.leaky_relu %x -> %z {alpha = 0.0 : f32}
  %t = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.0078125:0>
  tiny.tanh %x -> %t
  %s = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.0625:127>
  tiny.log_softmax %x -> %s
  %i = tiny.alloc : !tiny.buffer<1x10xi32>
  tiny.arg_max %x -> %i {axis = 1 : i64}
  func.return %i : !tiny.buffer<1x10xi32>
}
// CHECK-LABEL: func.func @unary(
// CHECK-NEXT:    %l = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.07:-30>
// CHECK-NEXT:    tiny.leaky_relu %x -> %l {alpha = 2.000000e-01 : f32}
// CHECK-NEXT:    %z = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.1:3>
// CHECK-NEXT:    tiny.leaky_relu %x -> %z {alpha = 0.000000e+00 : f32}
// CHECK-NEXT:    %t = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.0078125:0>
// CHECK-NEXT:    tiny.tanh %x -> %t{{$}}
// CHECK-NEXT:    %s = tiny.alloc : !tiny.buffer<1x2x10xi8, 0.0625:127>
// CHECK-NEXT:    tiny.log_softmax %x -> %s{{$}}
// CHECK-NEXT:    %i = tiny.alloc : !tiny.buffer<1x10xi32>
// CHECK-NEXT:    tiny.arg_max %x -> %i {axis = 1 : i64}
// CHECK-NEXT:    func.return %i : !tiny.buffer<1x10xi32>
