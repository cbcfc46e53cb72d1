// A rank-0 fully_connected output is refused with one line, not a crash.
//
// RUN: not tinyir-opt %s 2>&1 | filecheck %s

func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x01020304"> : !tiny.buffer<1x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<i8, 0.1:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK: {{\A}}error: {{.*}}.mlir: tiny.fully_connected: {{.*}}
// CHECK-NOT: {{.}}
