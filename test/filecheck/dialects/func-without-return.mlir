// A function body must end with func.return (tinyir-opt and tinyir-run).
//
// RUN: not tinyir-opt %s 2>&1 | filecheck %s
// RUN: not tinyir-run %s 2>&1 | filecheck %s

func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  tiny.logistic %x -> %y
}
// CHECK: {{\A}}error: {{.*}}terminator{{.*}}
// CHECK-NOT: {{.}}
