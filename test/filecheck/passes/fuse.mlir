// --fuse folds an explicit tiny.pad (of H and W, with the zero point) into the
// conv_2d / depthwise_conv_2d that reads it, and a tiny.clamp without
// requantization into the op that produces its input. Each chunk is one case;
// the ones named *_not_* / *_other_* / *_two_* must come out unchanged.
//
// RUN: tinyir-opt %s --split-input-file --fuse | filecheck %s
// RUN: tinyir-opt %s --split-input-file -p fuse | filecheck %s
// RUN: xdsl-opt %s --split-input-file -p fuse | filecheck %s
// Fusing again changes nothing, and the output parses back:
// RUN: tinyir-opt %s --split-input-file --fuse | tinyir-opt --split-input-file --fuse | filecheck %s
// Either rewrite can be turned off:
// RUN: tinyir-opt %s --split-input-file --fuse=pad=false | filecheck %s --check-prefix=NOPAD
// RUN: tinyir-opt %s --split-input-file -p 'fuse{clamp=false}' | filecheck %s --check-prefix=NOCLAMP

// A PAD of 1 on every side, then a VALID stride-2 conv: the conv pads itself.
func.func @pad_into_conv(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> !tiny.buffer<1x2x2x2xi8, 0.05:-3> {
  %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-128>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
  %w = tiny.const dense<"0xF7FE05F90007FB0209FD04F8FF06FA0108FC03F7FE05F90007FB0209FD04F8FF06FA0108"> : !tiny.buffer<2x3x3x2xi8, axis 0: {0.01:0, 0.02:0}>
  %b = tiny.const dense<"0x0A000000F6FFFFFF"> : !tiny.buffer<2xi32>
  %y = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
  tiny.conv_2d %p, %w, %b -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -3, 127>}
  func.return %y : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @pad_into_conv(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> !tiny.buffer<1x2x2x2xi8, 0.05:-3> {
// CHECK-NEXT:    %w = tiny.const
// CHECK-NEXT:    %b = tiny.const
// CHECK-NEXT:    %y = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
// CHECK-NEXT:    tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -3, 127>}
// CHECK-NEXT:    func.return %y
// NOPAD-LABEL: func.func @pad_into_conv(
// NOPAD:         tiny.pad %x -> %p
// NOPAD:         tiny.conv_2d %p, %w, %b -> %y {{.*}} pad = array<i64: 0, 0, 0, 0>
// NOCLAMP-LABEL: func.func @pad_into_conv(
// NOCLAMP-NOT:   tiny.pad
// NOCLAMP:       tiny.conv_2d %x, %w, %b -> %y {{.*}} pad = array<i64: 1, 1, 1, 1>

// -----

// An asymmetric PAD (bottom and left) adds to the depthwise conv's own padding.
func.func @pad_into_depthwise(%x: !tiny.buffer<1x4x4x2xi8, 0.02:5>) -> !tiny.buffer<1x5x5x2xi8, 0.05:-3> {
  %p = tiny.alloc : !tiny.buffer<1x5x5x2xi8, 0.02:5>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 0, 1, 1, 0, 0, 0>, value = 5 : i64}
  %d = tiny.const dense<"0xFAFF04FC0106FE03FB0005FD02FAFF04FC01"> : !tiny.buffer<1x3x3x2xi8, axis 3: {0.01:0, 0.02:0}>
  %y = tiny.alloc : !tiny.buffer<1x5x5x2xi8, 0.05:-3>
  tiny.depthwise_conv_2d %p, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x5x5x2xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @pad_into_depthwise(
// CHECK-NEXT:    %d = tiny.const
// CHECK-NEXT:    %y = tiny.alloc : !tiny.buffer<1x5x5x2xi8, 0.05:-3>
// CHECK-NEXT:    tiny.depthwise_conv_2d %x, %d -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 2, 2, 1>, clamp = array<i64: -128, 127>}
// CHECK-NEXT:    func.return %y

// -----

// Not into an average pool: TFLite divides by the number of in-image taps, so
// padding is not the same as a zero-point border.
func.func @pad_not_into_avg_pool(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> !tiny.buffer<1x3x3x2xi8, 0.02:-128> {
  %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-128>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.02:-128>
  tiny.avg_pool_2d %p -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x3x3x2xi8, 0.02:-128>
}
// CHECK-LABEL: func.func @pad_not_into_avg_pool(
// CHECK-NEXT:    %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-128>
// CHECK-NEXT:    tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
// CHECK-NEXT:    %y = tiny.alloc
// CHECK-NEXT:    tiny.avg_pool_2d %p -> %y {{.*}} pad = array<i64: 0, 0, 0, 0>

// -----

// Not into a max pool: the max over padded taps can be the pad value.
func.func @pad_not_into_max_pool(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-100>) -> !tiny.buffer<1x3x3x2xi8, 0.02:-100> {
  %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-100>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -100 : i64}
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.02:-100>
  tiny.max_pool_2d %p -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x3x3x2xi8, 0.02:-100>
}
// CHECK-LABEL: func.func @pad_not_into_max_pool(
// CHECK-NEXT:    %p = tiny.alloc
// CHECK-NEXT:    tiny.pad %x -> %p
// CHECK-NEXT:    %y = tiny.alloc
// CHECK-NEXT:    tiny.max_pool_2d %p -> %y

// -----

// Not with a pad value other than the conv's input zero point.
func.func @pad_not_other_value(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> !tiny.buffer<1x2x2x2xi8, 0.05:-3> {
  %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-128>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -127 : i64}
  %w = tiny.const dense<"0xF7FE05F90007FB0209FD04F8FF06FA0108FC03F7FE05F90007FB0209FD04F8FF06FA0108"> : !tiny.buffer<2x3x3x2xi8, axis 0: {0.01:0, 0.02:0}>
  %y = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
  tiny.conv_2d %p, %w -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @pad_not_other_value(
// CHECK-NEXT:    %p = tiny.alloc
// CHECK-NEXT:    tiny.pad %x -> %p {{.*}} value = -127 : i64}
// CHECK:         tiny.conv_2d %p, %w -> %y {{.*}} pad = array<i64: 0, 0, 0, 0>

// -----

// Not when the PAD also pads the channels.
func.func @pad_not_channels(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> !tiny.buffer<1x2x2x4xi8, 0.05:-3> {
  %p = tiny.alloc : !tiny.buffer<1x6x6x4xi8, 0.02:-128>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 2>, value = -128 : i64}
  %d = tiny.const dense<"0xF7FE05F90007FB0209FD04F8FF06FA0108FC03F7FE05F90007FB0209FD04F8FF06FA0108"> : !tiny.buffer<1x3x3x4xi8, axis 3: {0.01:0, 0.02:0, 0.03:0, 0.04:0}>
  %y = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.05:-3>
  tiny.depthwise_conv_2d %p, %d -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x2x2x4xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @pad_not_channels(
// CHECK-NEXT:    %p = tiny.alloc
// CHECK-NEXT:    tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 2>, value = -128 : i64}
// CHECK:         tiny.depthwise_conv_2d %p, %d -> %y

// -----

// Not when two ops read the padded buffer.
func.func @pad_two_consumers(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> (!tiny.buffer<1x2x2x2xi8, 0.05:-3>, !tiny.buffer<1x4x4x2xi8, 0.05:-3>) {
  %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-128>
  tiny.pad %x -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
  %d = tiny.const dense<"0xFAFF04FC0106FE03FB0005FD02FAFF04FC01"> : !tiny.buffer<1x3x3x2xi8, axis 3: {0.01:0, 0.02:0}>
  %y = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
  tiny.depthwise_conv_2d %p, %d -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %z = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-3>
  tiny.depthwise_conv_2d %p, %d -> %z {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y, %z : !tiny.buffer<1x2x2x2xi8, 0.05:-3>, !tiny.buffer<1x4x4x2xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @pad_two_consumers(
// CHECK-NEXT:    %p = tiny.alloc
// CHECK-NEXT:    tiny.pad %x -> %p
// CHECK:         tiny.depthwise_conv_2d %p, %d -> %y
// CHECK:         tiny.depthwise_conv_2d %p, %d -> %z

// -----

// Not when the PAD's source is overwritten before the conv runs (the conv
// would read the new contents).
func.func @pad_not_source_overwritten(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>, %v: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> (!tiny.buffer<1x2x2x2xi8, 0.05:-3>, !tiny.buffer<1x4x4x2xi8, 0.02:-128>) {
  %a = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.02:-128>
  tiny.transpose %x -> %a {perm = array<i64: 0, 1, 2, 3>}
  %p = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:-128>
  tiny.pad %a -> %p {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = -128 : i64}
  tiny.transpose %v -> %a {perm = array<i64: 0, 1, 2, 3>}
  %d = tiny.const dense<"0xFAFF04FC0106FE03FB0005FD02FAFF04FC01"> : !tiny.buffer<1x3x3x2xi8, axis 3: {0.01:0, 0.02:0}>
  %y = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
  tiny.depthwise_conv_2d %p, %d -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y, %a : !tiny.buffer<1x2x2x2xi8, 0.05:-3>, !tiny.buffer<1x4x4x2xi8, 0.02:-128>
}
// CHECK-LABEL: func.func @pad_not_source_overwritten(
// CHECK:         tiny.pad %a -> %p
// CHECK:         tiny.depthwise_conv_2d %p, %d -> %y

// -----

// A clamp with equal input and output quantization becomes the conv's clamp;
// the conv writes the clamp's buffer, whose alloc moves up in front of it.
func.func @clamp_into_conv(%x: !tiny.buffer<1x4x4x2xi8, 0.02:-128>) -> !tiny.buffer<1x2x2x2xi8, 0.05:-3> {
  %w = tiny.const dense<"0xF7FE05F90007FB0209FD04F8FF06FA0108FC03F7FE05F90007FB0209FD04F8FF06FA0108"> : !tiny.buffer<2x3x3x2xi8, axis 0: {0.01:0, 0.02:0}>
  %b = tiny.const dense<"0x0A000000F6FFFFFF"> : !tiny.buffer<2xi32>
  %c = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
  tiny.conv_2d %x, %w, %b -> %c {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -128, 127>}
  %r = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
  tiny.clamp %c -> %r {clamp = array<i64: -3, 117>}
  func.return %r : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @clamp_into_conv(
// CHECK-NEXT:    %w = tiny.const
// CHECK-NEXT:    %b = tiny.const
// CHECK-NEXT:    %r = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.05:-3>
// CHECK-NEXT:    tiny.conv_2d %x, %w, %b -> %r {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -3, 117>}
// CHECK-NEXT:    func.return %r
// NOPAD-LABEL: func.func @clamp_into_conv(
// NOPAD-NOT:     tiny.clamp
// NOPAD:         tiny.conv_2d %x, %w, %b -> %r {{.*}} clamp = array<i64: -3, 117>}
// NOCLAMP-LABEL: func.func @clamp_into_conv(
// NOCLAMP:       tiny.conv_2d %x, %w, %b -> %c
// NOCLAMP:       tiny.clamp %c -> %r

// -----

// Two clamps in a row are one: the intersection of the ranges, or, when they
// do not overlap, the constant the second clamp gives.
func.func @clamp_ranges(%a: !tiny.buffer<1x8xi8, 0.1:0>, %b: !tiny.buffer<1x8xi8, 0.1:0>) -> (!tiny.buffer<1x8xi8, 0.2:0>, !tiny.buffer<1x8xi8, 0.2:0>) {
  %s = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:0>
  tiny.add %a, %b -> %s {clamp = array<i64: -10, 127>}
  %r = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:0>
  tiny.clamp %s -> %r {clamp = array<i64: -128, 50>}
  %t = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:0>
  tiny.mul %a, %b -> %t {clamp = array<i64: 60, 127>}
  %u = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:0>
  tiny.clamp %t -> %u {clamp = array<i64: -128, 20>}
  func.return %r, %u : !tiny.buffer<1x8xi8, 0.2:0>, !tiny.buffer<1x8xi8, 0.2:0>
}
// CHECK-LABEL: func.func @clamp_ranges(
// CHECK-NEXT:    %r = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:0>
// CHECK-NEXT:    tiny.add %a, %b -> %r {clamp = array<i64: -10, 50>}
// CHECK-NEXT:    %u = tiny.alloc : !tiny.buffer<1x8xi8, 0.2:0>
// CHECK-NEXT:    tiny.mul %a, %b -> %u {clamp = array<i64: 20, 20>}
// CHECK-NEXT:    func.return %r, %u

// -----

// Into a fully connected layer, a max pool, and a requantizing clamp.
func.func @clamp_into_others(%x: !tiny.buffer<1x4x4x2xi8, 0.1:3>) -> (!tiny.buffer<1x3xi8, 0.05:-3>, !tiny.buffer<1x2x2x2xi8, 0.1:3>, !tiny.buffer<1x4x4x2xi8, 0.05:-128>) {
  %fw = tiny.const dense<"0xEC110D090501FDF9F5F1ED120E0A0602FEFAF6F2EE130F0B0703FFFBF7F3EF14100C080400FCF8F4F0EC110D090501FDF9F5F1ED120E0A0602FEFAF6F2EE130F0B0703FFFBF7F3EF14100C080400FCF8F4F0EC110D090501FDF9F5F1ED120E0A"> : !tiny.buffer<3x32xi8, 0.01:0>
  %f = tiny.alloc : !tiny.buffer<1x3xi8, 0.05:-3>
  tiny.fully_connected %x, %fw -> %f {clamp = array<i64: -128, 127>}
  %fr = tiny.alloc : !tiny.buffer<1x3xi8, 0.05:-3>
  tiny.clamp %f -> %fr {clamp = array<i64: -3, 127>}
  %m = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.1:3>
  tiny.max_pool_2d %x -> %m {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %mr = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.1:3>
  tiny.clamp %m -> %mr {clamp = array<i64: 3, 63>}
  %q = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-128>
  tiny.clamp %x -> %q {clamp = array<i64: -128, 127>}
  %qr = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-128>
  tiny.clamp %q -> %qr {clamp = array<i64: -128, 0>}
  func.return %fr, %mr, %qr : !tiny.buffer<1x3xi8, 0.05:-3>, !tiny.buffer<1x2x2x2xi8, 0.1:3>, !tiny.buffer<1x4x4x2xi8, 0.05:-128>
}
// CHECK-LABEL: func.func @clamp_into_others(
// CHECK-NEXT:    %fw = tiny.const
// CHECK-NEXT:    %fr = tiny.alloc : !tiny.buffer<1x3xi8, 0.05:-3>
// CHECK-NEXT:    tiny.fully_connected %x, %fw -> %fr {clamp = array<i64: -3, 127>}
// CHECK-NEXT:    %mr = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.1:3>
// CHECK-NEXT:    tiny.max_pool_2d %x -> %mr {{.*}} clamp = array<i64: 3, 63>}
// CHECK-NEXT:    %qr = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-128>
// CHECK-NEXT:    tiny.clamp %x -> %qr {clamp = array<i64: -128, 0>}
// CHECK-NEXT:    func.return %fr, %mr, %qr

// -----

// Not when the clamp requantizes (other output quantization).
func.func @clamp_not_other_quant(%x: !tiny.buffer<1x8xi8, 0.1:0>) -> !tiny.buffer<1x8xi8, 0.04:-128> {
  %s = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:-3>
  tiny.add %x, %x -> %s {clamp = array<i64: -128, 127>}
  %r = tiny.alloc : !tiny.buffer<1x8xi8, 0.04:-128>
  tiny.clamp %s -> %r {clamp = array<i64: -128, 127>}
  func.return %r : !tiny.buffer<1x8xi8, 0.04:-128>
}
// CHECK-LABEL: func.func @clamp_not_other_quant(
// CHECK-NEXT:    %s = tiny.alloc
// CHECK-NEXT:    tiny.add %x, %x -> %s
// CHECK-NEXT:    %r = tiny.alloc
// CHECK-NEXT:    tiny.clamp %s -> %r

// -----

// Not when another op reads the producer's output too.
func.func @clamp_two_readers(%x: !tiny.buffer<1x8xi8, 0.1:0>) -> (!tiny.buffer<1x8xi8, 0.05:-3>, !tiny.buffer<1x8xi8, 0.00390625:-128>) {
  %s = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:-3>
  tiny.add %x, %x -> %s {clamp = array<i64: -128, 127>}
  %r = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:-3>
  tiny.clamp %s -> %r {clamp = array<i64: -3, 127>}
  %l = tiny.alloc : !tiny.buffer<1x8xi8, 0.00390625:-128>
  tiny.logistic %s -> %l
  func.return %r, %l : !tiny.buffer<1x8xi8, 0.05:-3>, !tiny.buffer<1x8xi8, 0.00390625:-128>
}
// CHECK-LABEL: func.func @clamp_two_readers(
// CHECK-NEXT:    %s = tiny.alloc
// CHECK-NEXT:    tiny.add %x, %x -> %s
// CHECK-NEXT:    %r = tiny.alloc
// CHECK-NEXT:    tiny.clamp %s -> %r

// -----

// Not when the producer's output is also a model output.
func.func @clamp_not_returned_input(%x: !tiny.buffer<1x8xi8, 0.1:0>) -> (!tiny.buffer<1x8xi8, 0.05:-3>, !tiny.buffer<1x8xi8, 0.05:-3>) {
  %s = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:-3>
  tiny.add %x, %x -> %s {clamp = array<i64: -128, 127>}
  %r = tiny.alloc : !tiny.buffer<1x8xi8, 0.05:-3>
  tiny.clamp %s -> %r {clamp = array<i64: -3, 127>}
  func.return %r, %s : !tiny.buffer<1x8xi8, 0.05:-3>, !tiny.buffer<1x8xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @clamp_not_returned_input(
// CHECK:         tiny.clamp %s -> %r

// -----

// Not into an op without a clamp of its own (mean).
func.func @clamp_not_after_mean(%x: !tiny.buffer<1x4x4x2xi8, 0.1:0>) -> !tiny.buffer<1x2xi8, 0.05:-3> {
  %m = tiny.alloc : !tiny.buffer<1x2xi8, 0.05:-3>
  tiny.mean %x -> %m {axes = array<i64: 1, 2>}
  %r = tiny.alloc : !tiny.buffer<1x2xi8, 0.05:-3>
  tiny.clamp %m -> %r {clamp = array<i64: -3, 127>}
  func.return %r : !tiny.buffer<1x2xi8, 0.05:-3>
}
// CHECK-LABEL: func.func @clamp_not_after_mean(
// CHECK:         tiny.mean %x -> %m
// CHECK-NEXT:    %r = tiny.alloc
// CHECK-NEXT:    tiny.clamp %m -> %r

// -----

// Not when an op between producer and clamp reads the clamp's buffer (it
// would see the producer's result where it now sees the buffer's old contents).
func.func @clamp_not_target_read_between(%x: !tiny.buffer<1x8xi8, 0.1:0>) -> (!tiny.buffer<1x8xi8, 0.00390625:-128>, !tiny.buffer<1x8xi8, 0.1:0>) {
  %r = tiny.alloc : !tiny.buffer<1x8xi8, 0.1:0>
  tiny.clamp %x -> %r {clamp = array<i64: -64, 63>}
  %s = tiny.alloc : !tiny.buffer<1x8xi8, 0.1:0>
  tiny.add %x, %x -> %s {clamp = array<i64: -128, 127>}
  %l = tiny.alloc : !tiny.buffer<1x8xi8, 0.00390625:-128>
  tiny.logistic %r -> %l
  tiny.clamp %s -> %r {clamp = array<i64: 0, 127>}
  func.return %l, %r : !tiny.buffer<1x8xi8, 0.00390625:-128>, !tiny.buffer<1x8xi8, 0.1:0>
}
// CHECK-LABEL: func.func @clamp_not_target_read_between(
// CHECK:         tiny.add %x, %x -> %s
// CHECK:         tiny.logistic %r -> %l
// CHECK-NEXT:    tiny.clamp %s -> %r
