// tiny.resize (TFLite's RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR; ONNX
// Resize and Upsample) prints as it parses, in the custom and the generic form.
// RUN: tinyir-opt %s | filecheck %s
// RUN: tinyir-opt %s | tinyir-opt | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | tinyir-opt | filecheck %s

// CHECK:      func.func @main(%x: !tiny.buffer<1x5x6x4xi8, 0.05:-7>, %f: !tiny.buffer<1x3x3x2xf32>) -> (!tiny.buffer<1x10x12x4xi8, 0.05:-7>, !tiny.buffer<1x7x4x4xi8, 0.05:-7>, !tiny.buffer<1x6x5x2xf32>) {
// CHECK-NEXT:   %up = tiny.alloc : !tiny.buffer<1x10x12x4xi8, 0.05:-7>
// CHECK-NEXT:   tiny.resize %x -> %up {mode = "nearest", align_corners = false, half_pixel_centers = false}
// CHECK-NEXT:   %odd = tiny.alloc : !tiny.buffer<1x7x4x4xi8, 0.05:-7>
// CHECK-NEXT:   tiny.resize %x -> %odd {mode = "bilinear", align_corners = true, half_pixel_centers = false}
// CHECK-NEXT:   %g = tiny.alloc : !tiny.buffer<1x6x5x2xf32>
// CHECK-NEXT:   tiny.resize %f -> %g {mode = "bilinear", align_corners = false, half_pixel_centers = true}
func.func @main(%x: !tiny.buffer<1x5x6x4xi8, 0.05:-7>, %f: !tiny.buffer<1x3x3x2xf32>) -> (!tiny.buffer<1x10x12x4xi8, 0.05:-7>, !tiny.buffer<1x7x4x4xi8, 0.05:-7>, !tiny.buffer<1x6x5x2xf32>) {
  %up = tiny.alloc : !tiny.buffer<1x10x12x4xi8, 0.05:-7>
  tiny.resize %x -> %up {mode = "nearest", align_corners = false, half_pixel_centers = false}
  %odd = tiny.alloc : !tiny.buffer<1x7x4x4xi8, 0.05:-7>
  tiny.resize %x -> %odd {mode = "bilinear", align_corners = true, half_pixel_centers = false}
  %g = tiny.alloc : !tiny.buffer<1x6x5x2xf32>
  tiny.resize %f -> %g {mode = "bilinear", align_corners = false, half_pixel_centers = true}
  func.return %up, %odd, %g : !tiny.buffer<1x10x12x4xi8, 0.05:-7>, !tiny.buffer<1x7x4x4xi8, 0.05:-7>, !tiny.buffer<1x6x5x2xf32>
}
