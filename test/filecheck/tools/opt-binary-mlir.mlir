// A binary file named .mlir gets one error line.
//
// RUN: python %{frontend}/make_model.py net %t.mlir
// RUN: not tinyir-opt %t.mlir 2>&1 | filecheck %s

// CHECK: {{\A}}error: {{.*}}
// CHECK-NOT: {{.}}
