// RUN: not tinyir-opt %s --split-input-file 2>&1 | filecheck %s
// Each chunk holds one mistake in a tiny.resize, reported on one line.

// an unknown mode
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.05:-7>) -> !tiny.buffer<1x4x4x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.05:-7>
  tiny.resize %x -> %y {mode = "cubic", align_corners = false, half_pixel_centers = false}
  func.return %y : !tiny.buffer<1x4x4x4xi8, 0.05:-7>
}
// CHECK: error: {{.*}}: tiny.resize: mode must be one of nearest, bilinear, got 'cubic' [operation #{{[0-9]+}}{{.*}}]

// -----

// bilinear with both coordinate flags
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.05:-7>) -> !tiny.buffer<1x4x4x4xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.05:-7>
  tiny.resize %x -> %y {mode = "bilinear", align_corners = true, half_pixel_centers = true}
  func.return %y : !tiny.buffer<1x4x4x4xi8, 0.05:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.resize: bilinear: align_corners and half_pixel_centers exclude each other [operation #{{[0-9]+}}{{.*}}]

// -----

// the channels change
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.05:-7>) -> !tiny.buffer<1x4x4x3xi8, 0.05:-7> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:-7>
  tiny.resize %x -> %y {mode = "nearest", align_corners = false, half_pixel_centers = false}
  func.return %y : !tiny.buffer<1x4x4x3xi8, 0.05:-7>
}
// CHECK-NEXT: error: {{.*}}: tiny.resize: output [1, 4, 4, 3] differs from input [1, 2, 2, 4] in batch or channels [operation #{{[0-9]+}}{{.*}}]

// -----

// another quantization
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.05:-7>) -> !tiny.buffer<1x4x4x4xi8, 0.05:-6> {
  %y = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.05:-6>
  tiny.resize %x -> %y {mode = "nearest", align_corners = false, half_pixel_centers = false}
  func.return %y : !tiny.buffer<1x4x4x4xi8, 0.05:-6>
}
// CHECK-NEXT: error: {{.*}}: tiny.resize: input and output element type and quantization must be equal [operation #{{[0-9]+}}{{.*}}]
// CHECK-NOT: {{.}}
