// Pools do not convert element types.
//
// RUN: not tinyir-opt %s 2>&1 | filecheck %s

func.func @main(%x: !tiny.buffer<1x4x4x2xi8, 0.1:0>) -> !tiny.buffer<1x4x4x2xi32, 0.1:0> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x2xi32, 0.1:0>
  tiny.max_pool_2d %x -> %y {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x4x4x2xi32, 0.1:0>
}
// CHECK: {{\A}}error: {{.*}}.mlir: tiny.max_pool_2d: {{.*}}
// CHECK-NOT: {{.}}
