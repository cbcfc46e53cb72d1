// tiny.pad refuses a pad value its element type cannot hold.
//
// RUN: not tinyir-opt %s 2>&1 | filecheck %s

func.func @main(%x: !tiny.buffer<1x2xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.1:0> {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, 1>, value = 1000 : i64}
  func.return %y : !tiny.buffer<1x4xi8, 0.1:0>
}
// CHECK: {{\A}}error: {{.*}}.mlir: tiny.pad: {{.*}}
// CHECK-NOT: {{.}}
