// tiny.read_rows reads a streamed input ({tiny.stream}) a band of rows at a
// time in a row loop: the image is never whole. It prints as it parses.
// RUN: tinyir-opt %s --split-input-file | filecheck %s
// RUN: tinyir-opt %s --split-input-file | tinyir-opt --split-input-file | filecheck %s

// CHECK:      func.func @main(%x: !tiny.buffer<1x6x4x2xi8, 0.05:-3> {tiny.stream}) -> !tiny.buffer<1x6x4x2xi8, 0.05:-3> {
// CHECK-NEXT:   %y = tiny.alloc : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
// CHECK-NEXT:   tiny.tile_loop %t < 3 rows {
// CHECK-NEXT:     %x.rows = tiny.alloc : !tiny.buffer<1x2x4x2xi8, 0.05:-3>
// CHECK-NEXT:     tiny.read_rows %x -> %x.rows
// CHECK-NEXT:     tiny.clamp %x.rows -> %y {clamp = array<i64: -10, 10>}
// CHECK-NEXT:   }
func.func @main(%x: !tiny.buffer<1x6x4x2xi8, 0.05:-3> {tiny.stream}) -> !tiny.buffer<1x6x4x2xi8, 0.05:-3> {
  %y = tiny.alloc : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
  tiny.tile_loop %t < 3 rows {
    %x.rows = tiny.alloc : !tiny.buffer<1x2x4x2xi8, 0.05:-3>
    tiny.read_rows %x -> %x.rows
    tiny.clamp %x.rows -> %y {clamp = array<i64: -10, 10>}
  }
  func.return %y : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
}

// -----

// Outside a row loop it reads every row (what --partial-exec=stream-input=true
// starts from, before it puts it in the first row loop).
// CHECK: tiny.read_rows %x -> %rows
func.func @main(%x: !tiny.buffer<1x6x4x2xf32> {tiny.stream}) -> !tiny.buffer<1x6x4x2xi8, 0.05:-3> {
  %rows = tiny.alloc : !tiny.buffer<1x6x4x2xf32>
  tiny.read_rows %x -> %rows
  %y = tiny.alloc : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
  tiny.quantize %rows -> %y
  func.return %y : !tiny.buffer<1x6x4x2xi8, 0.05:-3>
}

