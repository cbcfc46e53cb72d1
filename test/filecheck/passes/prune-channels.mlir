// prune-channels: the layer loses output channels (filter rows, bias, per-channel
// scales), a depthwise convolution after it the same channels, and the next
// convolution the matching input channels of its filter.
//
// RUN: echo "prune %a keep 0, 2" > %t.plan
// RUN: tinyir-opt %s --prune-channels=plan=%t.plan | filecheck %s
// RUN: echo "prune %b drop 0" > %t.bad
// RUN: not tinyir-opt %s --prune-channels=plan=%t.bad 2>&1 | filecheck %s --check-prefix=OUTPUT

func.func @main(%x: !tiny.buffer<1x2x2x2xi8, 0.5:0>) -> !tiny.buffer<1x2x2x2xi8, 0.25:0> {
  %wa = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<4x1x1x2xi8, axis 0: {0.1:0, 0.2:0, 0.3:0, 0.4:0}>
  %ba = tiny.const dense<"0x01000000020000000300000004000000"> : !tiny.buffer<4xi32>
  %a = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.5:0>
  tiny.conv_2d %x, %wa, %ba -> %a {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %wd = tiny.const dense<"0x0A0B0C0D"> : !tiny.buffer<1x1x1x4xi8, 0.1:0>
  %d = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.5:0>
  tiny.depthwise_conv_2d %a, %wd -> %d {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %wb = tiny.const dense<"0x1112131421222324"> : !tiny.buffer<2x1x1x4xi8, 0.1:0>
  %b = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.25:0>
  tiny.conv_2d %d, %wb -> %b {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %b : !tiny.buffer<1x2x2x2xi8, 0.25:0>
}
// CHECK:      %wa = tiny.const dense<"0x01020506"> : !tiny.buffer<2x1x1x2xi8, axis 0: {0.1:0, 0.3:0}>
// CHECK-NEXT: %ba = tiny.const dense<"0x0100000003000000"> : !tiny.buffer<2xi32>
// CHECK-NEXT: %a = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:0>
// CHECK-NEXT: tiny.conv_2d %x, %wa, %ba -> %a
// CHECK-NEXT: %wd = tiny.const dense<"0x0A0C"> : !tiny.buffer<1x1x1x2xi8, 0.1:0>
// CHECK-NEXT: %d = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.5:0>
// CHECK-NEXT: tiny.depthwise_conv_2d %a, %wd -> %d
// CHECK-NEXT: %wb = tiny.const dense<"0x11132123"> : !tiny.buffer<2x1x1x2xi8, 0.1:0>
// CHECK-NEXT: %b = tiny.alloc : !tiny.buffer<1x2x2x2xi8, 0.25:0>
// CHECK-NEXT: tiny.conv_2d %d, %wb -> %b

// OUTPUT: {{\A}}error: {{.*}}.bad:1:7: pruning %b: it would remove channels of the model output %b{{$}}
