// --fuse changes which buffers are live when, so it refuses IR whose buffers
// --arena-alloc has already placed (one line, exit status 1).
//
// RUN: not tinyir-opt %s --fuse 2>&1 | filecheck %s
// CHECK: error: fuse: the buffers are already placed in the arena (tiny.alloc offset); run --fuse before --arena-alloc
// CHECK-NOT: Traceback

func.func @main(%x: !tiny.buffer<1x8xi8, 0.1:0>) -> !tiny.buffer<1x8xi8, 0.1:0> {
  %s = tiny.alloc offset 0 : !tiny.buffer<1x8xi8, 0.1:0>
  tiny.add %x, %x -> %s {clamp = array<i64: -128, 127>}
  %r = tiny.alloc offset 8 : !tiny.buffer<1x8xi8, 0.1:0>
  tiny.clamp %s -> %r {clamp = array<i64: 0, 127>}
  func.return %r : !tiny.buffer<1x8xi8, 0.1:0>
}
