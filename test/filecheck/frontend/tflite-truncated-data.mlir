// A .tflite cut off inside its constant data gets one error line.
//
// RUN: python %{frontend}/make_model.py net %t.tflite --truncate -64
// RUN: not tinyir-opt %t.tflite 2>&1 | filecheck %s

// CHECK: {{\A}}error: {{.*}}truncated{{.*}}
// CHECK-NOT: {{.}}
