// check-arena proves an allocation sound: every SRAM buffer has an aligned
// offset inside the arena, and no two buffers live at the same step share a
// byte. It changes nothing; a failure is one line naming the buffers.
//
// RUN: not tinyir-opt %s --split-input-file --check-arena 2>&1 >/dev/null | filecheck %s
// RUN: not tinyir-opt %s --split-input-file -p check-arena 2>&1 >/dev/null | filecheck %s
// The first module is sound and comes out unchanged:
// RUN: not tinyir-opt %s --split-input-file --check-arena 2>/dev/null | filecheck %s --check-prefix=OK

builtin.module attributes {tiny.arena_size = 48 : i64, tiny.alignment = 16 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc offset 16 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    %b = tiny.alloc offset 32 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %a -> %b {clamp = array<i64: -128, 127>}
    // %x is dead after the second add: %c may take its bytes.
    %c = tiny.alloc offset 0 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %a, %b -> %c {clamp = array<i64: -128, 127>}
    func.return %c : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// OK:      tiny.arena_size = 48 : i64
// OK:      %c = tiny.alloc offset 0
// OK-NOT:  tiny.arena_size

// -----
// %b overlaps %a, which the third add still reads (no tiny.alignment: any offset will do).
builtin.module attributes {tiny.arena_size = 48 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc offset 16 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    %b = tiny.alloc offset 24 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %a -> %b {clamp = array<i64: -128, 127>}
    %c = tiny.alloc offset 0 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %a, %b -> %c {clamp = array<i64: -128, 127>}
    func.return %c : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// CHECK: error: arena check: %a [16, 32) and %b [24, 40) overlap while both are live at step 1 (tiny.add){{$}}

// -----
// The model output overlaps the input while the input is still read.
builtin.module attributes {tiny.arena_size = 32 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc offset 16 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    %c = tiny.alloc offset 8 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %a -> %c {clamp = array<i64: -128, 127>}
    func.return %c : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// CHECK-NEXT: error: arena check: %x [0, 16) and %c [8, 24) overlap while both are live at step 1 (tiny.add){{$}}

// -----
builtin.module attributes {tiny.arena_size = 48 : i64, tiny.alignment = 16 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc offset 20 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    func.return %a : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// CHECK-NEXT: error: arena check: %a at offset 20 is not aligned to 16 bytes{{$}}

// -----
builtin.module attributes {tiny.arena_size = 24 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc offset 16 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    func.return %a : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// CHECK-NEXT: error: arena check: %a [16, 32) lies outside the arena of 24 bytes{{$}}

// -----
builtin.module attributes {tiny.arena_size = 32 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    func.return %a : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// CHECK-NEXT: error: arena check: %a has no arena offset{{$}}

// -----
builtin.module attributes {tiny.arena_size = 32 : i64} {
  func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0>) -> !tiny.buffer<1x16xi8, 0.5:0> {
    %a = tiny.alloc offset 16 : !tiny.buffer<1x16xi8, 0.5:0>
    tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
    func.return %a : !tiny.buffer<1x16xi8, 0.5:0>
  }
}
// CHECK-NEXT: error: arena check: %x has no arena offset{{$}}

// -----
func.func @main(%x: !tiny.buffer<1x16xi8, 0.5:0>) -> !tiny.buffer<1x16xi8, 0.5:0> {
  %a = tiny.alloc : !tiny.buffer<1x16xi8, 0.5:0>
  tiny.add %x, %x -> %a {clamp = array<i64: -128, 127>}
  func.return %a : !tiny.buffer<1x16xi8, 0.5:0>
}
// CHECK-NEXT: error: arena check: the module is not allocated (no tiny.arena_size); run --arena-alloc{{$}}
// CHECK-NOT:  error
