// reorder runs the compute ops in an order with the least peak of live bytes.
// Here %x feeds two branches: %b (16 bytes, kept until the concat) and %a1
// (64 bytes) -> %a2 (2 bytes). The file runs %b first, so it is live beside
// %a1: peak 4 + 16 + 64 = 84 bytes. Running the %a branch first and %b after
// it peaks at 4 + 64 + 2 = 70. Definitions (consts, allocs, the reshape)
// move with the op that first uses them.
//
// RUN: tinyir-opt %s --reorder | filecheck %s
// RUN: tinyir-opt %s -p 'reorder{max-states=100}' | filecheck %s
// With no room for the exact search, a heuristic order is found (here the same):
// RUN: tinyir-opt %s --reorder=max-states=1 | filecheck %s
// It is idempotent, and the pass also runs in stock xdsl-opt:
// RUN: tinyir-opt %s --reorder | tinyir-opt --reorder | filecheck %s
// RUN: xdsl-opt %s -p reorder | filecheck %s
// The outputs do not change:
// RUN: tinyir-run %s > %t.before
// RUN: tinyir-run %s --reorder > %t.after
// RUN: diff %t.before %t.after
// Buffers already placed by --arena-alloc would not fit a new order: refused.
// RUN: sed -e 's/tiny.alloc :/tiny.alloc offset 0 :/' %s | not tinyir-opt --reorder 2>&1 | filecheck %s --check-prefix=PLACED
// PLACED: error: reorder: the buffers are already placed in the arena (tiny.alloc offset); run --reorder before --arena-alloc
// PLACED-NOT: Traceback

func.func @main(%x: !tiny.buffer<1x4xi8, 0.05:0>) -> !tiny.buffer<1x18xi8, 0.05:0> {
  %wb = tiny.const dense<"0x7942BDF22106F0847762F0F3CB4D764DC7072051159A0F89F2C6DACAE344BB311245FD6F84DF9AD7C5B3D076AC0E8F53A7356C88913F20F6F72DB022D24D0A96"> : !tiny.buffer<16x4xi8, 0.02:0>
  %b = tiny.alloc : !tiny.buffer<1x16xi8, 0.05:0>
  tiny.fully_connected %x, %wb -> %b {clamp = array<i64: -128, 127>}
  %wa1 = tiny.const dense<"0xDAD43C1617C1A98E78129E0327371065D095864F15ADA0B846C1C0EBC5348ADC799ADF849BAD05D4A10AC0441EAAEEB4B48EFA0B1F0ABD80E998A35ABA5EA0BD8799C1350D439E71897AA75FDE3134A4AA72E05628AC6FE68A733D1161A15D8EAE2BB042D7958AEDB1D594D6D112D34F6602F4DE7110E993AE7422923D7D171165DC1906F63D57997A0AD31B3AAE4081F41FB471653E3D577A8C4103F9CC198A7F89D81AF2A5001C40173F1923F7102CFAA150A124B3C5C79BB88761A8DB3F4101C2285B15BFEBC216DC1BBEFEA1D7D6EB097D6F8A24D972DA420EA6BF863EED3FC037A33402F24978C7162F32C05B0CAE3E0D3AF691992D127A36331FA65C27"> : !tiny.buffer<64x4xi8, 0.02:0>
  %a1 = tiny.alloc : !tiny.buffer<1x64xi8, 0.05:0>
  tiny.fully_connected %x, %wa1 -> %a1 {clamp = array<i64: -128, 127>}
  %wa2 = tiny.const dense<"0x7B5C7FE8C981BCCBB3D62AC078D352D4F74FCD4C5331FEF7E25F4588654BA17697D3886F9D0B89F5C36658B87AA4F749D6F569EF0EF625CC17EF7578236F827B6184465F12825617A05DD82E2B3C2F879512B6E7AC030FABA9DFC2F8276BFAC840A33D8C27DD39E08031BFBCE6978736AD3AFCB41E965D4C5BBDE83F3748A9D7"> : !tiny.buffer<2x64xi8, 0.02:0>
  %a2 = tiny.alloc : !tiny.buffer<1x2xi8, 0.05:0>
  %a1row = tiny.reshape %a1 : !tiny.buffer<1x1x64xi8, 0.05:0>
  tiny.fully_connected %a1row, %wa2 -> %a2 {clamp = array<i64: -128, 127>}
  %y = tiny.alloc : !tiny.buffer<1x18xi8, 0.05:0>
  tiny.concat %b, %a2 -> %y {axis = 1 : i64}
  func.return %y : !tiny.buffer<1x18xi8, 0.05:0>
}

// CHECK:      func.func @main(%x: !tiny.buffer<1x4xi8, 0.05:0>) -> !tiny.buffer<1x18xi8, 0.05:0> {
// CHECK-NEXT:   %wa1 = tiny.const
// CHECK-NEXT:   %a1 = tiny.alloc
// CHECK-NEXT:   tiny.fully_connected %x, %wa1 -> %a1
// CHECK-NEXT:   %wa2 = tiny.const
// CHECK-NEXT:   %a2 = tiny.alloc
// CHECK-NEXT:   %a1row = tiny.reshape %a1
// CHECK-NEXT:   tiny.fully_connected %a1row, %wa2 -> %a2
// CHECK-NEXT:   %wb = tiny.const
// CHECK-NEXT:   %b = tiny.alloc
// CHECK-NEXT:   tiny.fully_connected %x, %wb -> %b
// CHECK-NEXT:   %y = tiny.alloc
// CHECK-NEXT:   tiny.concat %b, %a2 -> %y {axis = 1 : i64}
// CHECK-NEXT:   func.return %y
