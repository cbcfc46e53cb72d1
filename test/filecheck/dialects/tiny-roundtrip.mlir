// RUN: tinyir-opt %s | tinyir-opt | filecheck %s
// RUN: tinyir-opt %s | tinyir-opt > %t.1.mlir && tinyir-opt %t.1.mlir > %t.2.mlir && diff %t.1.mlir %t.2.mlir
// RUN: xdsl-opt %s --print-op-generic | tinyir-opt | filecheck %s
// RUN: xdsl-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

// Every op of the tiny dialect and every form of !tiny.buffer, printed, parsed
// back and printed again. The first RUN line checks the printed form, the
// second that printing is a fixed point (print(parse(print(x))) == print(x)).
// tinyir plugs the dialect into stock xdsl-opt (entry point xdsl.universe),
// which can print the generic form; tinyir-opt reads that back (third line).

// CHECK: builtin.module {

// --- buffer types: per-tensor, per-channel, plain, float ---------------------

func.func @types(%a: !tiny.buffer<1x8x8x3xi8, 0.0235:-128>,
                 %b: !tiny.buffer<4x3x3x3xi8, axis 0: {0.01:0, 0.02:0, 0.03:-1, 0.04:1}>,
                 %c: !tiny.buffer<2x3xi8, axis 1: {1.0:0, 0.5:0, 0.25:127}>,
                 %d: !tiny.buffer<1x2xi8, axis 0: {0.125:3}>,
                 %e: !tiny.buffer<4xi32>,
                 %f: !tiny.buffer<1x10xf32>,
                 %g: !tiny.buffer<1x4xi16, 0.0001:0>,
                 %h: !tiny.buffer<7xi64>,
                 %i: !tiny.buffer<4xi32, 0.0002:0>,
                 %j: !tiny.buffer<2xi8, 1:0>,
                 %k: !tiny.buffer<2xi8, 1.0e-05:0>,
                 %m: !tiny.buffer<2xi8, 0.33333334:5>) {
  func.return
}
// CHECK-LABEL: func.func @types(
// CHECK-SAME: %a: !tiny.buffer<1x8x8x3xi8, 0.0235:-128>
// CHECK-SAME: %b: !tiny.buffer<4x3x3x3xi8, axis 0: {0.01:0, 0.02:0, 0.03:-1, 0.04:1}>
// CHECK-SAME: %c: !tiny.buffer<2x3xi8, axis 1: {1.0:0, 0.5:0, 0.25:127}>
// CHECK-SAME: %d: !tiny.buffer<1x2xi8, axis 0: {0.125:3}>
// CHECK-SAME: %e: !tiny.buffer<4xi32>
// CHECK-SAME: %f: !tiny.buffer<1x10xf32>
// CHECK-SAME: %g: !tiny.buffer<1x4xi16, 0.0001:0>
// CHECK-SAME: %h: !tiny.buffer<7xi64>
// CHECK-SAME: %i: !tiny.buffer<4xi32, 0.0002:0>
// CHECK-SAME: %j: !tiny.buffer<2xi8, 1.0:0>
// CHECK-SAME: %k: !tiny.buffer<2xi8, 0.00001:0>
// CHECK-SAME: %m: !tiny.buffer<2xi8, 0.33333334:5>)
// CHECK-NEXT:    func.return

// Weights may have zero or negative per-channel scales (real models do); an
// activation's scale must be positive (tiny-invalid-types.mlir).
func.func @weight_scales() {
  %l = tiny.const dense<"0x01020304"> : !tiny.buffer<2x2xi8, axis 0: {0.0:0, -0.5:0}>
  func.return
}
// CHECK-LABEL: func.func @weight_scales()
// CHECK-NEXT:    %l = tiny.const dense<"0x01020304"> : !tiny.buffer<2x2xi8, axis 0: {0.0:0, -0.5:0}>

// --- buffers: alloc, const, reshape --------------------------------------------

func.func @buffers(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) -> (!tiny.buffer<1x16xi8, 0.5:-1>, !tiny.buffer<16xi8, 0.25:3>) {
  %s = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.5:-1>
  %w = tiny.const dense<"0x0102030405060708090a0b0c0d0e0f101112"> : !tiny.buffer<2x3x3x1xi8, axis 0: {0.01:0, 0.02:0}>
  %b = tiny.const dense<"0x6400000038FFFFFF"> : !tiny.buffer<2xi32>
  %f = tiny.const dense<"0x0000803F000020C0"> : !tiny.buffer<2xf32>
  %h = tiny.const dense<"0x0100FFFF"> : !tiny.buffer<2xi16, 0.001:0>
  %l = tiny.const dense<"0x0100000000000000"> : !tiny.buffer<1xi64>
  %v = tiny.reshape %x : !tiny.buffer<1x16xi8, 0.5:-1>
  %r = tiny.reshape %v : !tiny.buffer<16xi8, 0.25:3>
  func.return %v, %r  : !tiny.buffer<1x16xi8, 0.5:-1>, !tiny.buffer<16xi8, 0.25:3>
}
// CHECK-LABEL: func.func @buffers(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) -> (!tiny.buffer<1x16xi8, 0.5:-1>, !tiny.buffer<16xi8, 0.25:3>) {
// CHECK-NEXT:    %s = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.5:-1>
// CHECK-NEXT:    %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112"> : !tiny.buffer<2x3x3x1xi8, axis 0: {0.01:0, 0.02:0}>
// CHECK-NEXT:    %b = tiny.const dense<"0x6400000038FFFFFF"> : !tiny.buffer<2xi32>
// CHECK-NEXT:    %f = tiny.const dense<"0x0000803F000020C0"> : !tiny.buffer<2xf32>
// CHECK-NEXT:    %h = tiny.const dense<"0x0100FFFF"> : !tiny.buffer<2xi16, 0.001:0>
// CHECK-NEXT:    %l = tiny.const dense<"0x0100000000000000"> : !tiny.buffer<1xi64>
// CHECK-NEXT:    %v = tiny.reshape %x : !tiny.buffer<1x16xi8, 0.5:-1>
// CHECK-NEXT:    %r = tiny.reshape %v : !tiny.buffer<16xi8, 0.25:3>
// CHECK-NEXT:    func.return %v, %r : !tiny.buffer<1x16xi8, 0.5:-1>, !tiny.buffer<16xi8, 0.25:3>
// CHECK-NEXT:  }

// --- tiny.view: the first bytes of a buffer, same size or smaller, views of views

func.func @views(%x: !tiny.buffer<1x4x4x8xi8, 0.5:-1>) -> (!tiny.buffer<1x2x2x8xi8, 0.25:2>, !tiny.buffer<1x4x4x8xi8, 0.5:-1>) {
  %q = tiny.view %x : !tiny.buffer<1x2x2x8xi8, 0.25:2>
  %s = tiny.view %x : !tiny.buffer<1x4x4x8xi8, 0.5:-1>
  %r = tiny.reshape %q : !tiny.buffer<32xi8, 0.25:2>
  %t = tiny.view %r : !tiny.buffer<3xi8>
  func.return %q, %s : !tiny.buffer<1x2x2x8xi8, 0.25:2>, !tiny.buffer<1x4x4x8xi8, 0.5:-1>
}
// CHECK-LABEL: func.func @views(%x: !tiny.buffer<1x4x4x8xi8, 0.5:-1>) -> (!tiny.buffer<1x2x2x8xi8, 0.25:2>, !tiny.buffer<1x4x4x8xi8, 0.5:-1>) {
// CHECK-NEXT:    %q = tiny.view %x : !tiny.buffer<1x2x2x8xi8, 0.25:2>
// CHECK-NEXT:    %s = tiny.view %x : !tiny.buffer<1x4x4x8xi8, 0.5:-1>
// CHECK-NEXT:    %r = tiny.reshape %q : !tiny.buffer<32xi8, 0.25:2>
// CHECK-NEXT:    %t = tiny.view %r : !tiny.buffer<3xi8>
// CHECK-NEXT:    func.return %q, %s : !tiny.buffer<1x2x2x8xi8, 0.25:2>, !tiny.buffer<1x4x4x8xi8, 0.5:-1>
// CHECK-NEXT:  }

// --- convolutions ---------------------------------------------------------------

func.func @conv(%x: !tiny.buffer<1x6x6x1xi8, 0.0235:-128>) {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112"> : !tiny.buffer<2x3x3x1xi8, axis 0: {0.01:0, 0.02:0}>
  %b = tiny.const dense<"0x6400000038FFFFFF"> : !tiny.buffer<2xi32>
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.05:-128>
  tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -128, 127>}
  %z = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %z {stride = array<i64: 1, 1>, dilation = array<i64: 2, 2>, pad = array<i64: 2, 2, 2, 2>, clamp = array<i64: -128, -8>}
  func.return
}
// CHECK-LABEL: func.func @conv(
// CHECK:         %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.05:-128>
// CHECK-NEXT:    tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -128, 127>}
// CHECK-NEXT:    %z = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.05:-128>
// CHECK-NEXT:    tiny.conv_2d %x, %w -> %z {stride = array<i64: 1, 1>, dilation = array<i64: 2, 2>, pad = array<i64: 2, 2, 2, 2>, clamp = array<i64: -128, -8>}
// CHECK-NEXT:    func.return

func.func @depthwise(%x: !tiny.buffer<1x5x5x2xi8, 0.1:0>) {
  %w = tiny.const dense<"0xEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F1011"> : !tiny.buffer<1x3x3x4xi8, axis 3: {0.1:0, 0.2:0, 0.3:0, 0.4:0}>
  %b = tiny.const dense<"0x01000000020000000300000004000000"> : !tiny.buffer<4xi32>
  %y = tiny.alloc : !tiny.buffer<1x3x3x4xi8, 0.2:-128>
  tiny.depthwise_conv_2d %x, %w, %b -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, -98>}
  func.return
}
// CHECK-LABEL: func.func @depthwise(
// CHECK-NEXT:    %w = tiny.const dense<"0xEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F1011"> : !tiny.buffer<1x3x3x4xi8, axis 3: {0.1:0, 0.2:0, 0.3:0, 0.4:0}>
// CHECK-NEXT:    %b = tiny.const dense<"0x01000000020000000300000004000000"> : !tiny.buffer<4xi32>
// CHECK-NEXT:    %y = tiny.alloc : !tiny.buffer<1x3x3x4xi8, 0.2:-128>
// CHECK-NEXT:    tiny.depthwise_conv_2d %x, %w, %b -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, -98>}

func.func @fully_connected(%x: !tiny.buffer<1x2x2x4xi8, 0.5:-1>) {
  %w = tiny.const dense<"0xC4C9CED3D8DDE2E7ECF1F6FB00050A0F14191E23282D3237"> : !tiny.buffer<3x8xi8, 0.02:0>
  %b = tiny.const dense<"0x07000000F9FFFFFF00000000"> : !tiny.buffer<3xi32>
  %y = tiny.alloc : !tiny.buffer<2x3xi8, 0.1:-5>
  tiny.fully_connected %x, %w, %b -> %y {clamp = array<i64: -5, 127>}
  %wc = tiny.const dense<"0xC4C9CED3D8DDE2E7ECF1F6FB00050A0F14191E23282D3237"> : !tiny.buffer<3x8xi8, axis 0: {0.01:0, 0.02:0, 0.03:0}>
  %z = tiny.alloc : !tiny.buffer<1x2x3xi8, 0.1:-5>
  tiny.fully_connected %x, %wc -> %z {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-LABEL: func.func @fully_connected(
// CHECK:         tiny.fully_connected %x, %w, %b -> %y {clamp = array<i64: -5, 127>}
// CHECK-NEXT:    %wc = tiny.const dense<"0xC4C9CED3D8DDE2E7ECF1F6FB00050A0F14191E23282D3237"> : !tiny.buffer<3x8xi8, axis 0: {0.01:0, 0.02:0, 0.03:0}>
// CHECK-NEXT:    %z = tiny.alloc : !tiny.buffer<1x2x3xi8, 0.1:-5>
// CHECK-NEXT:    tiny.fully_connected %x, %wc -> %z {clamp = array<i64: -128, 127>}

// --- elementwise ------------------------------------------------------------------

func.func @elementwise(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %b: !tiny.buffer<1x1x1x3xi8, 0.03:-4>) {
  %s = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.07:-10>
  tiny.add %a, %b -> %s {clamp = array<i64: -10, 127>}
  %p = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.002:0>
  tiny.mul %b, %a -> %p {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-LABEL: func.func @elementwise(
// CHECK-NEXT:    %s = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.07:-10>
// CHECK-NEXT:    tiny.add %a, %b -> %s {clamp = array<i64: -10, 127>}
// CHECK-NEXT:    %p = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.002:0>
// CHECK-NEXT:    tiny.mul %b, %a -> %p {clamp = array<i64: -128, 127>}

// --- pooling and reductions -------------------------------------------------------------

func.func @pools(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %x5: !tiny.buffer<1x5x5x3xi8, 0.05:2>) {
  %a = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.avg_pool_2d %x -> %a {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %m = tiny.alloc : !tiny.buffer<1x3x3x3xi8, 0.05:2>
  tiny.max_pool_2d %x5 -> %m {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: 2, 122>}
  %k = tiny.alloc : !tiny.buffer<1x1x1x3xi8, 0.04:-3>
  tiny.mean %x -> %k {axes = array<i64: 1, 2>}
  %d = tiny.alloc : !tiny.buffer<1x3xi8, 0.04:-3>
  tiny.mean %x -> %d {axes = array<i64: 1, 2>}
  func.return
}
// CHECK-LABEL: func.func @pools(
// CHECK-NEXT:    %a = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
// CHECK-NEXT:    tiny.avg_pool_2d %x -> %a {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
// CHECK-NEXT:    %m = tiny.alloc : !tiny.buffer<1x3x3x3xi8, 0.05:2>
// CHECK-NEXT:    tiny.max_pool_2d %x5 -> %m {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: 2, 122>}
// CHECK-NEXT:    %k = tiny.alloc : !tiny.buffer<1x1x1x3xi8, 0.04:-3>
// CHECK-NEXT:    tiny.mean %x -> %k {axes = array<i64: 1, 2>}
// CHECK-NEXT:    %d = tiny.alloc : !tiny.buffer<1x3xi8, 0.04:-3>
// CHECK-NEXT:    tiny.mean %x -> %d {axes = array<i64: 1, 2>}

// --- activations -------------------------------------------------------------------------

func.func @activations(%x: !tiny.buffer<1x10xi8, 0.1:3>) {
  %s = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
  tiny.softmax %x -> %s {beta = 1.0 : f32}
  %t = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
  tiny.softmax %x -> %t {beta = 0.5 : f32}
  %l = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
  tiny.logistic %x -> %l
  %h = tiny.alloc : !tiny.buffer<1x10xi8, 0.02:-100>
  tiny.hard_swish %x -> %h
  %r = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:3>
  tiny.clamp %x -> %r {clamp = array<i64: 3, 63>}
  %q = tiny.alloc : !tiny.buffer<1x10xi8, 0.05:-128>
  tiny.clamp %x -> %q {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-LABEL: func.func @activations(
// CHECK-NEXT:    %s = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
// CHECK-NEXT:    tiny.softmax %x -> %s {beta = 1.000000e+00 : f32}
// CHECK-NEXT:    %t = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
// CHECK-NEXT:    tiny.softmax %x -> %t {beta = 5.000000e-01 : f32}
// CHECK-NEXT:    %l = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
// CHECK-NEXT:    tiny.logistic %x -> %l{{$}}
// CHECK-NEXT:    %h = tiny.alloc : !tiny.buffer<1x10xi8, 0.02:-100>
// CHECK-NEXT:    tiny.hard_swish %x -> %h{{$}}
// CHECK-NEXT:    %r = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:3>
// CHECK-NEXT:    tiny.clamp %x -> %r {clamp = array<i64: 3, 63>}
// CHECK-NEXT:    %q = tiny.alloc : !tiny.buffer<1x10xi8, 0.05:-128>
// CHECK-NEXT:    tiny.clamp %x -> %q {clamp = array<i64: -128, 127>}

// --- layout: pad, concat, transpose ----------------------------------------------------

func.func @layout(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %u: !tiny.buffer<1x4x4x5xi8, 0.05:2>, %t: !tiny.buffer<1x2x3x4xi8, 0.1:0>) {
  %p = tiny.alloc : !tiny.buffer<1x6x6x3xi8, 0.05:2>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = 2 : i64}
  %q = tiny.alloc : !tiny.buffer<1x5x7x3xi8, 0.05:2>
  tiny.pad %x -> %q {paddings = array<i64: 0, 0, 0, 1, 2, 1, 0, 0>, value = -128 : i64}
  %c = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.05:2>
  tiny.concat %x, %u -> %c {axis = 3 : i64}
  %c1 = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:2>
  tiny.concat %x -> %c1 {axis = 0 : i64}
  %c3 = tiny.alloc : !tiny.buffer<1x12x4x3xi8, 0.05:2>
  tiny.concat %x, %x, %x -> %c3 {axis = 1 : i64}
  %r = tiny.alloc : !tiny.buffer<1x4x2x3xi8, 0.1:0>
  tiny.transpose %t -> %r {perm = array<i64: 0, 3, 1, 2>}
  func.return
}
// CHECK-LABEL: func.func @layout(
// CHECK-NEXT:    %p = tiny.alloc : !tiny.buffer<1x6x6x3xi8, 0.05:2>
// CHECK-NEXT:    tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = 2 : i64}
// CHECK-NEXT:    %q = tiny.alloc : !tiny.buffer<1x5x7x3xi8, 0.05:2>
// CHECK-NEXT:    tiny.pad %x -> %q {paddings = array<i64: 0, 0, 0, 1, 2, 1, 0, 0>, value = -128 : i64}
// CHECK-NEXT:    %c = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.05:2>
// CHECK-NEXT:    tiny.concat %x, %u -> %c {axis = 3 : i64}
// CHECK-NEXT:    %c1 = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:2>
// CHECK-NEXT:    tiny.concat %x -> %c1 {axis = 0 : i64}
// CHECK-NEXT:    %c3 = tiny.alloc : !tiny.buffer<1x12x4x3xi8, 0.05:2>
// CHECK-NEXT:    tiny.concat %x, %x, %x -> %c3 {axis = 1 : i64}
// CHECK-NEXT:    %r = tiny.alloc : !tiny.buffer<1x4x2x3xi8, 0.1:0>
// CHECK-NEXT:    tiny.transpose %t -> %r {perm = array<i64: 0, 3, 1, 2>}

// --- quantization -------------------------------------------------------------------------

func.func @quant(%f: !tiny.buffer<1x8xf32>, %q: !tiny.buffer<1x8xi8, 0.1:-3>) -> !tiny.buffer<1x8xf32> {
  %a = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:1>
  tiny.quantize %f -> %a
  %b = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:-128>
  tiny.quantize %q -> %b
  %c = tiny.alloc : !tiny.buffer<1x8xi16, 0.001:0>
  tiny.quantize %q -> %c
  %d = tiny.alloc : !tiny.buffer<1x8xf32>
  tiny.dequantize %b -> %d
  func.return %d  : !tiny.buffer<1x8xf32>
}
// CHECK-LABEL: func.func @quant(%f: !tiny.buffer<1x8xf32>, %q: !tiny.buffer<1x8xi8, 0.1:-3>) -> !tiny.buffer<1x8xf32> {
// CHECK-NEXT:    %a = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:1>
// CHECK-NEXT:    tiny.quantize %f -> %a{{$}}
// CHECK-NEXT:    %b = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:-128>
// CHECK-NEXT:    tiny.quantize %q -> %b{{$}}
// CHECK-NEXT:    %c = tiny.alloc : !tiny.buffer<1x8xi16, 0.001:0>
// CHECK-NEXT:    tiny.quantize %q -> %c{{$}}
// CHECK-NEXT:    %d = tiny.alloc : !tiny.buffer<1x8xf32>
// CHECK-NEXT:    tiny.dequantize %b -> %d{{$}}
// CHECK-NEXT:    func.return %d : !tiny.buffer<1x8xf32>
// CHECK-NEXT:  }
// CHECK-NEXT: }

// The generic form (xdsl-opt only): destination-passing ops have the output
// as last operand and no results; properties go in <{...}>.
// GENERIC-LABEL: "func.func"() <{sym_name = "buffers"
// GENERIC:         %s = "tiny.alloc"() : () -> !tiny.buffer<1x2x2x4xi8, 0.5:-1>
// GENERIC:         %b = "tiny.const"() <{value = dense<[100, -200]> : tensor<2xi32>}> : () -> !tiny.buffer<2xi32>
// GENERIC:         %v = "tiny.reshape"(%x) : (!tiny.buffer<1x2x2x4xi8, 0.5:-1>) -> !tiny.buffer<1x16xi8, 0.5:-1>
// GENERIC-LABEL: "func.func"() <{sym_name = "views"
// GENERIC:         %q = "tiny.view"(%x) : (!tiny.buffer<1x4x4x8xi8, 0.5:-1>) -> !tiny.buffer<1x2x2x8xi8, 0.25:2>
// GENERIC-LABEL: "func.func"() <{sym_name = "conv"
// GENERIC:         "tiny.conv_2d"(%x, %w, %b, %y) <{stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -128, 127>, operandSegmentSizes = array<i32: 3, 1, 0, 0, 0>}> : (!tiny.buffer<1x6x6x1xi8, 0.0235:-128>, !tiny.buffer<2x3x3x1xi8, axis 0: {0.01:0, 0.02:0}>, !tiny.buffer<2xi32>, !tiny.buffer<1x3x3x2xi8, 0.05:-128>) -> ()
// GENERIC:         "tiny.conv_2d"(%x, %w, %z) <{stride = array<i64: 1, 1>, dilation = array<i64: 2, 2>, pad = array<i64: 2, 2, 2, 2>, clamp = array<i64: -128, -8>, operandSegmentSizes = array<i32: 2, 1, 0, 0, 0>}>
// GENERIC-LABEL: "func.func"() <{sym_name = "activations"
// GENERIC:         "tiny.clamp"(%x, %r) <{clamp = array<i64: 3, 63>, operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (!tiny.buffer<1x10xi8, 0.1:3>, !tiny.buffer<1x10xi8, 0.1:3>) -> ()
// GENERIC-LABEL: "func.func"() <{sym_name = "layout"
// GENERIC:         "tiny.concat"(%x, %x, %x, %c3) <{axis = 1 : i64, operandSegmentSizes = array<i32: 3, 1, 0, 0, 0>}> : (!tiny.buffer<1x4x4x3xi8, 0.05:2>, !tiny.buffer<1x4x4x3xi8, 0.05:2>, !tiny.buffer<1x4x4x3xi8, 0.05:2>, !tiny.buffer<1x12x4x3xi8, 0.05:2>) -> ()
