// --report - prints the memory report as a table on stdout in place of the IR;
// with -o the IR goes to the file and the table still to stdout. The IR here
// is allocated by hand (offsets, arena size, a scratch buffer for the conv).
//
// RUN: tinyir-opt %s --report - | filecheck %s
// RUN: tinyir-opt %s --report - -o %t.mlir | filecheck %s
// RUN: tinyir-opt %s -o %t.plain.mlir
// RUN: diff %t.mlir %t.plain.mlir
//
// Names are the printed ones, also after strip-names:
// RUN: tinyir-opt %s --strip-names --report - | filecheck %s --check-prefix=STRIPPED
//
// Without allocation there is no arena and no offsets:
// RUN: tinyir-opt %s -o %t.unallocated.mlir
// RUN: sed -e 's/ offset [0-9]*//' -e 's/ attributes {tiny.arena_size = 112 : i64}//' %t.unallocated.mlir | tinyir-opt --report - | filecheck %s --check-prefix=UNALLOCATED
//
// After --arena-alloc: what it assumed, and offsets for the input (an argument
// attribute) as for the allocs:
// RUN: sed -e 's/ offset [0-9]*//' -e 's/ attributes {tiny.arena_size = 112 : i64}//' %t.unallocated.mlir | tinyir-opt --arena-alloc --report - | filecheck %s --check-prefix=PASS
//
// --report FILE writes JSON and leaves the IR on stdout:
// RUN: tinyir-opt %s --report %t.json | filecheck %s --check-prefix=IR
// RUN: filecheck %s --check-prefix=JSON < %t.json

builtin.module attributes {tiny.arena_size = 112 : i64} {
  func.func @main(%x: !tiny.buffer<1x4x4x2xi8, 0.5:0>) -> !tiny.buffer<1x3xi8, 0.25:0> {
    %w = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<4x3x3x2xi8, 0.01:0>
    %b = tiny.const dense<"0x00000000000000000000000000000000"> : !tiny.buffer<4xi32>
    %s = tiny.alloc offset 32 : !tiny.buffer<64xi8>
    %c = tiny.alloc offset 96 : !tiny.buffer<1x2x2x4xi8, 0.5:0>
    tiny.conv_2d %x, %w, %b -> %c scratch %s {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    %dw = tiny.const dense<"0x010101010101010101010101010101010101010101010101010101010101010101010101"> : !tiny.buffer<1x3x3x4xi8, 0.01:0>
    %d = tiny.alloc offset 0 : !tiny.buffer<1x2x2x4xi8, 0.5:0>
    tiny.depthwise_conv_2d %c, %dw, %b -> %d {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
    %e = tiny.alloc offset 16 : !tiny.buffer<1x2x2x4xi8, 0.5:0>
    tiny.depthwise_conv_2d %d, %dw, %b -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
    %a = tiny.alloc offset 32 : !tiny.buffer<1x2x2x4xi8, 0.5:0>
    tiny.add %c, %e -> %a {clamp = array<i64: -128, 127>}
    %p = tiny.alloc offset 0 : !tiny.buffer<1x1x1x4xi8, 0.5:0>
    tiny.avg_pool_2d %a -> %p {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    %f = tiny.reshape %p : !tiny.buffer<1x4xi8, 0.5:0>
    %fw = tiny.const dense<"0x010101010101010101010101"> : !tiny.buffer<3x4xi8, 0.01:0>
    %fb = tiny.const dense<"0x000000000000000000000000"> : !tiny.buffer<3xi32>
    %y = tiny.alloc offset 16 : !tiny.buffer<1x3xi8, 0.25:0>
    tiny.fully_connected %f, %fw, %fb -> %y {clamp = array<i64: -128, 127>}
    func.return %y : !tiny.buffer<1x3xi8, 0.25:0>
  }
}

// MACs: conv 2x2 outputs x 4 channels x 3x3x2 taps = 288; each depthwise
// 2x2 x 4 x 3x3 = 144; the FC 3 x 4 = 12; add and pool count 0.
// CHECK-NOT:  builtin.module
// CHECK:      {{\A}}memory report of @main ({{.*}}report.mlir)
// CHECK-NEXT:   target         cortex-m4
// CHECK-NEXT:   arena          112 B, 1.000 x the live peak
// CHECK-NEXT:   live peak      112 B  at step 0: tiny.conv_2d -> %c
// CHECK-NEXT:   as imported    live peak 112 B (the same), 6 steps
// CHECK-NEXT:   MACs           588, as imported 588
// Predicted on the CPU (the number is the calibration's), the same as imported:
// CHECK-NEXT:   instructions   {{[0-9]+}} ({{.*}}) predicted (tinyir.analysis.cost), as imported {{.*}} (1.000 x)
// CHECK-NEXT:   steps          6, buffers 8
// What the peak holds besides scratch, largest first (the bottleneck):
// CHECK-NEXT:   at the peak    %x 32 B; %c 16 B
// CHECK-EMPTY:
// CHECK-NEXT:   step  live bytes {{ +}}MACs  op {{ +}}output
// CHECK-NEXT: *    0         112  {{#+}}         288  tiny.conv_2d              %c
// CHECK-NEXT:      1          32  {{[#.]+}}         144  tiny.depthwise_conv_2d    %d
// The residual %c is held (live, untouched) while the second depthwise runs:
// CHECK-NEXT:      2          48  {{[#.]+}}         144  tiny.depthwise_conv_2d    %e
// CHECK-NEXT:      3          48  {{[#.]+}}           0  tiny.add                  %a
// CHECK-NEXT:      4          20  {{[#.]+}}           0  tiny.avg_pool_2d          %p
// The FC reads %p through the view %f:
// CHECK-NEXT:      5           7  {{[#.]+}}          12  tiny.fully_connected      %y
// CHECK-NEXT:   (* = peak; bar: live bytes against the arena)
// CHECK-EMPTY:
// CHECK-NEXT:      bytes      offset  first   last  kind         buffer
// CHECK-NEXT:         32           -      0      0  input        %x
// CHECK-NEXT:         64          32      0      0  scratch      %s
// CHECK-NEXT:         16          96      0      3  activation   %c
// CHECK-NEXT:         16           0      1      2  activation   %d
// CHECK-NEXT:         16          16      2      3  activation   %e
// CHECK-NEXT:         16          32      3      4  activation   %a
// CHECK-NEXT:          4           0      4      5  activation   %p
// CHECK-NEXT:          3          16      5      5  output       %y
// CHECK-NOT:  {{.}}

// STRIPPED:   live peak      112 B  at step 0: tiny.conv_2d -> %4
// STRIPPED:   *    0 {{.*}}  tiny.conv_2d              %4
// STRIPPED:           64          32      0      0  scratch      %3

// UNALLOCATED:      target         cortex-m4
// UNALLOCATED-NEXT: arena          not allocated (run --arena-alloc)
// UNALLOCATED-NEXT: live peak      112 B  at step 0: tiny.conv_2d -> %c
// UNALLOCATED:      (* = peak; bar: live bytes against the peak)
// UNALLOCATED:         64           -      0      0  scratch      %s
// UNALLOCATED:         16           -      0      3  activation   %c

// PASS:      memory report of @main (<stdin>)
// PASS-NEXT:   target         cortex-m4
// PASS-NEXT:   arena          {{[0-9]+}} B, {{[0-9.]+}} x the live peak
// PASS-NEXT:   allocated with alignment 16, lower bound {{[0-9]+}} B
// PASS:        {{^ +}}32 {{ +}}{{[0-9]+}}      0      0  input        %x
// PASS:        {{^ +}}16 {{ +}}{{[0-9]+}}      0 {{ +[0-9]+}}  activation   %c

// IR:      builtin.module attributes {tiny.arena_size = 112 : i64} {
// IR:      tiny.conv_2d %x, %w, %b -> %c scratch %s

// JSON:      "arena_bytes": 112,
// Hand-allocated: no lower bound or alignment recorded, nor a CPU (the default).
// JSON-NEXT: "arena_lower_bound": null,
// JSON-NEXT: "alignment": null,
// JSON-NEXT: "target_cpu": "cortex-m4",
// JSON-NEXT: "live_peak_bytes": 112,
// JSON-NEXT: "peak_step": 0,
// JSON-NEXT: "macs": 588,
// JSON-NEXT: "macs_baseline": 588,
// JSON-NEXT: "instructions": {{[1-9][0-9]*}},
