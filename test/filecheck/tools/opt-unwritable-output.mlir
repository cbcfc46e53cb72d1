// -o into a missing folder gets one error line.
//
// RUN: not tinyir-opt %s -o %t.no-such-folder/out.mlir 2>&1 | filecheck %s

func.func @main() {
  func.return
}
// CHECK: {{\A}}error: {{.*}}out.mlir{{.*}}
// CHECK-NOT: {{.}}
