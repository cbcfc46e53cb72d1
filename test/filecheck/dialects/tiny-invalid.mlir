// RUN: not tinyir-opt %s --split-input-file 2>&1 | filecheck %s

// Each chunk below (between the split markers) holds one mistake, and
// tinyir-opt reports each on one line, `error: <op>: <message> [operation #N
// (%value)]`, or `error: FILE:LINE:COL: <message>` for what does not parse.
// After the first check, each check is a NEXT check: every chunk fails, in
// order, with exactly its own message (a chunk that verified would break the
// chain).
//
// Invalid buffer *types* (a per-channel scale count that does not match the
// channels, a zero dimension, ...) are in tiny-invalid-types.mlir.

// parsing: a value used before it is defined (ops do not repeat operand types, so the operand must be known)
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  tiny.logistic %z -> %y
  func.return
}
// CHECK: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:17: value %z is used before it is defined

// -----

// parsing: the destination is used before it is defined
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  tiny.logistic %x -> %y
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 4]]:23: value %y is used before it is defined

// -----

// parsing: the source of a view is undefined
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %v = tiny.reshape %w : !tiny.buffer<4xi8, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:21: value %w is used before it is defined

// -----

// parsing: a value defined twice
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:3: SSA value %y is already defined

// -----

// parsing: an op the dialect does not have
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  tiny.relu %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:13: Operation tiny.relu is not registered

// -----

// parsing: a buffer type without a zero point
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1>) {
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:45: Expected ':'

// -----

// parsing: const data must be a hex string
func.func @main() {
  %c = tiny.const dense<"01020304"> : !tiny.buffer<4xi8, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:25: tiny.const data must be a hex string "0x..."

// -----

// parsing: const data that is not hex
func.func @main() {
  %c = tiny.const dense<"0x0G"> : !tiny.buffer<1xi8, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:25: tiny.const data is not valid hex

// -----

// parsing: const of a type that is not a buffer
func.func @main() {
  %c = tiny.const dense<"0x01"> : tensor<1xi8>
  func.return
}
// CHECK-NEXT: error: {{.*}}tiny-invalid.mlir:[[# @LINE - 3]]:25: tiny.const needs a !tiny.buffer type

// -----

// tiny.const: the byte count does not match the buffer
func.func @main() {
  %c = tiny.const dense<"0x010203"> : !tiny.buffer<2xi16>
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.const: 3 bytes of data for a buffer of 4 bytes [operation #2 (%c)]

// -----

// tiny.const: element count right, byte count wrong (i32 needs 4 bytes each)
func.func @main() {
  %b = tiny.const dense<"0x01020304"> : !tiny.buffer<4xi32>
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.const: 4 bytes of data for a buffer of 16 bytes [operation #2 (%b)]

// -----

// properties: a property the op does not define
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  tiny.logistic %x -> %y {beta = 1.0 : f32}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.logistic: property 'beta' is not defined by the operation 'tiny.logistic'. Use the dictionary attribute to add arbitrary information to the operation. [operation #3 (%y)]

// -----

// properties: a required property is missing
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  tiny.add %x, %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.add: property 'clamp' expected in operation 'tiny.add' [operation #3 (%y)]

// -----

// properties: a property of the wrong kind
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x6xi8, 0.1:0>
  tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, 1>, value = 0.0 : f32}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.pad: 0.000000e+00 : f32 should be of base attribute integer [operation #3 (%y)]

// -----

// func.return: the returned buffer is not the declared result type
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.1:0> {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.2:0>
  func.return %y : !tiny.buffer<1x4xi8, 0.2:0>
}
// CHECK-NEXT: error: {{.*}}.mlir: func.return: Expected arguments to have the same types as the function output types: expected [!tiny.buffer<1x4xi8, 0.1:0>], got [!tiny.buffer<1x4xi8, 0.2:0>] [operation #3 (%y)]

// -----

// func.return: ops after the terminator
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  func.return
  tiny.logistic %x -> %y
}
// CHECK-NEXT: error: {{.*}}.mlir: func.return: 'func.return' must be the last operation in its parent block [operation #3]

// -----

// tiny.reshape: element counts differ
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.1:0>) {
  %v = tiny.reshape %x : !tiny.buffer<1x15xi8, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.reshape: [1, 2, 2, 4] and [1, 15] have different element counts [operation #2 (%v)]

// -----

// tiny.reshape: the element type changes
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.1:0>) {
  %v = tiny.reshape %x : !tiny.buffer<4x4xi16, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.reshape: the element type must not change [operation #2 (%v)]

// -----

// tiny.view: larger than its source
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.1:0>) {
  %v = tiny.view %x : !tiny.buffer<1x17xi8, 0.1:0>
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.view: a view of 17 bytes [1, 17] does not fit its source of 16 bytes [1, 2, 2, 4] [operation #2 (%v)]

// -----

// tiny.view: the element type changes (even to fewer bytes)
func.func @main(%x: !tiny.buffer<1x2x2x4xi8, 0.1:0>) {
  %v = tiny.view %x : !tiny.buffer<2xi32>
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.view: the element type must not change [operation #2 (%v)]

// -----

// arity: conv_2d without a filter
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %y = tiny.alloc : !tiny.buffer<1x6x6x1xi8, 0.05:-128>
  tiny.conv_2d %x -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: expects inputs (input, filter, bias?), got 1 [operation #3 (%y)]

// -----

// arity: an unary op with two inputs
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  tiny.logistic %x, %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.logistic: expects inputs (input), got 2 [operation #3 (%y)]

// -----

// arity: add with one input
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.1:0>
  tiny.add %x -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.add: expects inputs (lhs, rhs), got 1 [operation #3 (%y)]

// -----

// tiny.conv_2d: filter of rank 3
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: filter must have rank 4, got [1, 3, 3] [operation #4 (%y)]

// -----

// tiny.conv_2d: unquantized float input
func.func @main(%x: !tiny.buffer<1x6x6x1xf32>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: buffer [1, 6, 6, 1] of f32 needs quantization [operation #4 (%y)]

// -----

// tiny.conv_2d: three dilation values
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'dilation' needs 2 values, got 3 [operation #4 (%y)]

// -----

// tiny.conv_2d: dilation 0
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 0, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'dilation' values must be >= 1, got [0, 1] [operation #4 (%y)]

// -----

// tiny.conv_2d: input not NHWC
func.func @main(%x: !tiny.buffer<6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: input and output must be NHWC, got [6, 6, 1] -> [1, 4, 4, 1] [operation #4 (%y)]

// -----

// tiny.conv_2d: stride 0
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 0>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'stride' values must be >= 1, got [1, 0] [operation #4 (%y)]

// -----

// tiny.conv_2d: negative padding
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, -1, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'pad' values must be >= 0, got [1, -1, 0, 0] [operation #4 (%y)]

// -----

// tiny.conv_2d: padding with two values (SAME/VALID are made explicit: top, bottom, left, right)
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x6x6x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'pad' needs 4 values, got 2 [operation #4 (%y)]

// -----

// tiny.conv_2d: output spatial size does not follow from kernel, stride and padding
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x6x6x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: output [1, 6, 6, 1] does not match input [1, 6, 6, 1] with kernel [3, 3], stride [1, 1], pad [0, 0, 0, 0]: expected spatial size [4, 4] [operation #4 (%y)]

// -----

// tiny.conv_2d: dilation widens the kernel
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: output [1, 4, 4, 1] does not match input [1, 6, 6, 1] with kernel [3, 3], stride [1, 1], pad [0, 0, 0, 0]: expected spatial size [2, 2] [operation #4 (%y)]

// -----

// tiny.conv_2d: batch differs
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<2x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: batch of output [2, 4, 4, 1] differs from input [1, 6, 6, 1] [operation #4 (%y)]

// -----

// tiny.conv_2d: output channels differ from the filter's
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: output has 2 channels, filter [1, 3, 3, 1] gives 1 [operation #4 (%y)]

// -----

// tiny.conv_2d: filter input channels differ from the input's
func.func @main(%x: !tiny.buffer<1x6x6x2xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: filter [1, 3, 3, 1] expects 1 input channels, input has 2 [operation #4 (%y)]

// -----

// tiny.conv_2d: bias of the wrong length
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %b = tiny.const dense<"0x0100000002000000"> : !tiny.buffer<2xi32>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: bias must be 1 x i32, got [2] x i32 [operation #5 (%y)]

// -----

// tiny.conv_2d: bias of the wrong element type
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %b = tiny.const dense<"0x01"> : !tiny.buffer<1xi8>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: bias must be 1 x i32, got [1] x i8 [operation #5 (%y)]

// -----

// tiny.conv_2d: clamp range upside down
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: 10, -10>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: clamp [10, -10] is not a range of i8 [operation #4 (%y)]

// -----

// tiny.conv_2d: clamp outside int8
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -129, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: clamp [-129, 127] is not a range of i8 [operation #4 (%y)]

// -----

// tiny.conv_2d: clamp with one value
func.func @main(%x: !tiny.buffer<1x6x6x1xi8, 0.02:-128>) {
  %w = tiny.const dense<"0x010203040506070809"> : !tiny.buffer<1x3x3x1xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4x4x1xi8, 0.05:-128>
  tiny.conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.conv_2d: 'clamp' needs 2 values, got 1 [operation #4 (%y)]

// -----

// tiny.depthwise_conv_2d: filter is not [1, KH, KW, C]
func.func @main(%x: !tiny.buffer<1x5x5x2xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324"> : !tiny.buffer<2x3x3x2xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.2:0>
  tiny.depthwise_conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.depthwise_conv_2d: filter [2, 3, 3, 2] is not [1, KH, KW, k x 2] [operation #4 (%y)]

// -----

// tiny.depthwise_conv_2d: filter channels not a multiple of the input channels
func.func @main(%x: !tiny.buffer<1x5x5x2xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112131415161718191A1B"> : !tiny.buffer<1x3x3x3xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x3x3x3xi8, 0.2:0>
  tiny.depthwise_conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.depthwise_conv_2d: filter [1, 3, 3, 3] is not [1, KH, KW, k x 2] [operation #4 (%y)]

// -----

// tiny.depthwise_conv_2d: output channels differ from the filter's (the filter's channels are its last dimension)
func.func @main(%x: !tiny.buffer<1x5x5x2xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324"> : !tiny.buffer<1x3x3x4xi8, axis 3: {0.1:0, 0.1:0, 0.1:0, 0.1:0}>
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.2:0>
  tiny.depthwise_conv_2d %x, %w -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.depthwise_conv_2d: output has 2 channels, filter [1, 3, 3, 4] gives 4 [operation #4 (%y)]

// -----

// tiny.depthwise_conv_2d: bias of the wrong length
func.func @main(%x: !tiny.buffer<1x5x5x2xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112"> : !tiny.buffer<1x3x3x2xi8, 0.1:0>
  %b = tiny.const dense<"0x01000000"> : !tiny.buffer<1xi32>
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.2:0>
  tiny.depthwise_conv_2d %x, %w, %b -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.depthwise_conv_2d: bias must be 2 x i32, got [1] x i32 [operation #5 (%y)]

// -----

// tiny.depthwise_conv_2d: output spatial size
func.func @main(%x: !tiny.buffer<1x5x5x2xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708090A0B0C0D0E0F101112"> : !tiny.buffer<1x3x3x2xi8, 0.1:0>
  %y = tiny.alloc : !tiny.buffer<1x3x3x2xi8, 0.2:0>
  tiny.depthwise_conv_2d %x, %w -> %y {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.depthwise_conv_2d: output [1, 3, 3, 2] does not match input [1, 5, 5, 2] with kernel [3, 3], stride [2, 2], pad [0, 0, 0, 0]: expected spatial size [2, 2] [operation #4 (%y)]

// -----

// tiny.fully_connected: filter of rank 3
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x1x4xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: filter must be [C_out, K], got [2, 1, 4] [operation #4 (%y)]

// -----

// tiny.fully_connected: input is not a whole number of rows
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: input [1, 10] is not a whole number of rows of 4 [operation #4 (%y)]

// -----

// tiny.fully_connected: output rows
func.func @main(%x: !tiny.buffer<2x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: output [1, 2] should hold 2 rows of 2 [operation #4 (%y)]

// -----

// tiny.fully_connected: output units
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.2:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: output [1, 4] should hold 1 rows of 2 [operation #4 (%y)]

// -----

// tiny.fully_connected: bias of the wrong length
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8, 0.01:0>
  %b = tiny.const dense<"0x010000000200000003000000"> : !tiny.buffer<3xi32>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: bias must be 2 x i32, got [3] x i32 [operation #5 (%y)]

// -----

// tiny.fully_connected: bias of i64
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8, 0.01:0>
  %b = tiny.const dense<"0x01000000000000000200000000000000"> : !tiny.buffer<2xi64>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: bias must be 2 x i32, got [2] x i64 [operation #5 (%y)]

// -----

// tiny.fully_connected: clamp outside int8
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8, 0.01:0>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: 0, 255>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: clamp [0, 255] is not a range of i8 [operation #4 (%y)]

// -----

// tiny.fully_connected: unquantized filter
func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) {
  %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<2x4xi8>
  %y = tiny.alloc : !tiny.buffer<1x2xi8, 0.2:0>
  tiny.fully_connected %x, %w -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.fully_connected: buffer [2, 4] of i8 needs quantization [operation #4 (%y)]

// -----

// tiny.add: shapes that do not broadcast
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.1:0>, %b: !tiny.buffer<1x4x4x2xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.2:0>
  tiny.add %a, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.add: shapes [1, 4, 4, 3] and [1, 4, 4, 2] do not broadcast [operation #3 (%y)]

// -----

// tiny.add: output is not the broadcast shape
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.1:0>, %b: !tiny.buffer<1x1x1x3xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x1x1x3xi8, 0.2:0>
  tiny.add %a, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.add: output [1, 1, 1, 3] is not the broadcast shape [1, 4, 4, 3] [operation #3 (%y)]

// -----

// tiny.add: clamp outside int8
func.func @main(%a: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.2:0>
  tiny.add %a, %a -> %y {clamp = array<i64: -128, 128>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.add: clamp [-128, 128] is not a range of i8 [operation #3 (%y)]

// -----

// tiny.mul: unquantized output
func.func @main(%a: !tiny.buffer<1x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xf32>
  tiny.mul %a, %a -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mul: buffer [1, 4] of f32 needs quantization [operation #3 (%y)]

// -----

// tiny.mul: shapes that do not broadcast
func.func @main(%a: !tiny.buffer<2x4xi8, 0.1:0>, %b: !tiny.buffer<3x1xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<3x4xi8, 0.2:0>
  tiny.mul %a, %b -> %y {clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mul: shapes [2, 4] and [3, 1] do not broadcast [operation #3 (%y)]

// -----

// tiny.avg_pool_2d: kernel 0
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.avg_pool_2d %x -> %y {kernel = array<i64: 0, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.avg_pool_2d: 'kernel' values must be >= 1, got [0, 2] [operation #3 (%y)]

// -----

// tiny.avg_pool_2d: kernel with three values
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.avg_pool_2d %x -> %y {kernel = array<i64: 2, 2, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.avg_pool_2d: 'kernel' needs 2 values, got 3 [operation #3 (%y)]

// -----

// tiny.avg_pool_2d: output spatial size
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.avg_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.avg_pool_2d: output [1, 2, 2, 3] does not match input [1, 4, 4, 3] with kernel [2, 2], stride [1, 1], pad [0, 0, 0, 0]: expected spatial size [3, 3] [operation #3 (%y)]

// -----

// tiny.avg_pool_2d: channels differ
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x4xi8, 0.05:2>
  tiny.avg_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.avg_pool_2d: input has 3 channels, output 4 [operation #3 (%y)]

// -----

// tiny.avg_pool_2d: output quantization differs (pools do not rescale)
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:3>
  tiny.avg_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.avg_pool_2d: input and output element type and quantization must be equal [operation #3 (%y)]

// -----

// tiny.max_pool_2d: input not NHWC
func.func @main(%x: !tiny.buffer<4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.max_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.max_pool_2d: input and output must be NHWC, got [4, 4, 3] -> [1, 2, 2, 3] [operation #3 (%y)]

// -----

// tiny.max_pool_2d: clamp upside down
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.max_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: 127, -128>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.max_pool_2d: clamp [127, -128] is not a range of i8 [operation #3 (%y)]

// -----

// tiny.max_pool_2d: padding with five values
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.max_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.max_pool_2d: 'pad' needs 4 values, got 5 [operation #3 (%y)]

// -----

// tiny.max_pool_2d: unquantized input
func.func @main(%x: !tiny.buffer<1x4x4x3xi8>) {
  %y = tiny.alloc : !tiny.buffer<1x2x2x3xi8, 0.05:2>
  tiny.max_pool_2d %x -> %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.max_pool_2d: buffer [1, 4, 4, 3] of i8 needs quantization [operation #3 (%y)]

// -----

// tiny.mean: no axes
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:2>
  tiny.mean %x -> %y {axes = array<i64>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mean: axes [] are not distinct dimensions of [1, 4, 4, 3] [operation #3 (%y)]

// -----

// tiny.mean: axis out of range
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4xi8, 0.05:2>
  tiny.mean %x -> %y {axes = array<i64: 4>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mean: axes [4] are not distinct dimensions of [1, 4, 4, 3] [operation #3 (%y)]

// -----

// tiny.mean: negative axis (the frontend normalizes them)
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4xi8, 0.05:2>
  tiny.mean %x -> %y {axes = array<i64: -1>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mean: axes [-1] are not distinct dimensions of [1, 4, 4, 3] [operation #3 (%y)]

// -----

// tiny.mean: an axis twice
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x3xi8, 0.05:2>
  tiny.mean %x -> %y {axes = array<i64: 1, 1>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mean: axes [1, 1] are not distinct dimensions of [1, 4, 4, 3] [operation #3 (%y)]

// -----

// tiny.mean: output is neither the kept-dims nor the dropped-dims shape
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x1x3xi8, 0.05:2>
  tiny.mean %x -> %y {axes = array<i64: 1, 2>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mean: output [1, 1, 3] is not [1, 4, 4, 3] reduced over [1, 2] [operation #3 (%y)]

// -----

// tiny.mean: unquantized output
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x3xf32>
  tiny.mean %x -> %y {axes = array<i64: 1, 2>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.mean: buffer [1, 3] of f32 needs quantization [operation #3 (%y)]

// -----

// tiny.pad: paddings for another rank
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x6x6x3xi8, 0.05:2>
  tiny.pad %x -> %y {paddings = array<i64: 1, 1, 1, 1>, value = 2 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.pad: 'paddings' needs 8 values, got 4 [operation #3 (%y)]

// -----

// tiny.pad: negative padding
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.05:2>
  tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, -1, 0, 0, 0, 0>, value = 2 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.pad: 'paddings' values must be >= 0, got [0, 0, 1, -1, 0, 0, 0, 0] [operation #3 (%y)]

// -----

// tiny.pad: output shape
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x6x6x3xi8, 0.05:2>
  tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, 1, 0, 0, 0, 0>, value = 2 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.pad: output [1, 6, 6, 3] should be [1, 6, 4, 3] [operation #3 (%y)]

// -----

// tiny.pad: output quantization differs
func.func @main(%x: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x6x6x3xi8, 0.05:0>
  tiny.pad %x -> %y {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = 2 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.pad: input and output element type and quantization must be equal [operation #3 (%y)]

// -----

// tiny.softmax: shapes differ
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<10xi8, 0.00390625:-128>
  tiny.softmax %x -> %y {beta = 1.0 : f32}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.softmax: input and output: shapes [1, 10] and [10] differ [operation #3 (%y)]

// -----

// tiny.softmax: int8 output must be quantized at 1/256, -128 (TFLite Micro refuses anything else)
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:0>
  tiny.softmax %x -> %y {beta = 1.0 : f32}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.softmax: int8 SOFTMAX output must have scale 1/256 and zero point -128 [operation #3 (%y)]

// -----

// tiny.softmax: beta must be a float
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
  tiny.softmax %x -> %y {beta = 1 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.softmax: 1 : i64 should be of base attribute float [operation #3 (%y)]

// -----

// tiny.logistic: int8 output must have zero point -128
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:0>
  tiny.logistic %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.logistic: int8 LOGISTIC output must have zero point -128 [operation #3 (%y)]

// -----

// tiny.logistic: unquantized input
func.func @main(%x: !tiny.buffer<1x10xf32>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
  tiny.logistic %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.logistic: buffer [1, 10] of f32 needs quantization [operation #3 (%y)]

// -----

// tiny.hard_swish: shapes differ
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x11xi8, 0.1:0>
  tiny.hard_swish %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.hard_swish: input and output: shapes [1, 10] and [1, 11] differ [operation #3 (%y)]

// -----

// tiny.clamp: shapes differ
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x5x2xi8, 0.1:0>
  tiny.clamp %x -> %y {clamp = array<i64: 0, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: input and output: shapes [1, 10] and [1, 5, 2] differ [operation #3 (%y)]

// -----

// tiny.clamp: the range is a required property
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:0>
  tiny.clamp %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: property 'clamp' expected in operation 'tiny.clamp' [operation #3 (%y)]

// -----

// tiny.clamp: a range of three values
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:0>
  tiny.clamp %x -> %y {clamp = array<i64: 0, 6, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: 'clamp' needs 2 values, got 3 [operation #3 (%y)]

// -----

// tiny.clamp: range upside down
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:0>
  tiny.clamp %x -> %y {clamp = array<i64: 60, 0>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: clamp [60, 0] is not a range of i8 [operation #3 (%y)]

// -----

// tiny.clamp: range outside int8
func.func @main(%x: !tiny.buffer<1x10xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:0>
  tiny.clamp %x -> %y {clamp = array<i64: 0, 128>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: clamp [0, 128] is not a range of i8 [operation #3 (%y)]

// -----

// tiny.clamp: unquantized input
func.func @main(%x: !tiny.buffer<1x10xi8>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi8, 0.1:0>
  tiny.clamp %x -> %y {clamp = array<i64: 0, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: buffer [1, 10] of i8 needs quantization [operation #3 (%y)]

// -----

// tiny.clamp: int8 only (TFLite's int16 RELU is not supported)
func.func @main(%x: !tiny.buffer<1x10xi16, 0.001:0>) {
  %y = tiny.alloc : !tiny.buffer<1x10xi16, 0.001:0>
  tiny.clamp %x -> %y {clamp = array<i64: 0, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: input must be per-tensor quantized i8, got per-tensor i16 [operation #3 (%y)]

// -----

// tiny.clamp: per-channel quantization
func.func @main(%x: !tiny.buffer<1x2xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x2xi8, axis 1: {0.1:0, 0.2:0}>
  tiny.clamp %x -> %y {clamp = array<i64: 0, 127>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.clamp: output must be per-tensor quantized i8, got per-channel i8 [operation #3 (%y)]

// -----

// tiny.concat: axis out of range
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %a -> %y {axis = 4 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: axis 4 out of range for rank 4 [operation #3 (%y)]

// -----

// tiny.concat: negative axis (the frontend normalizes it)
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %a -> %y {axis = -1 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: axis -1 out of range for rank 4 [operation #3 (%y)]

// -----

// tiny.concat: an input differs off the axis
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %b: !tiny.buffer<1x4x5x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %b -> %y {axis = 3 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: input 1 [1, 4, 5, 3] does not fit output [1, 4, 4, 6] on axis 3 [operation #3 (%y)]

// -----

// tiny.concat: an input of another rank
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %b: !tiny.buffer<4x4x3xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %b -> %y {axis = 3 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: input 1 [4, 4, 3] does not fit output [1, 4, 4, 6] on axis 3 [operation #3 (%y)]

// -----

// tiny.concat: an input of another element type
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %b: !tiny.buffer<1x4x4x3xi16, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %b -> %y {axis = 3 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: input 1 has another element type or quantization than the output [operation #3 (%y)]

// -----

// tiny.concat: an input of another quantization (concatenation copies bytes, it does not rescale)
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %b: !tiny.buffer<1x4x4x3xi8, 0.05:3>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %b -> %y {axis = 3 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: input 1 has another element type or quantization than the output [operation #3 (%y)]

// -----

// tiny.concat: inputs do not add up to the output
func.func @main(%a: !tiny.buffer<1x4x4x3xi8, 0.05:2>, %b: !tiny.buffer<1x4x4x2xi8, 0.05:2>) {
  %y = tiny.alloc : !tiny.buffer<1x4x4x6xi8, 0.05:2>
  tiny.concat %a, %b -> %y {axis = 3 : i64}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.concat: inputs add up to 5 on axis 3, output has 6 [operation #3 (%y)]

// -----

// tiny.transpose: perm is not a permutation
func.func @main(%x: !tiny.buffer<1x2x3x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4x2x3xi8, 0.1:0>
  tiny.transpose %x -> %y {perm = array<i64: 0, 3, 1, 1>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.transpose: perm [0, 3, 1, 1] is not a permutation of 4 dimensions [operation #3 (%y)]

// -----

// tiny.transpose: perm of another rank
func.func @main(%x: !tiny.buffer<1x2x3x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x2x3x4xi8, 0.1:0>
  tiny.transpose %x -> %y {perm = array<i64: 0, 1, 2>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.transpose: perm [0, 1, 2] is not a permutation of 4 dimensions [operation #3 (%y)]

// -----

// tiny.transpose: output is not the permuted input
func.func @main(%x: !tiny.buffer<1x2x3x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4x3x2xi8, 0.1:0>
  tiny.transpose %x -> %y {perm = array<i64: 0, 3, 1, 2>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.transpose: output [1, 4, 3, 2] is not [1, 2, 3, 4] permuted by [0, 3, 1, 2] [operation #3 (%y)]

// -----

// tiny.transpose: output quantization differs
func.func @main(%x: !tiny.buffer<1x2x3x4xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4x2x3xi8, 0.2:0>
  tiny.transpose %x -> %y {perm = array<i64: 0, 3, 1, 2>}
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.transpose: input and output element type and quantization must be equal [operation #3 (%y)]

// -----

// tiny.quantize: shapes differ
func.func @main(%x: !tiny.buffer<1x8xf32>) {
  %y = tiny.alloc : !tiny.buffer<8xi8, 0.1:0>
  tiny.quantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.quantize: input and output: shapes [1, 8] and [8] differ [operation #3 (%y)]

// -----

// tiny.quantize: unquantized output
func.func @main(%x: !tiny.buffer<1x8xf32>) {
  %y = tiny.alloc : !tiny.buffer<1x8xi8>
  tiny.quantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.quantize: buffer [1, 8] of i8 needs quantization [operation #3 (%y)]

// -----

// tiny.quantize: float output
func.func @main(%x: !tiny.buffer<1x8xf32>) {
  %y = tiny.alloc : !tiny.buffer<1x8xf32, 0.1:0>
  tiny.quantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.quantize: output must be an integer buffer, got f32 [operation #3 (%y)]

// -----

// tiny.quantize: integer input without quantization
func.func @main(%x: !tiny.buffer<1x8xi8>) {
  %y = tiny.alloc : !tiny.buffer<1x8xi8, 0.1:0>
  tiny.quantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.quantize: buffer [1, 8] of i8 needs quantization [operation #3 (%y)]

// -----

// tiny.dequantize: shapes differ
func.func @main(%x: !tiny.buffer<1x8xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x4xf32>
  tiny.dequantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.dequantize: input and output: shapes [1, 8] and [1, 4] differ [operation #3 (%y)]

// -----

// tiny.dequantize: unquantized input
func.func @main(%x: !tiny.buffer<1x8xi8>) {
  %y = tiny.alloc : !tiny.buffer<1x8xf32>
  tiny.dequantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.dequantize: buffer [1, 8] of i8 needs quantization [operation #3 (%y)]

// -----

// tiny.dequantize: integer output
func.func @main(%x: !tiny.buffer<1x8xi8, 0.1:0>) {
  %y = tiny.alloc : !tiny.buffer<1x8xi16, 0.1:0>
  tiny.dequantize %x -> %y
  func.return
}
// CHECK-NEXT: error: {{.*}}.mlir: tiny.dequantize: output must be f32 without quantization, got i16 with quantization [operation #3 (%y)]
