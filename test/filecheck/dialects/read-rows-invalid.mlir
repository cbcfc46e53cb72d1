// RUN: not tinyir-opt %s --split-input-file 2>&1 | filecheck %s
// Each chunk holds one mistake with a streamed input, reported on one line.

// only tiny.read_rows reads a streamed argument
func.func @main(%x: !tiny.buffer<1x6x4x2xi8, 0.05:-3> {tiny.stream}) -> !tiny.buffer<1x6x4x2xi8, 0.05:-3> {
  %y = tiny.alloc : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
  tiny.clamp %x -> %y {clamp = array<i64: -10, 10>}
  func.return %y : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
}
// CHECK: error: {{.*}}: func.func @main: argument #0 is streamed (tiny.stream): only tiny.read_rows reads it [operation #{{[0-9]+}}{{.*}}]

// -----

// tiny.read_rows reads nothing but a streamed argument
func.func @main(%x: !tiny.buffer<1x6x4x2xi8, 0.05:-3>) -> !tiny.buffer<1x6x4x2xi8, 0.05:-3> {
  %y = tiny.alloc : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
  tiny.read_rows %x -> %y
  func.return %y : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
}
// CHECK-NEXT: error: {{.*}}: tiny.read_rows: reads a streamed function argument (tiny.stream), not %x [operation #{{[0-9]+}}{{.*}}]

// -----

// rows of the stream's type
func.func @main(%x: !tiny.buffer<1x6x4x2xi8, 0.05:-3> {tiny.stream}) -> !tiny.buffer<1x6x4x2xi8, 0.1:-3> {
  %y = tiny.alloc : !tiny.buffer<1x6x4x2xi8, 0.1:-3>
  tiny.read_rows %x -> %y
  func.return %y : !tiny.buffer<1x6x4x2xi8, 0.1:-3>
}
// CHECK-NEXT: error: {{.*}}: tiny.read_rows: input and output element type and quantization must be equal [operation #{{[0-9]+}}{{.*}}]

// -----

// a stream is rows of one NHWC image
func.func @main(%x: !tiny.buffer<1x24xi8, 0.05:-3> {tiny.stream}) -> !tiny.buffer<1x24xi8, 0.05:-3> {
  %y = tiny.alloc : !tiny.buffer<1x24xi8, 0.05:-3>
  tiny.read_rows %x -> %y
  func.return %y : !tiny.buffer<1x24xi8, 0.05:-3>
}
// CHECK-NEXT: error: {{.*}}: tiny.read_rows: streams NHWC rows of one image, not [1, 24] [operation #{{[0-9]+}}{{.*}}]
