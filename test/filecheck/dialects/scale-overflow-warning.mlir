// A scale beyond float32 is refused with the error line only (no numpy warning).
//
// RUN: not tinyir-opt %s 2>&1 | filecheck %s

func.func @main(%x: !tiny.buffer<1x4xi8, 1.0e39:0>) {
  func.return
}
// CHECK: {{\A}}error: {{.*}}scale-overflow-warning.mlir:[[# @LINE - 3]]:33: tiny.buffer: scales must be finite{{$}}
// CHECK-NOT: {{.}}
