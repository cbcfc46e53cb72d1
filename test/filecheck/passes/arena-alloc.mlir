// arena-alloc: CMSIS-NN scratch buffers for the target CPU, in-place
// elementwise ops, an offset for every SRAM buffer (function arguments as
// `tiny.offset` argument attributes) and the arena on the module.
//
// RUN: tinyir-opt %s --arena-alloc | filecheck %s
// RUN: tinyir-opt %s -p 'arena-alloc{target-cpu=cortex-m4 alignment=16 inplace=true}' | filecheck %s
// RUN: tinyir-opt %s --arena-alloc=target-cpu=cortex-m0plus | filecheck %s --check-prefix=M0
// RUN: tinyir-opt %s --arena-alloc=target-cpu=cortex-m55 | filecheck %s --check-prefix=M55
// RUN: tinyir-opt %s -p 'arena-alloc{inplace=false alignment=4}' | filecheck %s --check-prefix=NOINPLACE
//
// The output parses back to itself, passes the checker (also from stock
// xdsl-opt), and running the pass again replans it the same. The CPU is the
// module's (--mcpu): another one in the option is an error naming both.
// RUN: tinyir-opt %s --arena-alloc -o %t.mlir
// RUN: tinyir-opt %t.mlir --check-arena | diff - %t.mlir
// RUN: xdsl-opt %t.mlir -p check-arena > /dev/null
// RUN: tinyir-opt %t.mlir --arena-alloc | diff - %t.mlir
// RUN: tinyir-opt %s --mcpu cortex-m55 --arena-alloc | filecheck %s --check-prefix=M55
// RUN: not tinyir-opt %t.mlir --arena-alloc=target-cpu=cortex-m55 2>&1 | filecheck %s --check-prefix=OTHERCPU
// RUN: not tinyir-opt %s --mcpu cortex-m55 --arena-alloc=target-cpu=cortex-m4 2>&1 | filecheck %s --check-prefix=OTHERCPU4
//
// The allocated module computes the same, in one arena:
// RUN: tinyir-run %s > %t.plain
// RUN: tinyir-run %t.mlir > %t.arena
// RUN: tinyir-run %s --mcpu cortex-m55 --arena-alloc > %t.m55
// RUN: cat %t.plain %t.arena %t.m55 | filecheck %s --check-prefix=SAME
//
// In-place depthwise convolution (option inplace-depthwise, off by default):
// here the depthwise conv's input %c is read again by the add, so it is refused
// and the IR is the default one.
// RUN: tinyir-opt %s --arena-alloc=inplace-depthwise=true | filecheck %s
// On Inputs/arena-alloc-depthwise.mlir (stride 2, 8 channels) it pays off:
// RUN: tinyir-opt %S/Inputs/arena-alloc-depthwise.mlir -p 'arena-alloc{inplace-depthwise=true}' | filecheck %s --check-prefix=DW
// RUN: tinyir-opt %S/Inputs/arena-alloc-depthwise.mlir --arena-alloc | filecheck %s --check-prefix=NODW
// RUN: tinyir-run %S/Inputs/arena-alloc-depthwise.mlir > %t.dw.plain
// RUN: tinyir-run %S/Inputs/arena-alloc-depthwise.mlir --arena-alloc=inplace-depthwise=true > %t.dw.arena
// RUN: cat %t.dw.plain %t.dw.arena | filecheck %s --check-prefix=DWSAME
//
// A row loop writing over its input (option inplace-rows, on by default): on
// Inputs/arena-alloc-rows.mlir %y becomes a view of the model input %x, which
// the loop finishes reading row by row; the same result in less arena.
// RUN: tinyir-opt %S/Inputs/arena-alloc-rows.mlir --arena-alloc | filecheck %s --check-prefix=ROWS
// RUN: tinyir-opt %S/Inputs/arena-alloc-rows.mlir -p 'arena-alloc{inplace-rows=false}' | filecheck %s --check-prefix=NOROWS
// RUN: tinyir-run %S/Inputs/arena-alloc-rows.mlir > %t.rows.plain
// RUN: tinyir-run %S/Inputs/arena-alloc-rows.mlir --arena-alloc > %t.rows.arena
// RUN: cat %t.rows.plain %t.rows.arena | filecheck %s --check-prefix=ROWSAME
//
// Bad options: one line naming the choices.
// RUN: not tinyir-opt %s --arena-alloc=target-cpu=cortex-m9 2>&1 | filecheck %s --check-prefix=BADCPU
// RUN: not tinyir-opt %s -p 'arena-alloc{alignment=12}' 2>&1 | filecheck %s --check-prefix=BADALIGN

func.func @main(%x: !tiny.buffer<1x4x4x2xi8, 0.5:-1>) -> !tiny.buffer<1x4xi8, 0.25:0> {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20212223FF"> : !tiny.buffer<2x3x3x2xi8, 0.01:0>
  %b = tiny.const dense<"0x6400000038FFFFFF"> : !tiny.buffer<2xi32>
  %c = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.5:-1>
  tiny.conv_2d %x, %w, %b -> %c {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  %dw = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112"> : !tiny.buffer<1x3x3x2xi8, 0.02:0>
  %d = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.5:-1>
  tiny.depthwise_conv_2d %c, %dw -> %d {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  %s = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.25:3>
  tiny.add %c, %d -> %s {clamp = array<i64: -128, 127>}
  %p = tiny.alloc : !tiny.buffer<1x1x1x2xi8, 0.25:3>
  tiny.avg_pool_2d %s -> %p {kernel = array<i64: 4, 4>, stride = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %f = tiny.reshape %p : !tiny.buffer<1x2xi8, 0.25:3>
  %fw = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<4x2xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.25:0>
  tiny.fully_connected %f, %fw -> %y {clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x4xi8, 0.25:0>
}

// Cortex-M4 (DSP): the 3x3 conv needs 2 x 20 int16 of im2col (18 taps rounded
// up to 4); the 3x3 depthwise conv with padding 1 takes CMSIS-NN's no-buffer
// fast path; the average pool sums in 2 int32. The add writes over %c, which
// dies there. Live: x + c + scratch (32 + 32 + 80) at the conv = 144.
// The offsets are the allocator's current choice (multiples of 16; %d, %p and
// %y reuse the bytes of the conv's scratch once it is dead):
// CHECK:      builtin.module attributes {tiny.arena_size = 144 : i64, tiny.arena_lower_bound = 144 : i64, tiny.alignment = 16 : i64, tiny.target_cpu = "cortex-m4"} {
// CHECK-NEXT:   func.func @main(%x: !tiny.buffer<1x4x4x2xi8, 0.5:-1> {tiny.offset = 80 : i64}) -> !tiny.buffer<1x4xi8, 0.25:0> {
// CHECK:          %c = tiny.alloc offset 112 : !tiny.buffer<1x4x4x2xi8, 0.5:-1>
// CHECK-NEXT:     %c.scratch = tiny.alloc offset 0 : !tiny.buffer<80xi8>
// CHECK-NEXT:     tiny.conv_2d %x, %w, %b -> %c scratch %c.scratch {stride
// CHECK:          %d = tiny.alloc offset 0 : !tiny.buffer<1x4x4x2xi8, 0.5:-1>
// CHECK-NEXT:     tiny.depthwise_conv_2d %c, %dw -> %d {stride
// CHECK-NEXT:     %s = tiny.reshape %c : !tiny.buffer<1x4x4x2xi8, 0.25:3>
// CHECK-NEXT:     tiny.add %c, %d -> %s {clamp
// CHECK-NEXT:     %p = tiny.alloc offset 0 : !tiny.buffer<1x1x1x2xi8, 0.25:3>
// CHECK-NEXT:     %p.scratch = tiny.alloc offset 16 : !tiny.buffer<8xi8>
// CHECK-NEXT:     tiny.avg_pool_2d %s -> %p scratch %p.scratch {kernel
// CHECK-NEXT:     %f = tiny.reshape %p
// CHECK:          %y = tiny.alloc offset 16 : !tiny.buffer<1x4xi8, 0.25:0>
// CHECK-NEXT:     tiny.fully_connected %f, %fw -> %y {clamp
// CHECK-NEXT:     func.return %y

// Cortex-M0+ (pure C): the same im2col buffer, nothing for the pool.
// M0:       tiny.target_cpu = "cortex-m0plus"
// M0:       %c.scratch = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<80xi8>
// M0-NEXT:  tiny.conv_2d %x, %w, %b -> %c scratch %c.scratch
// M0-NOT:   scratch

// Cortex-M55 (MVE): four 16-byte im2col columns, 4 x 124 x 3 x 3 bytes for the
// depthwise conv, and one int32 kernel sum per output of the fully connected layer.
// M55:      tiny.arena_size = 4528 : i64, tiny.arena_lower_bound = 4528 : i64, tiny.alignment = 16 : i64, tiny.target_cpu = "cortex-m55"
// M55:      %c.scratch = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<128xi8>
// M55:      %d.scratch = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<4464xi8>
// M55-NEXT: tiny.depthwise_conv_2d %c, %dw -> %d scratch %d.scratch
// M55-NOT:  %p.scratch
// M55:      %y.scratch = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<16xi8>
// M55-NEXT: tiny.fully_connected %f, %fw -> %y scratch %y.scratch

// Without in-place ops the add gets its own buffer.
// NOINPLACE: tiny.alignment = 4 : i64
// NOINPLACE: %s = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<1x4x4x2xi8, 0.25:3>
// NOINPLACE-NEXT: tiny.add %c, %d -> %s

// In place, the depthwise conv writes its 4x4x8 output into the first 128
// bytes of its 8x8x8 input %a (a tiny.view: smaller than its source), one
// channel at a time through a temporary of 8 x 8 bytes, its scratch. Live at
// the depthwise conv: %a + temporary = 512 + 64 (was %a + %d = 512 + 128); the
// peak is now the 1x1 conv's x + a + scratch = 64 + 512 + 16.
// DW:      tiny.arena_size = 592 : i64, tiny.arena_lower_bound = 592 : i64
// DW:      %a = tiny.alloc offset [[A:[0-9]+]] : !tiny.buffer<1x8x8x8xi8, 0.5:-1>
// DW:      %d = tiny.view %a : !tiny.buffer<1x4x4x8xi8, 0.25:2>
// DW-NEXT: %d.scratch = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<64xi8>
// DW-NEXT: tiny.depthwise_conv_2d %a, %dw -> %d scratch %d.scratch {stride = array<i64: 2, 2>
// DW-NEXT: %p = tiny.alloc
// DW-NOT:  %d = tiny.alloc
// Without the option: CMSIS-NN's 3x3 kernel (no scratch) and a buffer of its own.
// NODW:      tiny.arena_size = 640 : i64, tiny.arena_lower_bound = 640 : i64
// NODW:      %d = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<1x4x4x8xi8, 0.25:2>
// NODW-NEXT: tiny.depthwise_conv_2d %a, %dw -> %d {stride
// DWSAME:      output 0: [1, 1, 1, 8] int8 checksum [[SUM:[0-9a-f]+]]
// DWSAME:      output 0: [1, 1, 1, 8] int8 checksum [[SUM]]

// SAME:      random input (seed 0)
// SAME-NEXT: output 0: [1, 4] int8 checksum [[SUM:[0-9a-f]+]]
// SAME-NEXT: random input (seed 0)
// SAME-NEXT: output 0: [1, 4] int8 checksum [[SUM]]
// SAME-NEXT: random input (seed 0)
// SAME-NEXT: output 0: [1, 4] int8 checksum [[SUM]]

// BADCPU:      {{\A}}error: pass pipeline 'arena-alloc{target-cpu=cortex-m9}': target-cpu must be one of cortex-m0, cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, cortex-m85, got 'cortex-m9'{{$}}
// BADCPU-NOT:  {{.}}
// OTHERCPU:      {{\A}}error: arena-alloc: target-cpu=cortex-m55, but the module is compiled for cortex-m4 (tiny.target_cpu); set the CPU once, with --mcpu{{$}}
// OTHERCPU-NOT:  {{.}}
// OTHERCPU4:     {{\A}}error: arena-alloc: target-cpu=cortex-m4, but the module is compiled for cortex-m55 (tiny.target_cpu); set the CPU once, with --mcpu{{$}}
// OTHERCPU4-NOT: {{.}}
// BADALIGN:     {{\A}}error: pass pipeline 'arena-alloc{alignment=12}': alignment must be a power of two, got 12{{$}}
// BADALIGN-NOT: {{.}}
// ROWS:      tiny.arena_size = 176 : i64, tiny.arena_lower_bound = 176 : i64
// ROWS:      %y = tiny.view %x : !tiny.buffer<1x6x4x4xi8, 0.25:3>
// ROWS-NEXT: tiny.tile_loop %t < 3 rows {
// ROWS:      tiny.depthwise_conv_2d %e, %d -> %y {stride
// NOROWS:      tiny.arena_size = 272 : i64, tiny.arena_lower_bound = 272 : i64
// NOROWS:      %y = tiny.alloc offset {{[0-9]+}} : !tiny.buffer<1x6x4x4xi8, 0.25:3>
// ROWSAME:      output 0: [1, 1, 1, 4] int8 checksum [[SUM:[0-9a-f]+]]
// ROWSAME:      output 0: [1, 1, 1, 4] int8 checksum [[SUM]]
